import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@stoa/errors';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EventView } from '../host.js';
import { Guest } from './guest.js';
import { clearPreparedMemo, prepareModule } from './instrument.js';
import { createWasmHost, type LoadedWasmExtensions, type WasmHostOptions } from './wasm-host.js';
import {
  asString,
  captureLogger,
  compileApp,
  createTestStore,
  guestWasm,
  makeBundle,
  NOW,
  STOA_IMPORTS,
  TASK_ID,
  WSID,
  type GuestSource,
  type TestStore,
} from './wasm-host.test-util.js';

const appdef = compileApp();
let store: TestStore;
const TASK = { Title: 'a', Done: false, Big: '9007199254740993', Data: new Uint8Array([1, 2, 3]) };
const STORED_TASK = { 'sys.ID': TASK_ID, 'sys.QName': 'wt.Task', 'sys.IsActive': true, ...TASK };
const ABSENT = { absent: true };

beforeAll(async () => {
  store = await createTestStore(appdef);
  await store.seedTask(TASK_ID, TASK);
  await store.seedStats(1, 1, 5);
  await store.seedStats(1, 2, 7);
  await store.seedStats(1, 3, 9);
  await store.seedStats(2, 1, 100);
});

async function load(source: GuestSource, options?: WasmHostOptions): Promise<LoadedWasmExtensions> {
  return (await createWasmHost(options).load(makeBundle(appdef, guestWasm(source)))) as LoadedWasmExtensions;
}

/** Runs `qname` in a fresh context and returns what it collected. */
async function run(
  loaded: LoadedWasmExtensions,
  qname: string,
  input: Parameters<TestStore['context']>[1] = {},
): Promise<ReturnType<TestStore['context']>['intents']> {
  const built = store.context(qname, input);
  try {
    await loaded.invoke(qname, built.ctx);
  } finally {
    built.close();
  }
  return built.intents;
}

describe('WASM host: reading through the pending-value protocol', () => {
  it('context, arg and unlogged_arg produce MessagePack maps; an absent argument is -1', async () => {
    const loaded = await load({
      exports: {
        Cmd: '(call $echo (call $context)) ',
        Query: '(call $echo (call $arg)) (call $echo (call $unlogged_arg))',
        Narrow: '(call $echo (call $unlogged_arg))',
      },
    });
    const arg = { TaskID: TASK_ID, Note: 'n' };
    expect((await run(loaded, 'wt.Cmd', { arg })).results).toEqual([
      { abi: 1, qname: 'wt.Cmd', kind: 'command', wsid: WSID, partition: 0, now: NOW },
    ]);
    expect((await run(loaded, 'wt.Query', { arg, unloggedArg: { Pin: '1234' } })).results).toEqual([
      arg,
      { Pin: '1234' },
    ]);
    expect((await run(loaded, 'wt.Narrow')).results).toEqual([ABSENT]);
  });

  it('event: the projector event map (cuds, arg) travels whole', async () => {
    const loaded = await load({ exports: { Query: '(call $echo (call $event)) ' } });
    const event: EventView = {
      qname: 'sys.CUD',
      wsid: WSID,
      plogOffset: 10,
      wlogOffset: 4,
      registeredAt: NOW,
      arg: undefined,
      cuds: [{ table: 'wt.Task', id: TASK_ID, isNew: true, fields: { Title: 'x', Done: false } }],
    };
    const [echoed] = (await run(loaded, 'wt.Query', { event })).results;
    expect(echoed).toEqual({
      qname: 'sys.CUD',
      wsid: WSID,
      plogOffset: 10,
      wlogOffset: 4,
      registeredAt: NOW,
      cuds: [{ table: 'wt.Task', id: TASK_ID, isNew: true, fields: { Title: 'x', Done: false } }],
    });
    expect((await run(loaded, 'wt.Query')).results).toEqual([ABSENT]);
  });

  it('get_record: found (int64 beyond 2^53 as its decimal str, bytes as bin) and absent', async () => {
    const loaded = await load({
      exports: {
        Query: `(call $echo (call $get_record (i64.const ${TASK_ID}))) (call $echo (call $get_record (i64.const 999)))`,
      },
    });
    expect((await run(loaded, 'wt.Query')).results).toEqual([STORED_TASK, ABSENT]);
  });

  it('get_record sees the pending writes of the command (the write set), not only storage', async () => {
    const loaded = await load({ exports: { Query: `(call $echo (call $get_record (i64.const ${TASK_ID + 1})))` } });
    const { WriteSet } = await import('../../core/write-set.js');
    const writes = new WriteSet();
    const pending = { 'sys.ID': TASK_ID + 1, 'sys.QName': 'wt.Task', 'sys.IsActive': true, Title: 'p', Done: true };
    writes.putRecord(WSID, pending);
    expect((await run(loaded, 'wt.Query', { writes })).results).toEqual([pending]);
  });

  it('get_view: the row for a full key, or -1', async () => {
    const loaded = await load({
      data: { stats: 'wt.Stats', key: { Board: 1, K: 2 }, missing: { Board: 1, K: 42 } },
      exports: { Query: '(call $echo (call $get_view {stats} {key})) (call $echo (call $get_view {stats} {missing}))' },
    });
    expect((await run(loaded, 'wt.Query')).results).toEqual([{ Board: 1, K: 2, N: 7 }, ABSENT]);
  });

  it('read_view + next: key order, limit, reverse; next keeps answering -1 at the end', async () => {
    // Three reads in one call (three suspensions), each drained; a marker row between them.
    const drain = (limit: number, reverse: number): string => `
      (local.set $h (call $read_view {stats} {prefix} (i32.const ${limit}) (i32.const ${reverse})))
      (block $done (loop $more
        (local.set $n (call $next (local.get $h)))
        (br_if $done (i32.lt_s (local.get $n) (i32.const 0)))
        (call $echo (local.get $n))
        (br $more)))
      (if (i32.ge_s (call $next (local.get $h)) (i32.const 0)) (then (unreachable)))
      (call $result {marker})`;
    const loaded = await load({
      data: { stats: 'wt.Stats', prefix: { Board: 1 }, marker: { marker: true } },
      extra: `(func $drainAll (local $h i32) (local $n i32) ${drain(-1, 0)} ${drain(2, 0)} ${drain(-1, 1)} ${drain(0, 0)})`,
      exports: { Query: '(call $drainAll)' },
    });
    const rows = (k: number[]): unknown[] => k.map((K) => ({ Board: 1, K, N: 3 + 2 * K }));
    const marker = { marker: true };
    expect((await run(loaded, 'wt.Query')).results).toEqual([
      ...rows([1, 2, 3]),
      marker,
      ...rows([1, 2]),
      marker,
      ...rows([3, 2, 1]),
      marker,
      marker,
    ]);
  });

  it('next with an unknown handle fails the call naming the import', async () => {
    const loaded = await load({ exports: { Query: '(drop (call $next (i32.const 3)))' } });
    await expect(run(loaded, 'wt.Query')).rejects.toThrow('extension wt.Query: stoa.next: unknown iterator handle 3');
  });

  it('secret: raw UTF-8 (not MessagePack), or -1', async () => {
    // The secret comes back through stoa.response's message, the one string-valued intent.
    const loaded = await load({
      data: { name: 'api-key', none: 'none' },
      extra: `(func $sendSecret (local $n i32) (local $p i32)
        (local.set $n (call $secret {name}))
        (if (i32.lt_s (local.get $n) (i32.const 0)) (then (call $response (i32.const 404) {none}) (return)))
        (local.set $p (call $alloc (local.get $n)))
        (call $take (local.get $p))
        (call $response (i32.const 200) (local.get $p) (local.get $n)))`,
      exports: { Cmd: '(call $sendSecret)' },
    });
    const secret = (name: string): Promise<string | undefined> =>
      Promise.resolve(name === 'api-key' ? 'sésame ✓' : undefined);
    expect((await run(loaded, 'wt.Cmd', { secret })).response).toEqual({ status: 200, message: 'sésame ✓' });
    expect((await run(loaded, 'wt.Cmd')).response).toEqual({ status: 404, message: 'none' });
  });

  it('take and the other imports follow memory.grow (the old buffer is detached)', async () => {
    const loaded = await load({
      data: { stats: 'wt.Stats', key: { Board: 1, K: 3 } },
      exports: {
        Query: `(drop (memory.grow (i32.const 1))) (call $echo (call $context))
          (drop (memory.grow (i32.const 2))) (call $echo (call $get_view {stats} {key}))`,
      },
    });
    const { results } = await run(loaded, 'wt.Query');
    expect(results).toEqual([expect.objectContaining({ qname: 'wt.Query' }), { Board: 1, K: 3, N: 9 }]);
  });

  it('take: nothing pending, or a range outside memory, fails the call naming stoa.take', async () => {
    const loaded = await load({
      exports: {
        Cmd: '(call $take (i32.const 64))',
        Query: '(drop (call $context)) (call $take (i32.const 65530))',
      },
    });
    await expect(run(loaded, 'wt.Cmd')).rejects.toThrow('extension wt.Cmd: stoa.take: nothing pending');
    await expect(run(loaded, 'wt.Query')).rejects.toThrow(
      /^extension wt\.Query: stoa\.take: range 65530\+\d+ is outside the guest's memory \(65536 bytes\)$/,
    );
  });
});

describe('WASM host: intents', () => {
  it('insert_record returns the new id, update_record and result are collected', async () => {
    const loaded = await load({
      data: { task: 'wt.Task', fields: { Title: 'new', Done: false }, done: { Done: true }, out: { ok: true } },
      exports: {
        Cmd: `(call $update_record (call $insert_record {task} {fields}) {done}) (call $result {out})`,
      },
    });
    const intents = await run(loaded, 'wt.Cmd');
    expect(intents.inserts).toHaveLength(1);
    const { id } = intents.inserts[0]!;
    expect(intents.inserts[0]).toEqual({ table: 'wt.Task', id, fields: { Title: 'new', Done: false } });
    expect(intents.updates).toEqual([{ id, fields: { Done: true } }]);
    expect(intents.results).toEqual([{ ok: true }]);
  });

  it('put_view from a projector; int64 beyond 2^53 from the guest arrives as a BigInt', async () => {
    const loaded = await load({
      data: { stats: 'wt.Stats', row: { Board: 3, K: 1, N: 2n ** 60n } },
      exports: { Count: '(call $put_view {stats} {row})' },
    });
    expect((await run(loaded, 'wt.Count')).views).toEqual([
      { view: 'wt.Stats', row: { Board: 3, K: 1, N: 2n ** 60n } },
    ]);
  });

  it('response records the status and message (the core turns it into the answer)', async () => {
    const loaded = await load({
      data: { msg: 'task missing' },
      exports: { Cmd: '(call $response (i32.const 404) {msg})' },
    });
    expect((await run(loaded, 'wt.Cmd')).response).toEqual({ status: 404, message: 'task missing' });
  });

  it('log: levels 0/1/2 go to the context logger with the extension; lines beyond the cap are dropped with one warning', async () => {
    const loaded = await load(
      {
        data: { i: 'info line', w: 'warn line', e: 'error line', spam: 'spam' },
        exports: {
          Cmd: '(call $log (i32.const 0) {i}) (call $log (i32.const 1) {w}) (call $log (i32.const 2) {e})',
          Query: `(local $k i32) (block $done (loop $more
            (br_if $done (i32.ge_u (local.get $k) (i32.const 8)))
            (call $log (i32.const 0) {spam}) (local.set $k (i32.add (local.get $k) (i32.const 1))) (br $more)))`,
          Narrow: '(call $log (i32.const 3) {i})',
        },
      },
      { maxLogLines: 5 },
    );
    const cmd = captureLogger();
    await run(loaded, 'wt.Cmd', { logger: cmd.logger });
    expect(cmd.lines.map((l) => [l.level, l.msg, l.extension])).toEqual([
      [30, 'info line', 'wt.Cmd'],
      [40, 'warn line', 'wt.Cmd'],
      [50, 'error line', 'wt.Cmd'],
    ]);
    const query = captureLogger();
    await run(loaded, 'wt.Query', { logger: query.logger });
    expect(query.lines.map((l) => l.msg)).toEqual([
      ...Array<string>(5).fill('spam'),
      'more than 5 log lines in one call: the rest are dropped',
    ]);
    await expect(run(loaded, 'wt.Narrow')).rejects.toThrow('extension wt.Narrow: stoa.log: level 3 is not 0, 1 or 2');
  });

  it('env.trace goes to the trace logger at debug; env.seed gives a float in [0, 1)', async () => {
    const { logger, lines } = captureLogger();
    const loaded = await load(
      {
        imports: `${STOA_IMPORTS}
          (import "env" "trace" (func $trace (param i32 i32 f64 f64 f64 f64 f64)))
          (import "env" "seed" (func $seed (result f64)))`,
        data: { msg: asString('tick') },
        exports: {
          Cmd: `(call $trace {msg.as} (i32.const 2) (f64.const 1.5) (f64.const 2) (f64.const 0) (f64.const 0) (f64.const 0))
            (if (f64.ge (call $seed) (f64.const 1)) (then (unreachable)))
            (if (f64.lt (call $seed) (f64.const 0)) (then (unreachable)))`,
        },
      },
      { logger },
    );
    await run(loaded, 'wt.Cmd');
    expect(lines.map((l) => [l.level, l.msg, l.extension, l.wsid])).toEqual([
      [20, 'trace: tick 1.5, 2', 'wt.Cmd', WSID],
    ]);
  });
});

describe('WASM host: suspension and instances', () => {
  const REPORT = { exports: { Cmd: '(drop (call $get_record (i64.const 1))) (call $reportCalls)' } };

  it('a read answered after a macrotask suspends and resumes the guest with its locals intact', async () => {
    const loaded = await load({
      data: { name: 'slow' },
      exports: {
        Query: `(local $x i32) (local.set $x (i32.const 7))
          (call $echo (call $secret {name}))
          (if (i32.ne (local.get $x) (i32.const 7)) (then (unreachable)))
          (call $reportCalls)`,
      },
    });
    const secret = (): Promise<string | undefined> =>
      new Promise((resolve) => setTimeout(() => resolve(undefined), 20));
    expect((await run(loaded, 'wt.Query', { secret })).results).toEqual([ABSENT, { calls: 1 }]);
    expect((await run(loaded, 'wt.Query', { secret })).results).toEqual([ABSENT, { calls: 2 }]);
  });

  it('instances are reused per partition; concurrent calls on one partition use two instances', async () => {
    const loaded = await load(REPORT);
    expect((await run(loaded, 'wt.Cmd')).results).toEqual([{ calls: 1 }]);
    expect((await run(loaded, 'wt.Cmd')).results).toEqual([{ calls: 2 }]);
    expect(loaded.idleInstances('wt', 0)).toBe(1);
    // Another partition has its own pool.
    expect((await run(loaded, 'wt.Cmd', { partition: 1 })).results).toEqual([{ calls: 1 }]);
    // Two calls at once: the first holds its instance while suspended in get_record.
    const [a, b] = await Promise.all([run(loaded, 'wt.Cmd'), run(loaded, 'wt.Cmd')]);
    expect([a.results, b.results]).toEqual([[{ calls: 3 }], [{ calls: 1 }]]);
    expect(loaded.idleInstances('wt', 0)).toBe(2);
    expect(loaded.idleInstances('wt')).toBe(3);
  });

  it('a guest suspended on a read that never ends holds only its own instance; dispose drops the pools', async () => {
    const loaded = await load({
      data: { name: 'x' },
      exports: { Query: '(drop (call $secret {name}))', ...REPORT.exports },
    });
    const built = store.context('wt.Query', { secret: () => new Promise<undefined>(() => undefined) });
    void loaded.invoke('wt.Query', built.ctx);
    expect((await run(loaded, 'wt.Cmd')).results).toEqual([{ calls: 1 }]);
    built.close();
    await loaded.dispose();
    expect(loaded.idleInstances('wt')).toBe(0);
    await expect(run(loaded, 'wt.Cmd')).rejects.toThrow('extension wt.Cmd: its app was unloaded');
  });

  it('an undefined extension is a 404', async () => {
    const loaded = await load(REPORT);
    await expect(loaded.invoke('wt.Nope', store.context('wt.Cmd').ctx)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('WASM host: declared STATE and INTENTS', () => {
  it('an undeclared read or intent fails with the context’s own error naming the storage; the instance is replaced', async () => {
    const loaded = await load({
      data: { stats: 'wt.Stats', key: { Board: 1, K: 1 }, task: 'wt.Task', fields: { Title: 'x', Done: false } },
      exports: {
        Narrow: `(call $reportCalls) (drop (call $get_record (i64.const ${TASK_ID})))`,
        Query: '(drop (call $get_view {stats} {key})) (call $reportCalls)',
        Count: '(drop (call $insert_record {task} {fields}))',
      },
    });
    const denied = await run(loaded, 'wt.Narrow').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AppError);
    expect(denied).toMatchObject({ code: 'INTERNAL', message: 'wt.Narrow may not read sys.Record: not in its STATE' });
    await expect(run(loaded, 'wt.Count')).rejects.toThrow(
      'wt.Count may not write sys.Record(wt.Task): not in its INTENTS',
    );
    // Declared: fine, and the failing calls' instances were discarded (a fresh one counts 1).
    expect((await run(loaded, 'wt.Query')).results).toEqual([{ calls: 1 }]);
  });
});

describe('WASM host: fuel', () => {
  it('a start function runs on the call budget (the module is instrumented with it as initial fuel)', async () => {
    const loaded = await load({
      extra: `(global $ready (mut i32) (i32.const 0))
        (func $init (local $k i32)
          (loop $spin (local.set $k (i32.add (local.get $k) (i32.const 1))) (br_if $spin (i32.lt_u (local.get $k) (i32.const 1000))))
          (global.set $ready (i32.const 1)))
        (start $init)`,
      exports: { Cmd: '(if (i32.eqz (global.get $ready)) (then (unreachable))) (call $reportCalls)' },
    });
    expect((await run(loaded, 'wt.Cmd')).results).toEqual([{ calls: 1 }]);
  });

  // 'disk': the same check on a module served from the disk cache (no binaryen on that path).
  it.each(['miss', 'disk'] as const)('a suspension costs no fuel, module prepared: %s', async (source) => {
    // Same straight-line padding in both; one then reads (suspends), the other does not.
    const pad = Array.from({ length: 50 }, () => '(drop (i32.add (i32.const 1) (i32.const 2)))').join(' ');
    const wasm = guestWasm({
      exports: {
        Query: `${pad} (drop (call $get_record (i64.const 1)))`,
        Narrow: `${pad} (drop (call $get_view (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))`,
      },
    });
    const cacheDir = await mkdtemp(join(tmpdir(), 'stoa-wasm-host-test-'));
    clearPreparedMemo();
    let result = await prepareModule(wasm, { cacheDir });
    if (source === 'disk') {
      clearPreparedMemo();
      result = await prepareModule(wasm, { cacheDir });
    }
    await rm(cacheDir, { recursive: true, force: true });
    if (!result.ok) throw new Error(result.problems.join('; '));
    const { prepared } = result;
    expect(prepared.cached).toBe(source);
    const limits = {
      fuel: 1_000_000,
      maxMemoryBytes: 1 << 24,
      maxValueBytes: 1 << 20,
      maxIntents: 10,
      maxLogLines: 10,
    };
    const used = async (name: string, qname: string): Promise<bigint> => {
      const guest = new Guest(prepared, limits, undefined);
      const built = store.context(qname);
      try {
        await guest.call(guest.entryPoint(name)!, built.ctx);
      } catch {
        // Narrow fails on purpose, after its padding and before any suspension.
      }
      return 1_000_000n - guest.fuelLeft();
    };
    // get_record suspends and completes; get_view with an empty name fails before suspending.
    const suspended = await used('Query', 'wt.Query');
    const direct = await used('Narrow', 'wt.Narrow');
    expect(suspended).toBeGreaterThan(150n);
    expect(suspended - direct).toBeLessThanOrEqual(4n);
    expect(suspended - direct).toBeGreaterThanOrEqual(-4n);
  });
});
