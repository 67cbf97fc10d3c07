// End to end (issue "App bundles…", Must show): `stoa init` → `stoa build` twice (same id) →
// `stoa deploy` to a running engine (a child process, as operators run it, trusting a key from
// `stoa keygen`) → calls through @stoa/client → a compatible schema change deployed with its diff →
// calls see the new field → an incompatible change refused (exit 3, 409 with every change) →
// rollback → engine restarted → still serving the rolled-back version, the newer field hidden but
// kept. Plus secrets and logs through the CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createClient, type AppClient } from '@stoa/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, REPO_ROOT, stoa } from '../src/cli.test-util.js';
import { EXIT_CODES } from '../src/exit-codes.js';
import { baseChildEnv } from './setup-child-env.js';

const temp = makeTempDir('e2e');
const projectDir = join(temp.dir, 'notes');
const dataDir = join(temp.dir, 'engine-data');
const keyFile = join(temp.dir, 'admin-key.json');
const publicKeyFile = join(temp.dir, 'admin-key.pub.json');
let engine: { child: ChildProcess; url: string; output: () => string } | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** The engine node as operators run it: no folder apps, admin key from a file, LMDB in dataDir. */
async function startEngine(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/engine/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...baseChildEnv(),
      STOA_ENGINE_PORT: String(port),
      STOA_DATA_DIR: dataDir,
      STOA_STORAGE: 'lmdb',
      STOA_ADMIN_PUBLIC_KEY: `@${publicKeyFile}`,
      STOA_WATCHDOG_MS: '0',
      STOA_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`engine exited during start:\n${output}`);
    if (Date.now() > deadline) throw new Error(`engine not ready after 90 s:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      async (res) => (await res.arrayBuffer(), res.status === 200),
      () => false,
    );
    if (ready) return { child, url, output: () => output };
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopEngine(): Promise<void> {
  const running = engine;
  engine = undefined;
  if (running === undefined || running.child.exitCode !== null) return;
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill('SIGTERM');
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

const admin = (): string[] => ['--url', engine?.url ?? '', '--key', keyFile];
const run = (argv: string[]): ReturnType<typeof stoa> => stoa(argv, { cwd: temp.dir });

function editSchema(edit: (source: string) => string): void {
  const file = join(projectDir, 'schema', 'myapp.vsql');
  const source = readFileSync(file, 'utf8');
  const next = edit(source);
  expect(next, 'the template schema changed: update this test').not.toBe(source);
  writeFileSync(file, next);
}

beforeAll(async () => {
  const keygen = await run(['keygen', keyFile, '--public', publicKeyFile]);
  expect(keygen.code, keygen.stderr).toBe(EXIT_CODES.OK);
  engine = await startEngine();
}, 120_000);

afterAll(async () => {
  await stopEngine();
  temp.cleanup();
});

describe('stoa init → build → deploy → change → refuse → rollback → restart', () => {
  let app: AppClient;
  let wsid: number;
  let noteId: number;
  let firstBundle: string;

  it('inits a project and builds it twice to the same bundle id', async () => {
    const init = await run(['init', projectDir, '--template', 'blank']);
    expect(init.code, init.stderr).toBe(EXIT_CODES.OK);
    const builds = [];
    for (let i = 0; i < 2; i++) {
      const built = await run(['build', projectDir, '--json']);
      expect(built.code, built.stderr).toBe(EXIT_CODES.OK);
      builds.push(JSON.parse(built.stdout) as { id: string; bytes: number });
    }
    expect(builds[0]?.id).toMatch(/^[0-9a-f]{64}$/);
    expect(builds[1]?.id).toBe(builds[0]?.id);
    firstBundle = builds[0]?.id ?? '';
  });

  it('deploys to the running engine, and the app answers through @stoa/client', async () => {
    const deployed = await run(['deploy', projectDir, ...admin(), '--owner', 'acme']);
    expect(deployed.code, deployed.stderr).toBe(EXIT_CODES.OK);
    expect(deployed.stdout).toMatch(/version 1/);

    const anonymous = createClient({ baseUrl: engine?.url ?? '', timeoutMs: 10_000 }).app('acme', 'myapp');
    const signUp = await anonymous.identity.signUp({ login: 'ann', password: 'correct horse 42', displayName: 'Ann' });
    expect(signUp.ok, JSON.stringify(signUp)).toBe(true);
    const login = await anonymous.identity.login({ login: 'ann', password: 'correct horse 42' });
    if (!login.ok) throw new Error(JSON.stringify(login.error));
    app = anonymous.withToken(login.value.principalToken);
    const created = await app.createWorkspace({
      kind: 'myapp.NotebookWS',
      name: 'notes',
      descriptor: { Title: 'Mine' },
    });
    if (!created.ok) throw new Error(JSON.stringify(created.error));
    wsid = created.value;
    const inserted = await app.insertDoc(wsid, 'myapp.Note', { Title: 'first', Pinned: false });
    if (!inserted.ok) throw new Error(JSON.stringify(inserted.error));
    noteId = Object.values(inserted.value.newIDs ?? {})[0] ?? 0;
    const read = await app.getDoc(wsid, 'myapp.Note', noteId);
    expect(read).toMatchObject({ ok: true, value: { Title: 'first' } });
  });

  it('deploys a compatible change, prints the diff, and calls see the new field', async () => {
    editSchema((s) =>
      s.replace('Title varchar(200) NOT NULL,', 'Title varchar(200) NOT NULL,\n        Mood varchar(20),'),
    );
    const deployed = await run(['deploy', projectDir, ...admin(), '--owner', 'acme']);
    expect(deployed.code, deployed.stderr).toBe(EXIT_CODES.OK);
    expect(deployed.stdout).toContain('+ field myapp.Note.Mood');
    expect(deployed.stdout).toMatch(/version 2/);

    const patched = await app.patchDoc(wsid, 'myapp.Note', noteId, { Mood: 'sunny' });
    expect(patched.ok, JSON.stringify(patched)).toBe(true);
    expect(await app.getDoc(wsid, 'myapp.Note', noteId)).toMatchObject({ ok: true, value: { Mood: 'sunny' } });
  });

  it('refuses an incompatible change with 409 and every breaking change (exit 3), changing nothing', async () => {
    editSchema((s) =>
      s.replace('Mood varchar(20),', 'Mood int32,').replace('Title varchar(200) NOT NULL,', 'Title int32 NOT NULL,'),
    );
    const refused = await run(['deploy', projectDir, ...admin(), '--owner', 'acme']);
    expect(refused.code).toBe(EXIT_CODES.INCOMPATIBLE);
    const printed = refused.stdout + refused.stderr;
    expect(printed).toMatch(/myapp\.Note.*Title|Title.*myapp\.Note/);
    expect(printed).toMatch(/Mood/);
    expect(await app.getDoc(wsid, 'myapp.Note', noteId)).toMatchObject({ ok: true, value: { Mood: 'sunny' } });
  });

  it('rolls back to version 1: the newer field is hidden, not deleted', async () => {
    const back = await run(['rollback', 'acme/myapp', '--version', '1', ...admin(), '--json']);
    expect(back.code, back.stderr).toBe(EXIT_CODES.OK);
    expect(JSON.parse(back.stdout)).toMatchObject({
      deployment: { version: 3, kind: 'rollback', bundle: firstBundle },
    });
    const read = await app.getDoc(wsid, 'myapp.Note', noteId);
    if (!read.ok) throw new Error(JSON.stringify(read.error));
    expect(read.value).toMatchObject({ Title: 'first' });
    expect('Mood' in read.value).toBe(false);
  });

  it('keeps serving the rolled-back version after an engine restart', async () => {
    await stopEngine();
    engine = await startEngine();
    const detail = await run(['apps', 'acme/myapp', ...admin(), '--json']);
    expect(detail.code, detail.stderr).toBe(EXIT_CODES.OK);
    const info = JSON.parse(detail.stdout) as {
      status: string;
      active: { version: number; bundle: string };
      history: unknown[];
    };
    expect(info).toMatchObject({ status: 'active', active: { version: 3, bundle: firstBundle } });
    expect(info.history).toHaveLength(3);

    const again = createClient({ baseUrl: engine.url, timeoutMs: 10_000 }).app('acme', 'myapp');
    const login = await again.identity.login({ login: 'ann', password: 'correct horse 42' });
    if (!login.ok) throw new Error(JSON.stringify(login.error));
    const read = await again.withToken(login.value.principalToken).getDoc(wsid, 'myapp.Note', noteId);
    if (!read.ok) throw new Error(JSON.stringify(read.error));
    expect(read.value['Title']).toBe('first');
    expect('Mood' in read.value).toBe(false);

    // Rolling forward to version 2 shows the kept value again.
    const forward = await run(['rollback', 'acme/myapp', '--version', '2', ...admin()]);
    expect(forward.code, forward.stderr).toBe(EXIT_CODES.OK);
    const shown = await again.withToken(login.value.principalToken).getDoc(wsid, 'myapp.Note', noteId);
    expect(shown).toMatchObject({ ok: true, value: { Mood: 'sunny' } });
  });

  it('manages secrets and reads the node log through the CLI', async () => {
    const set = await stoa(['secrets', 'set', 'acme/myapp', 'ApiKey', ...admin()], {
      cwd: temp.dir,
      stdin: 'v3ry-s3cret\n',
    });
    expect(set.code, set.stderr).toBe(EXIT_CODES.OK);
    const list = await run(['secrets', 'list', 'acme/myapp', ...admin(), '--json']);
    expect(list.stdout).toContain('ApiKey');
    expect(list.stdout).not.toContain('v3ry-s3cret');
    const logs = await run(['logs', '--app', 'acme/myapp', ...admin(), '--json']);
    expect(logs.code, logs.stderr).toBe(EXIT_CODES.OK);
    expect(logs.stdout).toContain('app secret set');
    expect(logs.stdout).not.toContain('v3ry-s3cret');
    expect(engine?.output()).not.toContain('v3ry-s3cret');

    // `logs --follow` streams lines as they are logged, until interrupted.
    const interrupt = new AbortController();
    const chunks: string[] = [];
    const following = stoa(['logs', '--follow', '--app', 'acme/myapp', ...admin()], {
      cwd: temp.dir,
      signal: interrupt.signal,
      stdout: (text) => chunks.push(text),
    });
    await new Promise((r) => setTimeout(r, 300));
    await run(['secrets', 'delete', 'acme/myapp', 'ApiKey', ...admin()]);
    const deadline = Date.now() + 10_000;
    while (!chunks.join('').includes('app secret deleted') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    interrupt.abort();
    const followed = await following;
    expect(followed.code, followed.stderr).toBe(EXIT_CODES.OK);
    expect(chunks.join('')).toContain('app secret deleted');

    // Without the key the admin API is closed.
    const other = makeTempDir('e2e-otherkey');
    try {
      await run(['keygen', join(other.dir, 'k.json')]);
      const denied = await run(['apps', '--url', engine?.url ?? '', '--key', join(other.dir, 'k.json')]);
      expect(denied.code).toBe(EXIT_CODES.AUTH);
    } finally {
      other.cleanup();
    }
  });
});

describe('a WASM app through the admin API', () => {
  it('deploys the todo template and runs its AssemblyScript command and sync projector', async () => {
    const todoDir = join(temp.dir, 'todo');
    expect((await run(['init', todoDir, '--template', 'todo'])).code).toBe(EXIT_CODES.OK);
    const deployed = await run(['deploy', todoDir, ...admin(), '--owner', 'wasm-co', '--json']);
    expect(deployed.code, deployed.stderr).toBe(EXIT_CODES.OK);
    const { bundle } = JSON.parse(deployed.stdout) as { bundle: { id: string } };

    const anonymous = createClient({ baseUrl: engine?.url ?? '', timeoutMs: 10_000 }).app('wasm-co', 'todo');
    await anonymous.identity.signUp({ login: 'bo', password: 'correct horse 42', displayName: 'Bo' });
    const login = await anonymous.identity.login({ login: 'bo', password: 'correct horse 42' });
    if (!login.ok) throw new Error(JSON.stringify(login.error));
    const todo = anonymous.withToken(login.value.principalToken);
    const ws = await todo.createWorkspace({ kind: 'todo.TodoWS', name: 'board', descriptor: { Title: 'B' } });
    if (!ws.ok) throw new Error(JSON.stringify(ws.error));
    const task = await todo.insertDoc(ws.value, 'todo.Task', { Title: 'ship it', Done: false, Priority: 1 });
    if (!task.ok) throw new Error(JSON.stringify(task.error));
    const taskId = Object.values(task.value.newIDs ?? {})[0] ?? 0;
    const completed = await todo.exec(ws.value, 'todo.CompleteTask', { args: { TaskID: taskId } });
    expect(completed.ok, JSON.stringify(completed)).toBe(true);
    expect(await todo.getDoc(ws.value, 'todo.Task', taskId)).toMatchObject({ ok: true, value: { Done: true } });

    const apps = await run(['apps', ...admin(), '--json']);
    const list = JSON.parse(apps.stdout) as { owner: string; name: string; versionHash: string }[];
    expect(list.find((a) => a.owner === 'wasm-co')).toMatchObject({ name: 'todo', versionHash: bundle.id });
  });
});
