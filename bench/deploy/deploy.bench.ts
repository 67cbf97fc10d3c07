/**
 * `stoa deploy` → first successful request (issue "App bundles…", bench/deploy), for the todo app
 * (AssemblyScript extensions). An engine node runs as a child process on LMDB trusting a fresh
 * admin key; the built CLI (`packages/cli/dist/stoa.js`, built first) runs as a child process per
 * deploy, as a user runs it. Each round makes a compatible schema change (a new field with a name
 * no earlier run used, so the WASM module is compiled anew, cold, in the fresh CLI process), then
 * measures from spawning `stoa deploy` to the first request the new version answers (its OpenAPI
 * document showing the new field); the full flow of a new user (sign-up, login, workspace, task,
 * `todo.CompleteTask`) then runs against it and its end time is reported too. A second series redeploys unchanged sources of a new app name (the
 * compiler cache holds the module: the rollout case). The node:http hello-world ceiling is not a
 * meaningful reference for a one-shot latency, so none is reported.
 *
 *   npx tsx bench/deploy/deploy.bench.ts [--rounds 5]
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@stoa/client';
import { freePort, killAll, ROOT, sleep, spawnChild, stopChild, type Child } from '../engine/children.js';

const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg === -1 ? 5 : Number(process.argv[roundsArg + 1]);
const CLI = join(ROOT, 'packages/cli/dist/stoa.js');

/** An engine node without folder apps, trusting the admin key; ready when /readyz answers 200. */
async function startNode(env: Record<string, string>): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const child = spawnChild(['--import', 'tsx', 'apps/engine/src/main.ts'], {
    ...env,
    STOA_ENGINE_PORT: String(port),
    STOA_WATCHDOG_MS: '0',
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return { child, url };
    if (Date.now() > deadline || child.process.exitCode !== null)
      throw new Error(`engine did not start:\n${child.output()}`);
    await sleep(50);
  }
}

function describe(r: { ms: number; deployMs: number; activationMs: number; flowMs: number }): string {
  const ms = (x: number): string => `${Math.round(x)} ms`;
  return `${ms(r.ms)} to the first request served by the new version (stoa deploy ${ms(r.deployMs)}, swap ${ms(r.activationMs)}; sign-up → CompleteTask done at ${ms(r.flowMs)})`;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function runCli(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, 'packages/cli/build.mjs')], { stdio: 'inherit' });
  const dir = mkdtempSync(join(tmpdir(), 'stoa-bench-deploy-'));
  const keyFile = join(dir, 'admin-key.json');
  const publicFile = join(dir, 'admin-key.pub.json');
  await runCli(['keygen', keyFile, '--public', publicFile], dir);
  const engine = await startNode({
    STOA_DATA_DIR: join(dir, 'data'),
    STOA_ADMIN_PUBLIC_KEY: `@${publicFile}`,
    STOA_LOG_LEVEL: 'warn',
  });
  const project = join(dir, 'todo');
  cpSync(join(ROOT, 'examples/todo'), project, { recursive: true, filter: (src) => !src.includes('/.stoa') });
  const schemaFile = join(project, 'schema/todo.vsql');
  const client = createClient({ baseUrl: engine.url, timeoutMs: 10_000 });

  /** Deploys `project` as owner/app and returns ms from spawn to the first successful command. */
  const deployAndCall = async (
    owner: string,
    field: string | undefined,
  ): Promise<{ ms: number; deployMs: number; activationMs: number; flowMs: number }> => {
    const t0 = performance.now();
    const deployed = await runCli(
      ['deploy', project, '--url', engine.url, '--key', keyFile, '--owner', owner, '--json'],
      dir,
    );
    const deployMs = performance.now() - t0;
    if (deployed.code !== 0) throw new Error(`stoa deploy failed (${deployed.code}):\n${deployed.stderr}`);
    const { result } = JSON.parse(deployed.stdout) as { result: { activationMs: number } };
    // The first request the new version answers: its OpenAPI document, showing the new field.
    const app = client.app(owner, 'todo');
    for (;;) {
      const doc = await app.openapi();
      if (doc.ok && (field === undefined || JSON.stringify(doc.value).includes(`"${field}"`))) break;
      if (performance.now() - t0 > 60_000) throw new Error('the new version was never served');
      await sleep(5);
    }
    const ms = performance.now() - t0;
    const login = `u${Date.now().toString(36)}`;
    for (;;) {
      const signUp = await app.identity.signUp({ login, password: 'correct horse 42', displayName: 'B' });
      if (signUp.ok) break;
      if (performance.now() - t0 > 60_000) throw new Error(JSON.stringify(signUp.error));
      await sleep(5);
    }
    const token = await app.identity.login({ login, password: 'correct horse 42' });
    if (!token.ok) throw new Error(JSON.stringify(token.error));
    const user = app.withToken(token.value.principalToken);
    const ws = await user.createWorkspace({ kind: 'todo.TodoWS', name: 'b', descriptor: { Title: 'B' } });
    if (!ws.ok) throw new Error(JSON.stringify(ws.error));
    const fields: Record<string, unknown> = { Title: 't', Done: false, Priority: 1 };
    if (field !== undefined) fields[field] = 'x';
    const task = await user.insertDoc(ws.value, 'todo.Task', fields);
    if (!task.ok) throw new Error(JSON.stringify(task.error));
    const id = Object.values(task.value.newIDs ?? {})[0] ?? 0;
    const done = await user.exec(ws.value, 'todo.CompleteTask', { args: { TaskID: id } });
    if (!done.ok) throw new Error(JSON.stringify(done.error));
    return { ms, deployMs, activationMs: result.activationMs, flowMs: performance.now() - t0 };
  };

  const changed: number[] = [];
  const unchanged: number[] = [];
  try {
    const first = await deployAndCall('bench', undefined);
    console.log(`first deploy of todo (cached module): ${describe(first)}`);
    for (let round = 1; round <= ROUNDS; round++) {
      const field = `B${Date.now().toString(36)}R${round}`;
      const source = readFileSync(schemaFile, 'utf8');
      writeFileSync(
        schemaFile,
        source.replace('Title varchar(200) NOT NULL,', `Title varchar(200) NOT NULL,\n        ${field} varchar(10),`),
      );
      const r = await deployAndCall('bench', field);
      changed.push(r.ms);
      console.log(`changed schema, round ${round}: ${describe(r)}`);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      const r = await deployAndCall(`fresh${round}${Date.now().toString(36)}`, undefined);
      unchanged.push(r.ms);
      console.log(`unchanged sources to a new app, round ${round}: ${describe(r)}`);
    }
  } finally {
    await stopChild(engine.child);
    killAll();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`stoa deploy → first request served by the new version, todo app (target ≤ 2000 ms):`);
  console.log(
    `  schema changed (WASM compiled cold in the CLI): median ${Math.round(median(changed))} ms over ${ROUNDS}`,
  );
  console.log(
    `  module cached (rollout of built sources):       median ${Math.round(median(unchanged))} ms over ${ROUNDS}`,
  );
}

await main();
