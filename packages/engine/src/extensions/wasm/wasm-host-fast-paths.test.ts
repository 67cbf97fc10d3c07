// The host's two shortcuts for projectors: reads the state already holds in memory (the batch's
// write set) answered without suspending the guest (StateReader `getRecordNow`/`getViewNow`), and
// one encoding of an event for every extension it fires (event-bytes.ts).
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildExtensionContext, type BuiltContext } from '../../core/ext-context.js';
import { StateSource } from '../../core/state-source.js';
import { viewRowKey } from '../../core/views.js';
import { WriteSet } from '../../core/write-set.js';
import type { AppStore } from '../../store/app-store.js';
import type { EventView, ExtensionContext, ReadViewOptions, ViewRow } from '../host.js';
import { EventBytes } from './event-bytes.js';
import { encodeForGuest, GuestEncoder } from './msgpack-encode.js';
import { createWasmHost, type LoadedWasmExtensions } from './wasm-host.js';
import {
  compileApp,
  createTestStore,
  guestWasm,
  makeBundle,
  NOW,
  TASK_ID,
  WSID,
  type GuestSource,
  type TestStore,
} from './wasm-host.test-util.js';

const appdef = compileApp();
let store: TestStore;

beforeAll(async () => {
  store = await createTestStore(appdef);
  await store.seedStats(1, 1, 5);
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function load(source: GuestSource): Promise<LoadedWasmExtensions> {
  return (await createWasmHost().load(makeBundle(appdef, guestWasm(source)))) as LoadedWasmExtensions;
}

const ROW = { Board: 1, K: 1, N: 42 };
const RECORD = { 'sys.ID': TASK_ID, 'sys.QName': 'wt.Task', 'sys.IsActive': true, Title: 'pending', Done: true };

/** A storage whose reads never answer (or answer `late` after a macrotask), counting them. */
function slowStore(late?: { row?: ViewRow }): { store: AppStore; reads: string[] } {
  const reads: string[] = [];
  const answer = <T>(value: T): Promise<T> =>
    late === undefined ? new Promise<T>(() => undefined) : new Promise<T>((r) => setTimeout(() => r(value), 5));
  const fake = {
    getRecord(): Promise<undefined> {
      reads.push('record');
      return answer(undefined);
    },
    getViewRow(): Promise<{ row: ViewRow; offset: number } | undefined> {
      reads.push('view');
      return answer(late?.row === undefined ? undefined : { row: late.row, offset: 1 });
    },
  };
  return { store: fake as unknown as AppStore, reads };
}

/** A real extension context over `writes` and a given store. */
function contextOver(source: AppStore, writes: WriteSet, qname = 'wt.Query'): BuiltContext {
  return buildExtensionContext({
    appdef,
    ext: appdef.extensions[qname]!,
    wsid: WSID,
    partition: 0,
    state: new StateSource(source, writes),
    writes,
    now: NOW,
    logger: pino({ level: 'silent' }),
    getSecret: () => Promise.resolve(undefined),
  });
}

/** A command's write set over its batch's: the row pending in the batch, the record in the command. */
function pendingWrites(): WriteSet {
  const batch = new WriteSet();
  const def = appdef.views['wt.Stats']!;
  batch.putView({ view: def.qname, wsid: WSID, key: viewRowKey(def, WSID, ROW), value: { row: ROW, offset: 1 } });
  const writes = batch.child();
  writes.putRecord(WSID, RECORD);
  return writes;
}

/** Rejects if `p` has not settled within `ms` (a guest suspended on a read that never answers). */
function within<T>(p: Promise<T>, ms = 1_000): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('still waiting')), ms))]);
}

describe('reads answered from memory', () => {
  const READS = {
    data: { stats: 'wt.Stats', key: { Board: 1, K: 1 } },
    exports: {
      Query: `(call $echo (call $get_view {stats} {key})) (call $echo (call $get_record (i64.const ${TASK_ID})))`,
    },
  };

  it('the context answers a write-set hit with the value itself, a miss with a promise, a denied read by throwing', async () => {
    const { store: source, reads } = slowStore({ row: { Board: 1, K: 2, N: 7 } });
    const { ctx } = contextOver(source, pendingWrites());
    expect(ctx.state.getViewNow!('wt.Stats', { Board: 1, K: 1 })).toEqual(ROW);
    expect(ctx.state.getRecordNow!(TASK_ID)).toEqual(RECORD);
    expect(reads).toEqual([]);
    const miss = ctx.state.getViewNow!('wt.Stats', { Board: 1, K: 2 });
    expect(miss).toBeInstanceOf(Promise);
    expect(await miss).toEqual({ Board: 1, K: 2, N: 7 });
    // The async methods are the same reads.
    expect(await ctx.state.getView('wt.Stats', { Board: 1, K: 1 })).toEqual(ROW);
    expect(await ctx.state.getRecord(TASK_ID)).toEqual(RECORD);
    const narrow = contextOver(source, pendingWrites(), 'wt.Narrow').ctx;
    expect(() => narrow.state.getRecordNow!(TASK_ID)).toThrow('wt.Narrow may not read sys.Record: not in its STATE');
    await expect(narrow.state.getRecord(TASK_ID)).rejects.toThrow('wt.Narrow may not read sys.Record');
  });

  it('get_view and get_record of values in the write set never wait for storage (no suspension)', async () => {
    const loaded = await load(READS);
    const { store: source, reads } = slowStore(); // storage would never answer
    const built = contextOver(source, pendingWrites());
    await within(loaded.invoke('wt.Query', built.ctx));
    expect(built.intents.results).toEqual([ROW, RECORD]);
    expect(reads).toEqual([]);
  });

  it('a miss still suspends the guest and reads storage', async () => {
    const loaded = await load(READS);
    const { store: source, reads } = slowStore({ row: ROW });
    const built = contextOver(source, new WriteSet());
    await within(loaded.invoke('wt.Query', built.ctx));
    expect(built.intents.results).toEqual([ROW, { absent: true }]);
    expect(reads).toEqual(['view', 'record']);
  });

  it('a context without the fast paths (the async methods only) is served as before', async () => {
    const loaded = await load(READS);
    const built = store.context('wt.Query', { writes: pendingWrites() });
    const full = built.ctx.state;
    const ctx: ExtensionContext = {
      ...built.ctx,
      state: {
        getView: (view, key) => full.getView(view, key),
        getRecord: (id) => full.getRecord(id),
        readView: (view, prefix, options) => full.readView(view, prefix, options),
        getAppSecret: (name) => full.getAppSecret(name),
      },
    };
    await loaded.invoke('wt.Query', ctx);
    expect(built.intents.results).toEqual([ROW, RECORD]);
  });
});

function eventView(plogOffset: number, title: string): EventView {
  const fields = { 'sys.ID': TASK_ID + plogOffset, 'sys.QName': 'wt.Task', 'sys.IsActive': true, Title: title };
  return {
    qname: 'sys.CUD',
    wsid: WSID,
    plogOffset,
    wlogOffset: plogOffset,
    registeredAt: NOW,
    arg: undefined,
    cuds: [{ table: 'wt.Task', id: TASK_ID + plogOffset, isNew: true, fields, record: fields }],
  };
}

/** The event as the guest echoes it back (undefined properties are left out on the wire). */
function echoed(event: EventView): unknown {
  const { arg: _arg, ...rest } = event;
  return rest;
}

describe('one encoding per event', () => {
  it('EventBytes: the same event object gives the same bytes without encoding again; another event is encoded', () => {
    const slot = new EventBytes();
    const a = eventView(1, 'a');
    const n = slot.encode(a);
    expect(slot.encode(a)).toBe(n);
    expect(slot.encodes).toBe(1);
    expect(Buffer.from(slot.bytes(a, n))).toEqual(Buffer.from(encodeForGuest(a)));
    // Equal content, different object: encoded on its own, never mistaken for the first.
    const twin = eventView(1, 'a');
    const b = eventView(2, 'another title');
    expect(slot.encode(twin)).toBe(n);
    const m = slot.encode(b);
    expect(slot.encodes).toBe(3);
    expect(Buffer.from(slot.bytes(b, m))).toEqual(Buffer.from(encodeForGuest(b)));
    // A pending value of an event the slot has moved away from: encoded again, still its own bytes.
    expect(Buffer.from(slot.bytes(a, n))).toEqual(Buffer.from(encodeForGuest(a)));
    // An event mutated after it was encoded is refused rather than sent with the wrong length.
    slot.encode(b);
    (a as { wsid: number }).wsid = 1; // 1 byte instead of 9
    expect(() => slot.bytes(a, n)).toThrow('stoa.take: the event changed after it was encoded');
  });

  const ECHO = { exports: { Query: '(call $echo (call $event))', Cmd: '(call $echo (call $event))' } };

  it('the extensions one event fires share its encoding; each event is encoded once', async () => {
    const loaded = await load(ECHO);
    const encode = vi.spyOn(GuestEncoder.prototype, 'encode');
    const first = eventView(10, 'first');
    const second = eventView(11, 'second');
    const results = [];
    for (const [qname, event] of [
      ['wt.Query', first],
      ['wt.Cmd', first],
      ['wt.Query', second],
      ['wt.Cmd', second],
    ] as const) {
      const built = store.context(qname, { event });
      await loaded.invoke(qname, built.ctx);
      results.push(...built.intents.results);
    }
    expect(results).toEqual([echoed(first), echoed(first), echoed(second), echoed(second)]);
    const events = encode.mock.calls.filter(([v]) => v === first || v === second).map(([v]) => v);
    expect(events).toEqual([first, second]);
  });

  it('a guest suspended with its event pending gets its own event after another instance took a different one', async () => {
    // event(), then a read_view (its answer is a handle, so the event stays pending), then take.
    const loaded = await load({
      data: { stats: 'wt.Stats', prefix: { Board: 1 } },
      exports: {
        Query: `(local $n i32) (local.set $n (call $event))
          (drop (call $read_view {stats} {prefix} (i32.const -1) (i32.const 0)))
          (call $echo (local.get $n))`,
      },
    });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const a = eventView(20, 'suspended');
    const b = eventView(21, 'in between, on another instance');
    const builtA = store.context('wt.Query', { event: a });
    const { state } = builtA.ctx;
    const readView = (view: string, prefix: Readonly<Record<string, unknown>>, options?: ReadViewOptions) =>
      (async function* () {
        await gate;
        yield* state.readView(view, prefix, options);
      })();
    const runA = loaded.invoke('wt.Query', { ...builtA.ctx, state: { ...state, readView } });
    const builtB = store.context('wt.Query', { event: b });
    await loaded.invoke('wt.Query', builtB.ctx);
    expect(builtB.intents.results).toEqual([echoed(b)]);
    open();
    await runA;
    expect(builtA.intents.results).toEqual([echoed(a)]);
  });
});
