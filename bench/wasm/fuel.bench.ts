// Fuel-metering overhead (issue 6 spike): the same WAT workloads run plain and instrumented by
// injectFuelMetering, plus what a bare exported call costs from JS (the host-call part of the ≤ 5 µs
// invocation target).
//   npx tsx bench/wasm/fuel.bench.ts [--quick]
// Prints a markdown table to stdout. Each row is the median of RUNS timed runs after a warm-up.

import binaryen from 'binaryen';
import { injectFuelMetering, setFuel, webAssembly } from '@stoa/engine';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;
const LOOP_N = quick ? 10_000_000 : 50_000_000;
const FIB_N = quick ? 25 : 30;
const CALLS = quick ? 1_000_000 : 5_000_000;
const FUEL = 1n << 62n;

const WAT = `(module
  (func (export "loop") (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.xor (local.get $n) (local.get $s))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s))
  (memory 1)
  (func (export "scan") (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (i32.load (i32.and (i32.shl (local.get $n) (i32.const 2)) (i32.const 65532)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "nop"))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`;

interface Exports {
  loop: (n: number) => number;
  scan: (n: number) => number;
  fib: (n: number) => number;
  nop: () => void;
  add: (a: number, b: number) => number;
}

function compileWat(wat: string): Uint8Array {
  const module = binaryen.parseText(wat);
  try {
    if (!module.validate()) throw new Error('bench WAT does not validate');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median wall time in ms of `fn`, after one warm-up run. */
function time(fn: () => void): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function fibCalls(n: number): number {
  // Calls made by naive fib(n): 2 * fib(n + 1) - 1.
  let a = 0;
  let b = 1;
  for (let i = 0; i < n + 1; i++) [a, b] = [b, a + b];
  return 2 * a - 1;
}

const plainBytes = compileWat(WAT);
const t0 = performance.now();
const meteredBytes = await injectFuelMetering(plainBytes);
const instrumentMs = performance.now() - t0;

const plain = (await webAssembly.instantiate(plainBytes)).instance;
const metered = (await webAssembly.instantiate(meteredBytes)).instance;
const p = plain.exports as unknown as Exports;
const m = metered.exports as unknown as Exports;
setFuel(metered, FUEL);

interface Row {
  workload: string;
  unit: string;
  perUnitPlainNs: number;
  perUnitMeteredNs: number;
}
const rows: Row[] = [];

function compare(workload: string, unit: string, units: number, runPlain: () => void, runMetered: () => void): void {
  const plainMs = time(runPlain);
  const meteredMs = time(runMetered);
  rows.push({ workload, unit, perUnitPlainNs: (plainMs * 1e6) / units, perUnitMeteredNs: (meteredMs * 1e6) / units });
}

const sink: number[] = [];
compare(
  `tight loop, n=${LOOP_N.toLocaleString('en')}`,
  'iteration',
  LOOP_N,
  () => sink.push(p.loop(LOOP_N)),
  () => sink.push(m.loop(LOOP_N)),
);
compare(
  `memory scan loop, n=${LOOP_N.toLocaleString('en')}`,
  'iteration',
  LOOP_N,
  () => sink.push(p.scan(LOOP_N)),
  () => sink.push(m.scan(LOOP_N)),
);
compare(
  `fib(${FIB_N}), ${fibCalls(FIB_N).toLocaleString('en')} calls`,
  'wasm call',
  fibCalls(FIB_N),
  () => sink.push(p.fib(FIB_N)),
  () => sink.push(m.fib(FIB_N)),
);
compare(
  `JS → wasm nop() ×${CALLS.toLocaleString('en')}`,
  'call',
  CALLS,
  () => {
    for (let i = 0; i < CALLS; i++) p.nop();
  },
  () => {
    for (let i = 0; i < CALLS; i++) m.nop();
  },
);
compare(
  `JS → wasm add(i, s) ×${CALLS.toLocaleString('en')}`,
  'call',
  CALLS,
  () => {
    let s = 0;
    for (let i = 0; i < CALLS; i++) s = p.add(i, s) | 0;
    sink.push(s);
  },
  () => {
    let s = 0;
    for (let i = 0; i < CALLS; i++) s = m.add(i, s) | 0;
    sink.push(s);
  },
);
// What the host will actually do per invocation: refill the fuel, then call.
compare(
  `setFuel + nop() ×${CALLS.toLocaleString('en')} (metered only)`,
  'call',
  CALLS,
  () => {
    for (let i = 0; i < CALLS; i++) m.nop();
  },
  () => {
    for (let i = 0; i < CALLS; i++) {
      setFuel(metered, 1_000_000n);
      m.nop();
    }
  },
);
if (p.loop(10) !== m.loop(10) || p.scan(10) !== m.scan(10) || p.fib(15) !== m.fib(15))
  throw new Error('metered results differ');

console.log(
  `node ${process.version}, runs=${RUNS} (median), module ${plainBytes.length} → ${meteredBytes.length} bytes, instrumented in ${instrumentMs.toFixed(1)} ms${quick ? ', --quick' : ''}`,
);
console.log('');
console.log('| workload | unit | plain ns/unit | metered ns/unit | plain Mops/s | metered Mops/s | overhead |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.workload} | ${r.unit} | ${r.perUnitPlainNs.toFixed(2)} | ${r.perUnitMeteredNs.toFixed(2)} | ${(1e3 / r.perUnitPlainNs).toFixed(1)} | ${(1e3 / r.perUnitMeteredNs).toFixed(1)} | ${(r.perUnitMeteredNs / r.perUnitPlainNs).toFixed(2)}× |`,
  );
}
console.log('');
console.log('(last row: "plain" = metered nop() without refilling, "metered" = setFuel before every call)');
