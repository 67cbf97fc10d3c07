import { createMemDriver, createStorageProvider, type AppStorage, type StorageProvider } from '@stoa/storage';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppStore } from '../store/app-store.js';
import type { RuntimeAppService } from './app-service.js';
import { runJobOnce } from './jobs.js';
import { getViewDef, viewRowKey } from './views.js';
import { createEngineCore, type EngineCoreHandle } from './engine-core.js';
import type { EngineCoreOptions } from './app-runtime.js';
import type { AppService } from './service.js';
import { asUser, memResources, todoBundle } from './test-kit.test-util.js';
import type { StoredEvent } from './types.js';
import { decodeValue } from '../store/value-codec.js';

const alice = asUser('alice');
const task = { Title: 't', Done: false, Priority: 1 };
const cores: EngineCoreHandle[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close();
});

/**
 * A provider whose writes of a batch's effects can be made to fail: `putBatch` (with `twoStep`,
 * a backend without `insertIfNotExistsWithBatch`, like Cassandra: a crash between the PLog commit
 * and the apply) or the one-commit `insertIfNotExistsWithBatch` (mem, LMDB).
 */
function faultyProvider(options: { twoStep?: boolean } = {}): {
  provider: StorageProvider;
  failApply: { on: boolean };
} {
  const inner = createStorageProvider(createMemDriver());
  const failApply = { on: false };
  const wrap = (s: AppStorage): AppStorage =>
    new Proxy(s, {
      get(target, prop) {
        if (prop === 'insertIfNotExistsWithBatch' && options.twoStep === true) return undefined;
        if ((prop === 'putBatch' || prop === 'insertIfNotExistsWithBatch') && failApply.on)
          return () => Promise.reject(new Error('disk on fire'));
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  return {
    failApply,
    provider: {
      driver: inner.driver,
      listApps: () => inner.listApps(),
      close: () => inner.close(),
      openApp: async (n) => wrap(await inner.openApp(n)),
    },
  };
}

async function start(
  provider: StorageProvider,
  options: EngineCoreOptions = {},
  limits = {},
): Promise<{ core: EngineCoreHandle; app: AppService }> {
  const core = await createEngineCore(memResources({ storage: provider, limits }), {
    projectorBackoffMs: { initial: 5, max: 20 },
    ...options,
  });
  cores.push(core);
  return { core, app: await core.loadApp(todoBundle()) };
}

async function plogStats(
  provider: StorageProvider,
  partition: number,
): Promise<{ rows: number; offsets: number[]; events: StoredEvent[] }> {
  const store = new AppStore(await provider.openApp('test/todo'));
  let rows = 0;
  const events: StoredEvent[] = [];
  for await (const row of store.readPLog(partition, 1)) {
    rows++;
    for (const b of row.events) events.push(decodeValue<StoredEvent>(b));
  }
  return { rows, offsets: events.map((e) => e.plogOffset), events };
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('partition processing', () => {
  it('group-commits concurrent commands: fewer PLog rows than commands, all acknowledged, dense offsets', async () => {
    const { provider } = faultyProvider();
    const { app } = await start(provider);
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'g', descriptor: { Title: 'G' } });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => app.insertDoc(alice, wsid, 'todo.Task', { ...task, Priority: i % 3 })),
    );
    expect(new Set(results.map((r) => r.currentWLogOffset)).size).toBe(100);
    const wlog = results.map((r) => r.currentWLogOffset).sort((a, b) => a - b);
    expect(wlog[99]! - wlog[0]!).toBe(99);
    const { rows, offsets } = await plogStats(provider, wsid % app.partitions);
    expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i + 1));
    expect(offsets.length).toBeGreaterThanOrEqual(101);
    expect(rows).toBeLessThan(100);
    const stats = await app.runQuery(alice, wsid, 'todo.Stats', undefined, {});
    expect(stats.results).toEqual([{ Open: 100, Done: 0 }]);
  });

  it('fails one bad command of a batch alone', async () => {
    const { provider } = faultyProvider();
    const { app } = await start(provider);
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'g', descriptor: { Title: 'G' } });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        app.insertDoc(
          alice,
          wsid,
          'todo.Task',
          i === 7 ? { ...task, Code: 'DUP' } : i === 8 ? { ...task, Code: 'DUP' } : task,
        ),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    expect((await app.listCDocs(alice, wsid, 'todo.Task', {})).results).toHaveLength(19);
  });

  it('answers 503 beyond the partition queue bound', async () => {
    const { provider } = faultyProvider();
    const { app } = await start(provider, { extensionTimeoutMs: 100 }, { maxPartitionQueue: 2 });
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'q', descriptor: { Title: 'Q' } });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => app.executeCommand(alice, wsid, 'todo.Hang', {})),
    );
    const codes = outcomes.map((o) =>
      o.status === 'rejected' ? (o.reason as { code: string; retryAfterSeconds?: number }).code : 'ok',
    );
    expect(codes.filter((c) => c === 'UNAVAILABLE').length).toBeGreaterThanOrEqual(4);
    const unavailable = outcomes.find(
      (o) => o.status === 'rejected' && (o.reason as { code: string }).code === 'UNAVAILABLE',
    );
    expect((unavailable as PromiseRejectedResult).reason).toMatchObject({ retryAfterSeconds: 1 });
  });

  it('recovers without a checkpoint: same state, counters not double counted, ids never reused', async () => {
    const { provider } = faultyProvider();
    const first = await start(provider);
    const { wsid } = await first.app.createWorkspace(alice, {
      kind: 'todo.TodoWS',
      name: 'r',
      descriptor: { Title: 'R' },
    });
    const ids: number[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await first.app.insertDoc(alice, wsid, 'todo.Task', { ...task, Priority: i % 2 })).newIDs!['1']!);
    await first.app.executeCommand(alice, wsid, 'todo.CompleteTask', { args: { TaskID: ids[0]! } });
    const before = await first.app.readView(alice, wsid, 'todo.TaskStats', { where: { Board: 0 } });
    await first.core.close({ checkpoint: false });
    cores.splice(cores.indexOf(first.core), 1);

    const second = await start(provider);
    expect(await second.app.readView(alice, wsid, 'todo.TaskStats', { where: { Board: 0 } })).toEqual(before);
    expect((await second.app.listCDocs(alice, wsid, 'todo.Task', {})).results).toHaveLength(5);
    const next = await second.app.insertDoc(alice, wsid, 'todo.Task', task);
    expect(next.newIDs!['1']!).toBeGreaterThan(Math.max(...ids));
    expect(next.currentWLogOffset).toBe(8);
    const { offsets } = await plogStats(provider, wsid % 2);
    expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i + 1));
  });

  it('re-applies a committed batch whose apply failed, before the next command (two-step backend)', async () => {
    const { provider, failApply } = faultyProvider({ twoStep: true });
    const { app } = await start(provider);
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'f', descriptor: { Title: 'F' } });
    failApply.on = true;
    await expect(app.insertDoc(alice, wsid, 'todo.Task', { ...task, Title: 'lost?' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    failApply.on = false;
    await app.insertDoc(alice, wsid, 'todo.Task', { ...task, Title: 'second' });
    const titles = (await app.listCDocs(alice, wsid, 'todo.Task', { order: ['Title'] })).results.map((r) => r.Title);
    expect(titles).toEqual(['lost?', 'second']);
    expect((await app.runQuery(alice, wsid, 'todo.Stats', undefined, {})).results).toEqual([{ Open: 2, Done: 0 }]);
  });

  it('restart after a committed-but-unapplied newest row (two-step backend): it is applied, earlier rows kept', async () => {
    const { provider, failApply } = faultyProvider({ twoStep: true });
    const first = await start(provider);
    const { wsid } = await first.app.createWorkspace(alice, {
      kind: 'todo.TodoWS',
      name: 'u',
      descriptor: { Title: 'U' },
    });
    const ids: number[] = [];
    for (const title of ['a', 'b', 'c'])
      ids.push((await first.app.insertDoc(alice, wsid, 'todo.Task', { ...task, Title: title })).newIDs!['1']!);
    failApply.on = true;
    await expect(first.app.insertDoc(alice, wsid, 'todo.Task', { ...task, Title: 'd' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    failApply.on = false;
    await first.core.close({ checkpoint: false });
    cores.splice(cores.indexOf(first.core), 1);

    // Recovery replays every row after the checkpoint for its sequences and re-applies the newest.
    const second = await start(provider);
    const titles = (await second.app.listCDocs(alice, wsid, 'todo.Task', { order: ['Title'] })).results.map(
      (r) => r.Title,
    );
    expect(titles).toEqual(['a', 'b', 'c', 'd']);
    expect((await second.app.runQuery(alice, wsid, 'todo.Stats', undefined, {})).results).toEqual([
      { Open: 4, Done: 0 },
    ]);
    const next = await second.app.insertDoc(alice, wsid, 'todo.Task', { ...task, Title: 'e' });
    expect(next.newIDs!['1']!).toBeGreaterThan(Math.max(...ids) + 1);
  });

  it('one-commit backend: a failed commit writes nothing, the command fails, the next one succeeds', async () => {
    const { provider, failApply } = faultyProvider();
    const { app } = await start(provider);
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'o', descriptor: { Title: 'O' } });
    const before = await plogStats(provider, wsid % app.partitions);
    failApply.on = true;
    await expect(app.insertDoc(alice, wsid, 'todo.Task', { ...task, Title: 'lost' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    failApply.on = false;
    await app.insertDoc(alice, wsid, 'todo.Task', { ...task, Title: 'second' });
    const titles = (await app.listCDocs(alice, wsid, 'todo.Task', {})).results.map((r) => r.Title);
    expect(titles).toEqual(['second']);
    expect((await app.runQuery(alice, wsid, 'todo.Stats', undefined, {})).results).toEqual([{ Open: 1, Done: 0 }]);
    const after = await plogStats(provider, wsid % app.partitions);
    expect(after.offsets).toEqual(Array.from({ length: before.offsets.length + 1 }, (_, i) => i + 1));
  });

  it('a batch that fails unexpectedly before its commit answers its commands (500, nothing written) and the next one succeeds', async () => {
    // The writer reads the clock once per command it executes; a clock that throws there stands
    // for a bug in the batch code (storage failures are handled separately, above).
    const clock = { failInBatch: false };
    const now = (): number => {
      if (clock.failInBatch && new Error().stack?.includes('executeBatch') === true) {
        clock.failInBatch = false;
        throw new Error('clock bug');
      }
      return Date.now();
    };
    const { provider } = faultyProvider();
    const core = await createEngineCore(memResources({ storage: provider, now }), {
      projectorBackoffMs: { initial: 5, max: 20 },
    });
    cores.push(core);
    const app = await core.loadApp(todoBundle());
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'u', descriptor: { Title: 'U' } });
    const before = await plogStats(provider, wsid % app.partitions);
    clock.failInBatch = true;
    await expect(app.insertDoc(alice, wsid, 'todo.Task', { ...task, Title: 'lost' })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('nothing was written') as unknown,
    });
    expect(clock.failInBatch).toBe(false);
    await app.insertDoc(alice, wsid, 'todo.Task', { ...task, Title: 'second' });
    expect((await app.listCDocs(alice, wsid, 'todo.Task', {})).results.map((r) => r.Title)).toEqual(['second']);
    const after = await plogStats(provider, wsid % app.partitions);
    expect(after.offsets).toEqual(Array.from({ length: before.offsets.length + 1 }, (_, i) => i + 1));
  });

  it('a batch that fails unexpectedly after its commit still answers with the committed result; the partition recovers', async () => {
    const { provider } = faultyProvider();
    const { core, app } = await start(provider);
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'c', descriptor: { Title: 'C' } });
    const partition = (core.getApp('test', 'todo') as RuntimeAppService).runtime.partitions[wsid % app.partitions]!;
    let armed = true;
    const off = partition.onApplied(() => {
      if (!armed) return;
      armed = false;
      throw new Error('listener bug');
    });
    const first = await app.insertDoc(alice, wsid, 'todo.Task', { ...task, Title: 'kept' });
    off();
    expect(armed).toBe(false);
    const second = await app.insertDoc(alice, wsid, 'todo.Task', { ...task, Title: 'next' });
    expect(second.currentWLogOffset).toBe(first.currentWLogOffset + 1);
    const titles = (await app.listCDocs(alice, wsid, 'todo.Task', {})).results.map((r) => r.Title);
    expect(titles.sort()).toEqual(['kept', 'next']);
    expect((await app.runQuery(alice, wsid, 'todo.Stats', undefined, {})).results).toEqual([{ Open: 2, Done: 0 }]);
    const { offsets } = await plogStats(provider, wsid % app.partitions);
    expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i + 1));
  });

  it('recovers from a checkpoint plus the PLog after it', async () => {
    const { provider } = faultyProvider();
    const first = await start(provider, { checkpointEveryEvents: 3 });
    const { wsid } = await first.app.createWorkspace(alice, {
      kind: 'todo.TodoWS',
      name: 'c',
      descriptor: { Title: 'C' },
    });
    for (let i = 0; i < 10; i++) await first.app.insertDoc(alice, wsid, 'todo.Task', task);
    await first.core.close({ checkpoint: false });
    cores.splice(cores.indexOf(first.core), 1);
    const store = new AppStore(await provider.openApp('test/todo'));
    const cp = await store.loadCheckpoint(wsid % 2);
    expect(cp!.appliedPLogOffset).toBeGreaterThan(3);
    const second = await start(provider);
    expect((await second.app.runQuery(alice, wsid, 'todo.Stats', undefined, {})).results).toEqual([
      { Open: 10, Done: 0 },
    ]);
    const r = await second.app.insertDoc(alice, wsid, 'todo.Task', task);
    expect(r.currentWLogOffset).toBe(12);
  });

  it('async projectors catch up after a restart; an always-failing one stalls only itself', async () => {
    const { provider } = faultyProvider();
    const first = await start(provider, { asyncProjectors: false });
    const { wsid } = await first.app.createWorkspace(alice, {
      kind: 'todo.TodoWS',
      name: 'a',
      descriptor: { Title: 'A' },
    });
    for (const who of ['bob', 'bob', 'carol'])
      await first.app.insertDoc(alice, wsid, 'todo.Task', { ...task, Assignee: who });
    expect((await first.app.readView(alice, wsid, 'todo.AssigneeLoad', { where: { Board: 0 } })).results).toEqual([]);
    await first.core.close();
    cores.splice(cores.indexOf(first.core), 1);

    const second = await start(provider);
    const load = await until(
      () => second.app.readView(alice, wsid, 'todo.AssigneeLoad', { where: { Board: 0 } }),
      (r) => r.results.length === 2,
    );
    expect(load.results).toEqual([
      { Board: 0, Assignee: 'bob', OpenTasks: 2 },
      { Board: 0, Assignee: 'carol', OpenTasks: 1 },
    ]);
    // Commands keep working while AlwaysFails retries; its offset never moves.
    await second.app.insertDoc(alice, wsid, 'todo.Task', { ...task, Assignee: 'carol' });
    await until(
      () => second.app.readView(alice, wsid, 'todo.AssigneeLoad', { where: { Board: 0, Assignee: 'carol' } }),
      (r) => r.results[0]?.OpenTasks === 2,
    );
    const store = new AppStore(await provider.openApp('test/todo'));
    expect(await store.loadProjectorOffset(wsid % 2, 'todo.AlwaysFails')).toBe(0);
    expect(await store.loadProjectorOffset(wsid % 2, 'todo.CountByAssignee')).toBeGreaterThan(0);
  });

  it('async projectors take the rows just applied from memory, not from the PLog', async () => {
    const { provider } = faultyProvider();
    const { app } = await start(provider);
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'm', descriptor: { Title: 'M' } });
    const bob = (): ReturnType<typeof app.readView> =>
      app.readView(alice, wsid, 'todo.AssigneeLoad', { where: { Board: 0, Assignee: 'bob' } });
    await app.insertDoc(alice, wsid, 'todo.Task', { ...task, Assignee: 'bob' });
    await until(bob, (r) => r.results[0]?.OpenTasks === 1);
    const reads = vi.spyOn(AppStore.prototype, 'readPLog');
    try {
      for (let i = 0; i < 5; i++) await app.insertDoc(alice, wsid, 'todo.Task', { ...task, Assignee: 'bob' });
      expect((await until(bob, (r) => r.results[0]?.OpenTasks === 6)).results).toEqual([
        { Board: 0, Assignee: 'bob', OpenTasks: 6 },
      ]);
      // todo.AlwaysFails retries from offset 1 (storage); CountByAssignee, a row behind, never reads it.
      expect(reads.mock.calls.filter(([, from]) => from > 1)).toEqual([]);
    } finally {
      reads.mockRestore();
    }
  });
});

describe('jobs', () => {
  it('runs a job in every app workspace and writes its view', async () => {
    const { provider } = faultyProvider();
    const { core } = await start(provider, { jobs: false });
    const service = core.getApp('test', 'todo') as RuntimeAppService;
    const runtime = service.runtime;
    const job = runtime.appdef.extensions['todo.Tick']!;
    await runJobOnce(runtime, runtime.partitions[1]!, job);
    await runJobOnce(runtime, runtime.partitions[1]!, job);
    const store = new AppStore(await provider.openApp('test/todo'));
    const def = getViewDef(runtime.appdef, 'todo.Ticks');
    const row = await store.getViewRow(viewRowKey(def, runtime.appWorkspaceWSID(1), { Bucket: 0, K: 0 }));
    expect(row?.row).toEqual({ Bucket: 0, K: 0, N: 2 });
    expect(await store.getViewRow(viewRowKey(def, runtime.appWorkspaceWSID(0), { Bucket: 0, K: 0 }))).toBeUndefined();
  });
});
