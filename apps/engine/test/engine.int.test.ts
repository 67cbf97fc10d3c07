// The engine node as a user runs it: a child process (`node --import tsx apps/engine/src/main.ts`)
// on LMDB serving examples/todo, driven over real HTTP with the token and curl line it prints.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { baseChildEnv } from './setup-child-env.js';

const ROOT = join(import.meta.dirname, '../../..');
const STARTUP_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 20_000;
const execFileAsync = promisify(execFile);

interface RunningEngine {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly token: string;
  readonly wsid: number;
  readonly curlLine: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];

afterEach(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-engine-int-'));
  dirs.push(dir);
  return dir;
}

function spawnEngine(env: Record<string, string>): { child: ChildProcess; out: { stdout: string; stderr: string } } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/engine/src/main.ts'], {
    cwd: ROOT,
    env: { ...baseChildEnv(), STOA_ENGINE_PORT: '0', STOA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => (out.stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (out.stderr += chunk.toString('utf8')));
  return { child, out };
}

function waitForExit(child: ChildProcess, timeoutMs = EXIT_TIMEOUT_MS): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine did not exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

async function startEngine(dataDir: string, extra: Record<string, string> = {}): Promise<RunningEngine> {
  const { child, out } = spawnEngine({ STOA_DATA_DIR: dataDir, STOA_APPS: 'examples/todo', ...extra });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    const url = /Stoa engine listening on (http:\/\/\S+)/.exec(out.stdout)?.[1];
    const token = /export TOKEN=(\S+)/.exec(out.stdout)?.[1];
    const curl = /^ {2}(curl .* -X POST .*\/workspaces\/(\d+)\/docs\/todo\.Task .*)$/m.exec(out.stdout);
    if (url !== undefined && token !== undefined && curl !== null) {
      return {
        child,
        baseUrl: url,
        token,
        wsid: Number(curl[2]),
        curlLine: curl[1]!,
        stdout: () => out.stdout,
        stderr: () => out.stderr,
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(
        `engine did not print its banner (exit ${child.exitCode})\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function call(
  engine: RunningEngine,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const token = options.token === undefined ? engine.token : options.token;
  const headers: Record<string, string> = {};
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${engine.baseUrl}/api/v2/apps/local/todo${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Reads a view of board 0 until `done` holds (async projectors are eventually consistent). */
async function pollView(
  engine: RunningEngine,
  path: string,
  done: (rows: Record<string, unknown>[]) => boolean,
): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await call(engine, 'GET', `${path}?where=${encodeURIComponent('{"Board":0}')}`);
    expect(res.status).toBe(200);
    const rows = res.json['results'] as Record<string, unknown>[];
    if (done(rows) || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopEngine(engine: RunningEngine): Promise<number | null> {
  engine.child.kill('SIGTERM');
  return waitForExit(engine.child);
}

describe('engine node (child process, LMDB, examples/todo)', () => {
  it('serves the printed curl flow, shuts down cleanly on SIGTERM and keeps data across restarts', async () => {
    const dataDir = tempDir();
    const engine = await startEngine(dataDir);
    const ws = `/workspaces/${engine.wsid}`;

    // The token is printed, never logged.
    const logLines = engine
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.some((l) => l.includes(engine.token))).toBe(false);

    // No token → 401; a garbage token → 401.
    expect((await call(engine, 'GET', `${ws}/cdocs/todo.Task`, { token: null })).status).toBe(401);
    expect((await call(engine, 'GET', `${ws}/cdocs/todo.Task`, { token: 'a.b.c' })).status).toBe(401);

    // The printed curl line, run as printed by a shell with TOKEN set.
    const { stdout: curlOut } = await execFileAsync('bash', ['-c', `${engine.curlLine} -w '\\n%{http_code}'`], {
      env: { ...baseChildEnv(), TOKEN: engine.token },
      timeout: 20_000,
    });
    const [curlBody, curlStatus] = curlOut.trim().split('\n');
    expect(curlStatus).toBe('201');
    const curlIds = Object.values((JSON.parse(curlBody!) as { newIDs: Record<string, number> }).newIDs);
    expect(curlIds).toHaveLength(1);
    const firstTask = curlIds[0]!;

    const inserted = await call(engine, 'POST', `${ws}/docs/todo.Task`, {
      body: { Title: 'Second', Done: false, Priority: 2, Assignee: 'ann' },
    });
    expect(inserted.status).toBe(201);
    const secondTask = Object.values(inserted.json['newIDs'] as Record<string, number>)[0]!;

    const completed = await call(engine, 'POST', `${ws}/commands/todo.CompleteTask`, {
      body: { args: { TaskID: firstTask } },
    });
    expect(completed.status).toBe(200);
    // Completing a done task is a no-op; an unknown id is a 4xx.
    expect(
      (await call(engine, 'POST', `${ws}/commands/todo.CompleteTask`, { body: { args: { TaskID: firstTask } } }))
        .status,
    ).toBe(200);
    const missing = await call(engine, 'POST', `${ws}/commands/todo.CompleteTask`, {
      body: { args: { TaskID: 999_999_999 } },
    });
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(missing.status).toBeLessThan(500);

    const stats = await call(engine, 'GET', `${ws}/queries/todo.Stats`);
    expect(stats.status).toBe(200);
    expect(stats.json['results']).toEqual([expect.objectContaining({ Open: 1, Done: 1 })]);

    const view = await call(engine, 'GET', `${ws}/views/todo.TaskStats?where=${encodeURIComponent('{"Board":0}')}`);
    expect(view.status).toBe(200);
    const rows = (view.json['results'] as Record<string, unknown>[]).map((r) => [r['Priority'], r['Open'], r['Done']]);
    expect(rows).toEqual([
      [1, 0, 1],
      [2, 1, 0],
    ]);

    // Async projector: open tasks per assignee, eventually.
    expect(await pollView(engine, `${ws}/views/todo.AssigneeLoad`, (rows) => rows.length > 0)).toEqual([
      expect.objectContaining({ Assignee: 'ann', OpenTasks: 1 }),
    ]);

    const doc = await call(engine, 'GET', `${ws}/docs/todo.Task/${secondTask}`);
    expect(doc.status).toBe(200);
    expect(doc.json).toMatchObject({ Title: 'Second', Assignee: 'ann' });

    expect(await stopEngine(engine)).toBe(0);

    // Restart over the same data dir: same demo workspace, data and views still there.
    const again = await startEngine(dataDir);
    expect(again.wsid).toBe(engine.wsid);
    expect(again.token).not.toBe(engine.token);
    const list = await call(again, 'GET', `${ws}/cdocs/todo.Task`);
    expect(list.status).toBe(200);
    expect((list.json['results'] as Record<string, unknown>[]).map((r) => r['Title']).sort()).toEqual([
      'Second',
      'Try Stoa',
    ]);
    const statsAgain = await call(again, 'GET', `${ws}/queries/todo.Stats`);
    expect(statsAgain.json['results']).toEqual([expect.objectContaining({ Open: 1, Done: 1 })]);
    // The old token still verifies: the node key is persisted in sys storage.
    expect((await call(again, 'GET', `${ws}/cdocs/todo.Task`, { token: engine.token })).status).toBe(200);

    // Deactivating a task removes it from both views; the async one catches up.
    expect((await call(again, 'DELETE', `${ws}/docs/todo.Task/${secondTask}`)).status).toBe(200);
    const afterDelete = await call(again, 'GET', `${ws}/queries/todo.Stats`);
    expect(afterDelete.json['results']).toEqual([expect.objectContaining({ Open: 0, Done: 1 })]);
    expect(
      await pollView(
        again,
        `${ws}/views/todo.AssigneeLoad`,
        (r) => r.length > 0 && r.every((x) => x['OpenTasks'] === 0),
      ),
    ).toEqual([expect.objectContaining({ Assignee: 'ann', OpenTasks: 0 })]);
    expect(await stopEngine(again)).toBe(0);
  });

  it('runs on the in-memory backend as well', async () => {
    const engine = await startEngine(tempDir(), { STOA_STORAGE: 'mem' });
    expect(engine.stdout()).toContain('(storage: mem)');
    const ws = `/workspaces/${engine.wsid}`;
    const inserted = await call(engine, 'POST', `${ws}/docs/todo.Task`, {
      body: { Title: 'mem', Done: true, Priority: 5 },
    });
    expect(inserted.status).toBe(201);
    const stats = await call(engine, 'GET', `${ws}/queries/todo.Stats`);
    expect(stats.json['results']).toEqual([expect.objectContaining({ Open: 0, Done: 1 })]);
    expect(await stopEngine(engine)).toBe(0);
  });

  it('refuses app builtins with STOA_DEV=false', async () => {
    const { child, out } = spawnEngine({
      STOA_DATA_DIR: tempDir(),
      STOA_APPS: 'apps/engine/test/fixtures/lab',
      STOA_STORAGE: 'mem',
      STOA_DEV: 'false',
    });
    expect(await waitForExit(child, STARTUP_TIMEOUT_MS)).toBe(1);
    expect(out.stderr).toMatch(
      /extension lab\.\w+ is EXTENSION ENGINE BUILTIN: builtin extensions of apps are a dev-mode feature/,
    );
  });

  it('exits with code 2 and names every bad variable', async () => {
    const { child, out } = spawnEngine({ STOA_STORAGE: 'postgres', STOA_ENGINE_PORT: 'eighty' });
    expect(await waitForExit(child)).toBe(2);
    expect(out.stderr).toContain('STOA_ENGINE_PORT');
    expect(out.stderr).toContain('STOA_STORAGE: expected one of lmdb, mem, cassandra, dynamodb (got "postgres")');
  });

  it('fails to start with the VSQL code frame when an app does not compile', async () => {
    const app = tempDir();
    mkdirSync(join(app, 'schema'));
    writeFileSync(join(app, 'stoa.json'), '{ "name": "broken", "partitions": 1 }');
    writeFileSync(
      join(app, 'schema', 'broken.vsql'),
      'APPLICATION broken();\nWORKSPACE W (\n    TABLE T INHERITS sys.CDoc ( A int33 );\n);\n',
    );
    const { child, out } = spawnEngine({ STOA_DATA_DIR: tempDir(), STOA_APPS: app, STOA_STORAGE: 'mem' });
    expect(await waitForExit(child, STARTUP_TIMEOUT_MS)).toBe(1);
    expect(out.stderr).toContain(`app folder ${app}`);
    expect(out.stderr).toContain('schema/broken.vsql:3:');
    expect(out.stderr).toContain('> 3 |     TABLE T INHERITS sys.CDoc ( A int33 );');
    expect(existsSync(app)).toBe(true);
  });
});
