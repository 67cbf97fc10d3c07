// The build path of `deploy.build` on real things: examples/todo pushed to a local bare repository,
// fetched by commit, built in a limited child process; the bundle id must equal an in-process
// `buildBundle` of the same project. Then project errors (VSQL, AssemblyScript) with their frames,
// and the limits with child scripts that misbehave on purpose.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildBundle } from '@stoa/bundle/bundle';
import { afterAll, describe, expect, it } from 'vitest';
import { isRetryable } from '../failures.js';
import {
  BuildCrashedError,
  BuildFailedError,
  BuildLimitError,
  BuildTimeoutError,
  buildInChild,
  type BuildLimits,
} from './build-in-child.js';
import { fetchGitCommit } from './git-fetch.js';
import { REPO_ROOT, createTestRepo, makeTempDir } from './git-repo.test-util.js';

const temp = makeTempDir('build');
afterAll(() => temp.cleanup());

const LIMITS: BuildLimits = { timeoutMs: 180_000, cpuSeconds: 120, memoryMb: 2048 };

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** A child script (plain JS) that misbehaves. */
function script(name: string, body: string): string {
  const path = join(temp.dir, name);
  writeFileSync(path, body);
  return path;
}

describe('buildInChild', () => {
  it('fetches examples/todo by commit, builds it in the child, and gets the in-process bundle id', async () => {
    const repo = createTestRepo(join(temp.dir, 'todo-repo'));
    // A transform in asconfig.json would run code at build time if the compiler read it.
    const marker = join(temp.dir, 'transform-ran');
    repo.commitFolder(join(REPO_ROOT, 'examples/todo'), { exclude: ['.stoa'] });
    const sha = repo.commit({
      'asconfig.json': JSON.stringify({ options: { transform: ['./evil-transform.js'] } }),
      'evil-transform.js': `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); module.exports = class {};`,
    });
    const fetched = await fetchGitCommit({
      repoUrl: repo.url,
      commitSha: sha,
      dir: join(temp.dir, 'todo-checkout'),
      limits: { timeoutMs: 60_000, maxBytes: 64 * 1024 * 1024 },
      allow: { schemes: ['file'] },
    });
    const lines: string[] = [];
    const built = await buildInChild({
      projectDir: fetched.dir,
      limits: LIMITS,
      cacheDir: join(temp.dir, 'asc-cache'),
      log: (line) => lines.push(line),
    });
    const inProcess = await buildBundle(join(REPO_ROOT, 'examples/todo'));
    expect(built.id).toBe(inProcess.id);
    expect(Buffer.from(built.bytes).equals(Buffer.from(inProcess.bytes))).toBe(true);
    expect(built.manifest).toEqual(inProcess.manifest);
    expect(built.manifest.name).toBe('todo');
    expect(existsSync(marker)).toBe(false);
    expect(lines[0]).toMatch(/^building the bundle/);
    expect(lines).toContainEqual(expect.stringMatching(/^extension package todo: \d+ bytes, compiled in \d+ ms$/));
    expect(lines.at(-1)).toBe(`bundle ${built.id}: ${built.bytes.length} bytes`);
  });

  it('fails permanently on VSQL errors, keeping file:line:col and the code frame', async () => {
    const dir = writeFiles(join(temp.dir, 'bad-vsql'), {
      'stoa.json': '{ "name": "notes", "partitions": 1 }',
      'schema/app.vsql':
        'APPLICATION notes();\nWORKSPACE W (\n    TABLE Note INHERITS sys.CDoc ( Title varchar(10) NOT NULL ;\n);\n',
    });
    const error = await failure(buildInChild({ projectDir: dir, limits: LIMITS }));
    expect(error).toBeInstanceOf(BuildFailedError);
    expect(isRetryable(error)).toBe(false);
    expect(error.message).toMatch(/^app folder <project>: 1 VSQL error\(s\)\n+schema\/app\.vsql:3:\d+: Expected/);
    expect(error.message).toMatch(/\n> 3 \|.*TABLE Note/);
    expect(error.message).toMatch(/\n\s+\|\s+\^/);
    expect(error.message).not.toContain(temp.dir);
    expect((error as BuildFailedError).data?.['errors']).toEqual([
      expect.objectContaining({ file: 'schema/app.vsql', line: 3 }),
    ]);
  });

  it('fails permanently on AssemblyScript errors, with the file position and frame', async () => {
    const dir = writeFiles(join(temp.dir, 'bad-as'), {
      'stoa.json': '{ "name": "calc", "partitions": 1 }',
      'schema/app.vsql':
        'APPLICATION calc();\nWORKSPACE CalcWS (\n    DESCRIPTOR Calc ( Name varchar(50) NOT NULL );\n    EXTENSION ENGINE WASM ( COMMAND Add(); );\n);\n',
      'extensions/calc/index.ts': 'export function Add(): void {\n  const n: i32 = "not a number";\n}\n',
    });
    const error = await failure(
      buildInChild({ projectDir: dir, limits: LIMITS, cacheDir: join(temp.dir, 'as-cache') }),
    );
    expect(error).toBeInstanceOf(BuildFailedError);
    expect(error.message).toMatch(/extensions\/calc\/index\.ts:2:\d+/);
    expect(error.message).toMatch(/"not a number"/);
    expect(error.message).not.toContain(temp.dir);
  });

  it('turns CPU and memory exhaustion into permanent limit errors', async () => {
    const spin = script('spin.mjs', 'for (;;) {}\n');
    const cpu = await failure(
      buildInChild({ projectDir: temp.dir, limits: { ...LIMITS, cpuSeconds: 1 }, childScript: spin }),
    );
    expect(cpu).toBeInstanceOf(BuildLimitError);
    expect(cpu.message).toBe('the build used more than 1 s of CPU time');
    expect(isRetryable(cpu)).toBe(false);

    const hog = script('hog.mjs', 'const keep = []; for (;;) keep.push(new Array(1e6).fill(keep.length));\n');
    const heap = await failure(
      buildInChild({ projectDir: temp.dir, limits: { ...LIMITS, memoryMb: 256 }, childScript: hog }),
    );
    expect(heap).toBeInstanceOf(BuildLimitError);
    expect((heap as BuildLimitError).limit).toBe('memory');

    // Off-heap memory (buffers) is held by the data segment limit, not by V8's heap cap.
    const buffers = script('buffers.mjs', 'const keep = []; for (;;) keep.push(Buffer.alloc(32 * 1024 * 1024, 1));\n');
    const data = await failure(
      buildInChild({ projectDir: temp.dir, limits: { ...LIMITS, memoryMb: 256 }, childScript: buffers }),
    );
    expect(data).toBeInstanceOf(BuildLimitError);
    expect(data.message).toBe('the build needed more than 256 MiB of memory');
  });

  it('kills a build that outlives the wall clock (retryable) and reports crashes without a result', async () => {
    const sleepy = script('sleepy.mjs', 'setTimeout(() => {}, 60_000);\n');
    const started = Date.now();
    const slow = await failure(
      buildInChild({ projectDir: temp.dir, limits: { ...LIMITS, timeoutMs: 1_500 }, childScript: sleepy }),
    );
    expect(slow).toBeInstanceOf(BuildTimeoutError);
    expect(isRetryable(slow)).toBe(true);
    expect(Date.now() - started).toBeLessThan(15_000);

    const crash = script('crash.mjs', 'process.stderr.write("boom\\n"); process.exit(3);\n');
    const crashed = await failure(buildInChild({ projectDir: temp.dir, limits: LIMITS, childScript: crash }));
    expect(crashed).toBeInstanceOf(BuildCrashedError);
    expect(crashed.message).toBe('the build process ended without a result (exit code 3):\nboom');
    expect(isRetryable(crashed)).toBe(true);
  });

  it('gives the child an empty environment (no database URL, no admin key)', async () => {
    const spy = script(
      'env.mjs',
      `import { writeFileSync } from 'node:fs';
const [, outDir] = process.argv.slice(2);
writeFileSync(outDir + '/result.json', JSON.stringify({ ok: false, error: { code: 'INTERNAL', message: Object.keys(process.env).sort().join(',') } }));
`,
    );
    const error = await failure(buildInChild({ projectDir: temp.dir, limits: LIMITS, childScript: spy }));
    expect(error.message).toBe('the build crashed: PATH,TMPDIR');
  });
});
