// Crash test: a child engine (LMDB, examples/todo) under concurrent command load is killed with
// SIGKILL at random moments, ten times. After every restart the data must say that no
// acknowledged command was lost or applied twice, no record id was handed out twice, WLog offsets
// were never reused, and both views equal a recomputation from the records (the sync one at once,
// the async one within a bounded wait). A command in flight at the kill may or may not be there —
// but never twice: every inserted task carries a unique title, so a duplicate is visible.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseChildEnv } from './setup-child-env.js';

const ROOT = join(import.meta.dirname, '../../..');
const ROUNDS = 10;
const CLIENTS = 24;
/** The kill lands uniformly in this window after the load starts. */
const KILL_AFTER_MS = { min: 250, max: 1250 };
const STARTUP_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 15_000;
const ASYNC_CONVERGE_MS = 15_000;
/** examples/todo/stoa.json */
const PARTITIONS = 4;
const WORKSPACES = 4;
const PRIORITIES = [1, 2, 3];
const ASSIGNEES = ['ann', 'bob', 'cyd', undefined];

interface Engine {
  readonly child: ChildProcess;
  readonly api: string;
  readonly token: string;
  readonly demoWsid: number;
  readonly exited: Promise<void>;
}

interface Task {
  readonly id: number;
  readonly title: string;
  readonly active: boolean;
  readonly done: boolean;
  readonly priority: number;
  readonly assignee: string | undefined;
}

/** What the clients were told (2xx) and what they merely tried. */
class Ledger {
  /** title → acknowledged insert */
  readonly inserted = new Map<string, { wsid: number; id: number }>();
  /** `wsid:id` of every task whose CompleteTask was acknowledged */
  readonly completed = new Set<string>();
  /** every title ever sent, acknowledged or not */
  readonly attempted = new Set<string>();
  /** `wsid:id` of every id returned in newIDs, across all rounds (ids are per-workspace sequences) */
  readonly newIds: string[] = [];
  /** wsid → every acknowledged currentWLogOffset */
  readonly wlogOffsets = new Map<number, number[]>();
  /** wsid → acknowledged, not yet completed task ids (what clients pick CompleteTask targets from) */
  readonly open = new Map<number, number[]>();
  readonly unexpected: string[] = [];
  acknowledged = 0;
  unknown = 0;

  /** Assertions inside clients would be swallowed with the kill's connection errors: collected instead. */
  noteOffset(wsid: number, offset: unknown): void {
    if (typeof offset !== 'number') this.unexpected.push(`currentWLogOffset ${String(offset)} in ${wsid}`);
    const list = this.wlogOffsets.get(wsid) ?? [];
    list.push(Number(offset));
    this.wlogOffsets.set(wsid, list);
  }
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

async function startEngine(dataDir: string): Promise<Engine> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/engine/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...baseChildEnv(),
      STOA_ENGINE_PORT: '0',
      STOA_DATA_DIR: dataDir,
      STOA_STORAGE: 'lmdb',
      STOA_APPS: 'examples/todo',
      STOA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  // The next start must wait until this process is gone: its LMDB lock names a live pid until then.
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    const url = /Stoa engine listening on (http:\/\/\S+)/.exec(stdout)?.[1];
    const token = /export TOKEN=(\S+)/.exec(stdout)?.[1];
    const wsid = /demo workspace (\d+)/.exec(stdout)?.[1];
    if (url !== undefined && token !== undefined && wsid !== undefined) {
      return { child, api: `${url}/api/v2/apps/local/todo`, token, demoWsid: Number(wsid), exited };
    }
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`engine did not start (exit ${child.exitCode})\nstdout:\n${stdout}\nstderr:\n${stderr}`);
    await sleep(50);
  }
}

async function call(
  engine: Engine,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${engine.api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${engine.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** The demo workspace plus new ones until the set spans at least two partitions. */
async function createWorkspaces(engine: Engine): Promise<number[]> {
  const wsids = [engine.demoWsid];
  for (let i = 0; wsids.length < WORKSPACES || new Set(wsids.map((w) => w % PARTITIONS)).size < 2; i++) {
    expect(i).toBeLessThan(40);
    const res = await call(engine, 'POST', '/workspaces', {
      kind: 'todo.TodoWS',
      name: `crash-${i}`,
      descriptor: { Title: `crash board ${i}` },
    });
    expect(res.status).toBe(201);
    wsids.push(res.json['wsid'] as number);
  }
  return wsids;
}

/** One client: inserts tasks and completes acknowledged ones until `stop.now`. */
async function runClient(
  engine: Engine,
  wsids: readonly number[],
  ledger: Ledger,
  tag: string,
  stop: { now: boolean },
): Promise<void> {
  for (let n = 0; !stop.now; n++) {
    const wsid = pick(wsids);
    const open = ledger.open.get(wsid) ?? [];
    try {
      if (open.length > 0 && Math.random() < 0.3) {
        const id = open.splice(Math.floor(Math.random() * open.length), 1)[0]!;
        const res = await call(engine, 'POST', `/workspaces/${wsid}/commands/todo.CompleteTask`, {
          args: { TaskID: id },
        });
        if (res.status === 200) {
          ledger.acknowledged++;
          ledger.completed.add(`${wsid}:${id}`);
          ledger.noteOffset(wsid, res.json['currentWLogOffset']);
        } else if (res.status < 500) ledger.unexpected.push(`CompleteTask ${id}: ${res.status}`);
        else ledger.unknown++;
        continue;
      }
      const title = `${tag}-${n}`;
      const assignee = pick(ASSIGNEES);
      ledger.attempted.add(title);
      const res = await call(engine, 'POST', `/workspaces/${wsid}/docs/todo.Task`, {
        Title: title,
        Done: false,
        Priority: pick(PRIORITIES),
        ...(assignee === undefined ? {} : { Assignee: assignee }),
      });
      if (res.status === 201) {
        const ids = Object.values(res.json['newIDs'] as Record<string, number>);
        if (ids.length !== 1) ledger.unexpected.push(`insert ${title}: newIDs ${JSON.stringify(ids)}`);
        ledger.acknowledged++;
        ledger.newIds.push(`${wsid}:${ids[0]!}`);
        ledger.inserted.set(title, { wsid, id: ids[0]! });
        ledger.noteOffset(wsid, res.json['currentWLogOffset']);
        if (!ledger.open.has(wsid)) ledger.open.set(wsid, []);
        ledger.open.get(wsid)!.push(ids[0]!);
      } else if (res.status < 500) ledger.unexpected.push(`insert ${title}: ${res.status}`);
      else ledger.unknown++;
    } catch {
      // Connection reset / refused: the kill. The command may or may not have committed.
      ledger.unknown++;
      if (stop.now) return;
      await sleep(5);
    }
  }
}

async function listTasks(engine: Engine, wsid: number): Promise<Task[]> {
  const tasks: Task[] = [];
  for (let skip = 0; ; skip += 1000) {
    const res = await call(engine, 'GET', `/workspaces/${wsid}/cdocs/todo.Task?limit=1000&skip=${skip}`);
    expect(res.status).toBe(200);
    const rows = res.json['results'] as Record<string, unknown>[];
    for (const r of rows) {
      tasks.push({
        id: r['sys.ID'] as number,
        title: r['Title'] as string,
        active: r['sys.IsActive'] !== false,
        done: r['Done'] === true,
        priority: r['Priority'] as number,
        assignee: typeof r['Assignee'] === 'string' ? r['Assignee'] : undefined,
      });
    }
    if (rows.length < 1000) return tasks;
  }
}

/** View rows as sorted `key=value…` strings, rows whose counts are all zero left out. */
function normalise(rows: readonly Record<string, unknown>[], key: string, counts: readonly string[]): string[] {
  return rows
    .filter((r) => counts.some((c) => Number(r[c]) !== 0))
    .map((r) => `${String(r[key])}:${counts.map((c) => Number(r[c])).join('/')}`)
    .sort();
}

async function readView(engine: Engine, wsid: number, view: string): Promise<Record<string, unknown>[]> {
  const res = await call(engine, 'GET', `/workspaces/${wsid}/views/${view}?where=${encodeURIComponent('{"Board":0}')}`);
  expect(res.status).toBe(200);
  return res.json['results'] as Record<string, unknown>[];
}

async function verify(engine: Engine, wsids: readonly number[], ledger: Ledger, round: number): Promise<number> {
  const at = `after restart ${round}`;
  let total = 0;
  for (const wsid of wsids) {
    const tasks = await listTasks(engine, wsid);
    const seenIds = new Set<number>();
    total += tasks.length;
    const byTitle = new Map<string, Task[]>();
    for (const t of tasks) {
      expect(seenIds.has(t.id), `${at}: record id ${t.id} appears twice in ${wsid}`).toBe(false);
      seenIds.add(t.id);
      expect(ledger.attempted.has(t.title), `${at}: task "${t.title}" was never sent`).toBe(true);
      byTitle.set(t.title, [...(byTitle.get(t.title) ?? []), t]);
    }
    const duplicated = [...byTitle].filter(([, list]) => list.length > 1).map(([title]) => title);
    expect(duplicated, `${at}: commands applied twice in ${wsid}`).toEqual([]);
    for (const [title, ack] of ledger.inserted) {
      if (ack.wsid !== wsid) continue;
      const found = byTitle.get(title);
      expect(found?.length, `${at}: acknowledged insert "${title}" lost in ${wsid}`).toBe(1);
      expect(found![0]!.id).toBe(ack.id);
      if (ledger.completed.has(`${wsid}:${ack.id}`))
        expect(found![0]!.done, `${at}: completion of ${ack.id} lost`).toBe(true);
    }

    // Sync view: exactly the counts of the records, at once.
    const stats = new Map<number, { open: number; done: number }>();
    const load = new Map<string, number>();
    for (const t of tasks) {
      if (!t.active) continue;
      const s = stats.get(t.priority) ?? { open: 0, done: 0 };
      if (t.done) s.done++;
      else s.open++;
      stats.set(t.priority, s);
      if (!t.done && t.assignee !== undefined) load.set(t.assignee, (load.get(t.assignee) ?? 0) + 1);
    }
    const expectedStats = normalise(
      [...stats].map(([Priority, s]) => ({ Priority, Open: s.open, Done: s.done })),
      'Priority',
      ['Open', 'Done'],
    );
    expect(
      normalise(await readView(engine, wsid, 'todo.TaskStats'), 'Priority', ['Open', 'Done']),
      `${at}: TaskStats of ${wsid}`,
    ).toEqual(expectedStats);

    // Async view: converges to the same recomputation within a bounded wait.
    const expectedLoad = normalise(
      [...load].map(([Assignee, OpenTasks]) => ({ Assignee, OpenTasks })),
      'Assignee',
      ['OpenTasks'],
    );
    const deadline = Date.now() + ASYNC_CONVERGE_MS;
    let actualLoad: string[] = [];
    for (;;) {
      actualLoad = normalise(await readView(engine, wsid, 'todo.AssigneeLoad'), 'Assignee', ['OpenTasks']);
      if (JSON.stringify(actualLoad) === JSON.stringify(expectedLoad) || Date.now() > deadline) break;
      await sleep(100);
    }
    expect(actualLoad, `${at}: AssigneeLoad of ${wsid} did not converge`).toEqual(expectedLoad);
  }

  // Ids and WLog offsets: never handed out twice, across every round so far.
  expect(new Set(ledger.newIds).size, `${at}: a record id was reused`).toBe(ledger.newIds.length);
  for (const [wsid, offsets] of ledger.wlogOffsets)
    expect(new Set(offsets).size, `${at}: a WLog offset of ${wsid} was reused`).toBe(offsets.length);
  expect(ledger.unexpected, `${at}: unexpected answers`).toEqual([]);
  return total;
}

describe('engine crash safety (child process, LMDB, SIGKILL under load)', () => {
  it(`keeps every acknowledged command exactly once across ${ROUNDS} SIGKILLs`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stoa-engine-crash-'));
    dirs.push(dataDir);
    const ledger = new Ledger();
    let engine = await startEngine(dataDir);
    const wsids = await createWorkspaces(engine);
    const killTimes: number[] = [];

    for (let round = 1; round <= ROUNDS; round++) {
      const stop = { now: false };
      const clients = Array.from({ length: CLIENTS }, (_, c) =>
        runClient(engine, wsids, ledger, `r${round}c${c}`, stop),
      );
      const killAfter = KILL_AFTER_MS.min + Math.random() * (KILL_AFTER_MS.max - KILL_AFTER_MS.min);
      killTimes.push(Math.round(killAfter));
      await sleep(killAfter);
      engine.child.kill('SIGKILL');
      await engine.exited;
      stop.now = true;
      await Promise.all(clients);

      engine = await startEngine(dataDir);
      const total = await verify(engine, wsids, ledger, round);
      expect(total).toBeGreaterThanOrEqual(ledger.inserted.size);
    }

    // The run must have been a real one: load at every kill, commands acknowledged and cut off.
    expect(ledger.acknowledged).toBeGreaterThan(ROUNDS * 20);
    expect(ledger.completed.size).toBeGreaterThan(0);
    expect(ledger.unknown).toBeGreaterThan(0);
    console.log(
      `crash test: ${ROUNDS} SIGKILLs at ${killTimes.join(', ')} ms; ${ledger.acknowledged} commands acknowledged ` +
        `(${ledger.inserted.size} inserts, ${ledger.completed.size} completions), ${ledger.unknown} cut off or 5xx, ` +
        `${ledger.newIds.length} distinct ids, workspaces ${wsids.join(', ')}`,
    );

    engine.child.kill('SIGTERM');
    await engine.exited;
    expect(engine.child.exitCode).toBe(0);
  }, 360_000);
});
