// The WASM extension host's per-invocation cost, in-thread, through the real host with a real
// extension context over a mem store (fuel metering on):
//   npx tsx bench/wasm/host.bench.ts [--quick]
// Rows: an empty extension, a command doing one get_record + one update_record, a projector doing
// one get_view + one put_view — each against the same reads/intents done from TypeScript on the same
// context (for the empty row: building the context only), so the difference is the host's own cost.
// Each row is the median of RUNS timed runs after a warm-up. Targets: ≤ 5 µs empty, ≤ 10 µs read + intent.
//
// The host is not exported from @stoa/engine yet, hence the relative imports.

import { createWasmHost } from '../../packages/engine/src/extensions/wasm/wasm-host.js';
import {
  compileApp,
  createTestStore,
  guestWasm,
  makeBundle,
  TASK_ID,
} from '../../packages/engine/src/extensions/wasm/wasm-host.test-util.js';
import type { BuiltContext } from '../../packages/engine/src/core/ext-context.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;
const N = quick ? 20_000 : 100_000;

const appdef = compileApp();
const store = await createTestStore(appdef);
await store.seedTask(TASK_ID, { Title: 'bench', Done: false });
await store.seedStats(1, 1, 5);

// Cmd: get_record(TASK_ID) → take → update_record(TASK_ID, {Done: true}).
// Count: get_view(Stats, {Board 1, K 1}) → take → put_view(Stats, {Board 1, K 1, N 6}).
// Query: nothing (the empty extension).
const wasm = guestWasm({
  data: {
    stats: 'wt.Stats',
    key: { Board: 1, K: 1 },
    row: { Board: 1, K: 1, N: 6 },
    done: { Done: true },
  },
  extra: `(func $takeIt (param $n i32) (if (i32.ge_s (local.get $n) (i32.const 0)) (then (call $take (call $alloc (local.get $n))))))`,
  exports: {
    Cmd: `(call $takeIt (call $get_record (i64.const ${TASK_ID}))) (call $update_record (i64.const ${TASK_ID}) {done})`,
    Count: `(call $takeIt (call $get_view {stats} {key})) (call $put_view {stats} {row})`,
  },
});

const bundle = makeBundle(appdef, wasm);
const host = await createWasmHost().load(bundle);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type Step = (built: BuiltContext) => Promise<void> | void;

const steps: { qname: string; step: Step; times: number[] }[] = [];
function step(qname: string, fn: Step): { times: number[] } {
  const s = { qname, step: fn, times: [] as number[] };
  steps.push(s);
  return s;
}

/** Time of `n` invocations of step `s`, in µs per invocation. */
async function runStep(s: (typeof steps)[number], n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const built = store.context(s.qname);
    await s.step(built);
    built.close();
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

// The TypeScript columns do the same reads and intents on the same context: what the engine pays
// for the state access itself, whatever the host. For the empty row: building the context only.
const ctxOnly = step('wt.Query', () => undefined);
const empty = step('wt.Query', (b) => host.invoke('wt.Query', b.ctx));
const cmdTs = step('wt.Cmd', async (b) => {
  await b.ctx.state.getRecord(TASK_ID);
  b.ctx.intents.updateRecord(TASK_ID, { Done: true });
});
const cmd = step('wt.Cmd', async (b) => {
  await host.invoke('wt.Cmd', b.ctx);
  if (b.intents.updates.length !== 1) throw new Error('no update intent');
});
const projTs = step('wt.Count', async (b) => {
  await b.ctx.state.getView('wt.Stats', { Board: 1, K: 1 });
  b.ctx.intents.putView('wt.Stats', { Board: 1, K: 1, N: 6 });
});
const proj = step('wt.Count', async (b) => {
  await host.invoke('wt.Count', b.ctx);
  if (b.intents.views.length !== 1) throw new Error('no view intent');
});

// Warm every step up; then, per run, alternate small batches of every step (so that drift — GC,
// other load on the machine — hits all rows alike) and keep each step's mean for the run.
for (const s of steps) await runStep(s, Math.min(N, 20_000));
const BATCH = 200;
for (let r = 0; r < RUNS; r++) {
  const sums = steps.map(() => 0);
  for (let b = 0; b < N / BATCH; b++) {
    for (let i = 0; i < steps.length; i++) sums[i]! += await runStep(steps[i]!, BATCH);
  }
  steps.forEach((s, i) => s.times.push(sums[i]! / (N / BATCH)));
}

const rows = [
  { what: 'empty extension (query)', wasm: median(empty.times), ts: median(ctxOnly.times), target: '≤ 5' },
  { what: 'command: get_record + update_record', wasm: median(cmd.times), ts: median(cmdTs.times), target: '≤ 10' },
  { what: 'projector: get_view + put_view', wasm: median(proj.times), ts: median(projTs.times), target: '≤ 10' },
];

console.log(`node ${process.version}, N=${N}, runs=${RUNS} (median)${quick ? ', --quick' : ''}`);
console.log('');
console.log('Each invocation includes building its extension context (as the engine does for every call).');
console.log('');
console.log('| invocation | WASM µs | same work from TypeScript µs | WASM host overhead µs | target µs |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.what} | ${r.wasm.toFixed(2)} | ${r.ts.toFixed(2)} | ${(r.wasm - r.ts).toFixed(2)} | ${r.target} |`,
  );
}
console.log('');
console.log('Fuel metering is always on here; its cost inside guest code is measured by bench/wasm/fuel.bench.ts.');
await host.dispose();
