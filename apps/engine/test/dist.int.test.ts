// The engine as deployed: `node apps/engine/build.mjs` (here into a folder of its own, so it never
// races `npm start`'s build of dist/), then the built main.js serving examples/todo as a folder app
// with an empty compiler cache — its WASM extensions are compiled at load by the AssemblyScript
// thread, which must sit next to main.js.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { baseChildEnv } from './setup-child-env.js';

const run = promisify(execFile);
const ENGINE_DIR = join(import.meta.dirname, '..');
const ROOT = join(ENGINE_DIR, '../..');
const results = join(ENGINE_DIR, '.test-results');
mkdirSync(results, { recursive: true });
const outdir = mkdtempSync(join(results, 'dist-'));
const scratch = mkdtempSync(join(tmpdir(), 'stoa-engine-dist-'));

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

describe('the built engine (apps/engine/build.mjs)', () => {
  it('bundles main.js with the compiler thread beside it, and serves a folder app with a cold compiler cache', async () => {
    await run(process.execPath, [join(ENGINE_DIR, 'build.mjs'), '--outdir', outdir], { cwd: ROOT });
    expect(existsSync(join(outdir, 'main.js'))).toBe(true);
    expect(existsSync(join(outdir, 'asc-worker.js'))).toBe(true);

    const port = await freePort();
    const emptyTmp = join(scratch, 'tmp');
    mkdirSync(emptyTmp);
    const child = spawn(process.execPath, [join(outdir, 'main.js')], {
      cwd: ROOT,
      env: {
        ...baseChildEnv(),
        TMPDIR: emptyTmp,
        STOA_ENGINE_PORT: String(port),
        STOA_DATA_DIR: join(scratch, 'data'),
        STOA_APPS: 'examples/todo',
        STOA_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const deadline = Date.now() + 90_000;
      let ready = false;
      while (!ready) {
        if (child.exitCode !== null) throw new Error(`the built engine exited:\n${output}`);
        if (Date.now() > deadline) throw new Error(`the built engine was not ready in 90 s:\n${output}`);
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          async (res) => (await res.arrayBuffer(), res.status === 200),
          () => false,
        );
        if (!ready) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const res = await fetch(`http://127.0.0.1:${port}/api/v2/apps/local/todo/openapi.json`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('todo.CompleteTask');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 150_000);
});
