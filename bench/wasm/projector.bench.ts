// µs per invocation of examples/todo's two projectors (AssemblyScript, compiled as the engine does)
// for one `POST …/docs/todo.Task`, in-thread through the real WASM host (fuel on) and a real
// extension context over the in-memory storage driver:
//   npx tsx bench/wasm/projector.bench.ts [--quick]
// Rows:
// - todo.CountTasks (sync) — event(), get_view(TaskStats) → put_view. "miss": the TaskStats row is
//   only in storage (the 1st command of a group-commit batch); "write-set hit": the batch's write
//   set already holds it (the 2nd..Nth command of a batch).
// - the write-set hit answered asynchronously: a StateSource whose synchronous read always returns a
//   promise, so the guest suspends on get_view as before the host answered reads from memory (the
//   difference to the hit row is what that fast path saves; only where StateSource has it).
// - todo.CountByAssignee (async) — event() only (the task has no assignee).
// - the same on an event another extension already ran for (several extensions fired by one event:
//   the host encodes an event once, extensions/wasm/event-bytes.ts).
// Every invocation builds its event view (core/projectors.ts `toEventView`, as apply.ts and the
// async projector do per event) and its context (`buildExtensionContext`); the "context only" row is
// that part alone, so the difference is the invocation itself. Median of RUNS rounds after a warm-up.
//
// The host is not exported from @stoa/engine yet, hence the relative imports.

import { join } from 'node:path';
import { createMemDriver, createStorageProvider } from '@stoa/storage';
import type { QName } from '@stoa/vsql';
import pino from 'pino';
import { loadAppFromFolder } from '../../packages/engine/src/app/folder-loader.js';
import { buildExtensionContext, type BuiltContext } from '../../packages/engine/src/core/ext-context.js';
import { toEventView } from '../../packages/engine/src/core/projectors.js';
import { StateSource } from '../../packages/engine/src/core/state-source.js';
import type { StoredEvent, StoredViewRow } from '../../packages/engine/src/core/types.js';
import { viewRowKey } from '../../packages/engine/src/core/views.js';
import { flushItems, WriteSet } from '../../packages/engine/src/core/write-set.js';
import type { EventView } from '../../packages/engine/src/extensions/host.js';
import { createWasmHost } from '../../packages/engine/src/extensions/wasm/wasm-host.js';
import { AppStore } from '../../packages/engine/src/store/app-store.js';
import type { StorageKey } from '../../packages/engine/src/store/keys.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;
const N = quick ? 10_000 : 40_000;
const WSID = 140_000_000_001;
const PARTITION = 3;
const NOW = 1_700_000_000_000;

const bundle = await loadAppFromFolder(join(import.meta.dirname, '../../examples/todo'));
const { appdef } = bundle;
const host = await createWasmHost().load(bundle);

const storage = await createStorageProvider(createMemDriver()).openApp('bench/todo');
const store = new AppStore(storage);
const silent = pino({ level: 'silent' });
const statsDef = appdef.views['todo.TaskStats']!;
const statsRow = { Board: 0, Priority: 2, Open: 5, Done: 1 };
const statsWrite = {
  view: statsDef.qname,
  wsid: WSID,
  key: viewRowKey(statsDef, WSID, statsRow),
  value: { row: statsRow, offset: 1 },
};
{
  const seed = new WriteSet();
  seed.putView(statsWrite);
  await flushItems(storage, seed.toItems());
}
// A group-commit batch whose earlier command already put the row (apply.ts → putViewRow).
const batch = new WriteSet();
batch.putView(statsWrite);

// The insert as cud-resolve stores it: sys.QName, sys.ID, then the table's fields in AppDef order.
const taskDef = appdef.tables['todo.Task']!;
const body: Record<string, unknown> = { Title: 'bench task 17 in 3', Done: false, Priority: 2 };
let nextId = 322_000_000_001;
let offset = 10;
function newEvent(): EventView {
  const id = nextId++;
  const record: Record<string, unknown> = { 'sys.QName': 'todo.Task', 'sys.ID': id };
  for (const f of taskDef.fields) {
    if (f.name === 'sys.QName' || f.name === 'sys.ID') continue;
    const v = f.name === 'sys.IsActive' ? true : body[f.name];
    if (v !== undefined) record[f.name] = v;
  }
  const o = offset++;
  const event: StoredEvent = {
    qname: 'sys.CUD',
    wsid: WSID,
    partition: PARTITION,
    plogOffset: o,
    wlogOffset: o,
    registeredAt: NOW,
    cuds: [{ table: 'todo.Task', id, isNew: true, fields: record }],
    subject: 'bench',
  };
  return toEventView(event);
}

function context(qname: QName, event: EventView, writes: WriteSet, asyncOnly = false): BuiltContext {
  return buildExtensionContext({
    appdef,
    ext: appdef.extensions[qname]!,
    wsid: WSID,
    partition: PARTITION,
    state: asyncOnly ? new AsyncOnlyState(store, writes) : new StateSource(store, writes),
    writes,
    arg: event.arg,
    event,
    now: NOW,
    logger: silent,
    getSecret: () => Promise.resolve(undefined),
  });
}

interface Row {
  readonly what: string;
  readonly run: () => Promise<void> | void;
  readonly times: number[];
}
const rows: Row[] = [];
function row(what: string, run: () => Promise<void> | void): Row {
  const r = { what, run, times: [] };
  rows.push(r);
  return r;
}

/** A state source that answers every read with a promise: the guest always suspends. */
class AsyncOnlyState extends StateSource {
  override getViewRowNow(key: StorageKey): StoredViewRow | Promise<StoredViewRow | undefined> {
    const row = super.getViewRowNow(key);
    return row instanceof Promise ? row : Promise.resolve(row);
  }
}

async function invoke(
  qname: QName,
  event: EventView,
  writes: WriteSet,
  views: number,
  asyncOnly = false,
): Promise<void> {
  const built = context(qname, event, writes, asyncOnly);
  await host.invoke(qname, built.ctx);
  built.close();
  if (built.intents.views.length !== views) throw new Error(`${qname}: ${built.intents.views.length} view intents`);
}

const ctxOnly = row('context only (event view + context)', () => {
  context('todo.CountTasks', newEvent(), batch.child()).close();
});
const countMiss = row('todo.CountTasks, TaskStats row in storage (miss)', () =>
  invoke('todo.CountTasks', newEvent(), new WriteSet(), 1),
);
const countHit = row('todo.CountTasks, TaskStats row in the write set (hit)', () =>
  invoke('todo.CountTasks', newEvent(), batch.child(), 1),
);
// Only where the state source has the synchronous read (not on code from before it).
const hasFastPath = 'getViewRowNow' in StateSource.prototype;
const countHitAsync = hasFastPath
  ? row('todo.CountTasks, write-set hit answered asynchronously (suspends)', () =>
      invoke('todo.CountTasks', newEvent(), batch.child(), 1, true),
    )
  : undefined;
const byAssignee = row('todo.CountByAssignee', () => invoke('todo.CountByAssignee', newEvent(), new WriteSet(), 0));
// Another extension fired by the same event object ran first (here: CountTasks on the write-set hit).
let shared: EventView = newEvent();
const sharedEvent = row('todo.CountByAssignee, event already given to another extension', async () => {
  await invoke('todo.CountTasks', shared, batch.child(), 1);
  await invoke('todo.CountByAssignee', shared, new WriteSet(), 0);
  shared = newEvent();
});

/** µs per call of `r.run` over `n` calls. */
async function time(r: Row, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await r.run();
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

// Warm up; then per round alternate small batches of every row (drift hits all rows alike).
for (const r of rows) await time(r, Math.min(N, 5_000));
const BATCH = 200;
for (let round = 0; round < RUNS; round++) {
  const sums = rows.map(() => 0);
  for (let b = 0; b < N / BATCH; b++) {
    for (let i = 0; i < rows.length; i++) sums[i]! += await time(rows[i]!, BATCH);
  }
  rows.forEach((r, i) => r.times.push(sums[i]! / (N / BATCH)));
}

const base = median(ctxOnly.times);
console.log(`node ${process.version}, N=${N}, runs=${RUNS} (median)${quick ? ', --quick' : ''}`);
console.log('');
console.log('| invocation | µs total | µs beyond building event view + context |');
console.log('|---|---:|---:|');
for (const r of [ctxOnly, countMiss, countHit, countHitAsync, byAssignee]) {
  if (r === undefined) continue;
  const t = median(r.times);
  console.log(`| ${r.what} | ${t.toFixed(2)} | ${r === ctxOnly ? '—' : (t - base).toFixed(2)} |`);
}
// The shared row runs CountTasks (hit) + CountByAssignee on one event: subtract the hit row.
const sharedOnly = median(sharedEvent.times) - median(countHit.times) - base;
console.log(`| ${sharedEvent.what} | — | ${sharedOnly.toFixed(2)} |`);
await host.dispose();
