#!/usr/bin/env node
// `npm test`: system setup (as root) → format check → lint → typecheck → every test (Vitest).
// Prints how long each phase took and ends with one plain line `N passed, N failed, N skipped`
// computed from Vitest's JSON report, so CI can read it. Exit code is non-zero if any phase failed.
//
// Flags: --only-tests (skip format/lint/typecheck), and any further args are passed to Vitest.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const onlyTests = args.includes('--only-tests');
const vitestArgs = args.filter((a) => a !== '--only-tests');
const reportFile = join(root, '.test-results', 'vitest.json');

/** @type {{name: string, ms: number, ok: boolean}[]} */
const phases = [];

function run(cmd, cmdArgs, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { cwd: root, stdio: 'inherit', ...opts });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on('error', () => resolve(127));
  });
}

async function phase(name, cmd, cmdArgs, opts) {
  const start = Date.now();
  console.log(`\n▶ ${name}: ${cmd} ${cmdArgs.join(' ')}`);
  const code = await run(cmd, cmdArgs, opts);
  const ms = Date.now() - start;
  phases.push({ name, ms, ok: code === 0 });
  console.log(`${code === 0 ? '✔' : '✘'} ${name} (${(ms / 1000).toFixed(1)} s)`);
  return code === 0;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (isRoot && process.env.STOA_SKIP_SETUP !== '1') {
  await phase('setup-system', 'bash', ['scripts/setup-system.sh']);
}

// Start service processes that are slow to boot (Cassandra) in the background now, so their start
// overlaps lint and typecheck. The integration tests' global setup reuses what is listening.
const services = await import('./test-services.mjs');
const background = services.startBackgroundServices(root);

const npx = 'npx';
if (!onlyTests) {
  await phase('format', npx, ['prettier', '--check', '--log-level', 'warn', '.']);
  // Type-aware lint holds two TypeScript programs (the repo's and the portal's DOM/React one): the
  // default 4 GB heap is not enough; the machine has 24 GB.
  await phase('lint', npx, ['eslint', '--max-warnings=0', '.'], {
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=8192`.trim() },
  });
  await phase('typecheck', npx, ['tsc', '-p', 'tsconfig.json', '--noEmit']);
  await phase('typecheck web', npx, ['tsc', '-p', 'apps/web/tsconfig.json', '--noEmit']);
}

const waitStart = Date.now();
const serviceReport = await background.ready();
phases.push({ name: 'services (waited)', ms: Date.now() - waitStart, ok: true });
for (const line of serviceReport) console.log(line);

rmSync(reportFile, { force: true });
mkdirSync(join(root, '.test-results'), { recursive: true });
await phase('tests', npx, [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${reportFile}`,
  ...vitestArgs,
]);

await background.stop();

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(reportFile)) {
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that failed to load has no tests counted: count it as one failure.
  for (const file of report.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).length === 0) failed += 1;
  }
} else {
  failed += 1;
  console.log('no test report was written');
}

console.log('\nPhase timings:');
for (const p of phases) console.log(`  ${p.ok ? 'ok  ' : 'FAIL'} ${p.name.padEnd(20)} ${(p.ms / 1000).toFixed(1)} s`);
const failedPhases = phases.filter((p) => !p.ok).map((p) => p.name);
if (failedPhases.length) console.log(`Failed phases: ${failedPhases.join(', ')}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failedPhases.length || failed ? 1 : 0);
