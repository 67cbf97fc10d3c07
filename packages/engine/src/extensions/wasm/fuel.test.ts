import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import {
  FuelInstrumentationError,
  getFuel,
  injectFuelMetering,
  setFuel,
  UnsupportedWasmInstructionError,
} from './fuel.js';
import type { WasmImports, WasmInstance } from './webassembly-api.js';
import { webAssembly } from './webassembly-api.js';

function compileWat(wat: string, features?: binaryen.Features): Uint8Array {
  const module = binaryen.parseText(wat);
  try {
    if (features !== undefined) module.setFeatures(features);
    if (!module.validate()) throw new Error('test WAT does not validate');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

async function instantiate(wasm: Uint8Array, imports: WasmImports = {}): Promise<WasmInstance> {
  const { instance } = await webAssembly.instantiate(wasm, imports);
  return instance;
}

function exported<T>(instance: WasmInstance, name: string): T {
  return instance.exports[name] as T;
}

const SUM_WAT = `(module
  (func $sum (export "sum") (param $n i32) (result i32) (local $s i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $s (i32.add (local.get $s) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $s)))`;

const SPIN_WAT = `(module (func (export "spin") (loop $l (br $l))))`;

const RECURSE_WAT = `(module
  (func $down (export "down") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get $n) (i32.const 1)))))))
  (func $forever (export "forever") (call $forever))
  (func $leaf (result i32) (i32.const 1))
  (func $calls (export "calls") (result i32)
    (i32.add (i32.add (call $leaf) (call $leaf)) (i32.add (call $leaf) (call $leaf)))))`;

const BIG_FUEL = 1_000_000_000n;

describe('injectFuelMetering', () => {
  it('keeps results: sum 1..n is the same instrumented and not', async () => {
    const plain = compileWat(SUM_WAT);
    const original = await instantiate(plain);
    const metered = await instantiate(await injectFuelMetering(plain));
    setFuel(metered, BIG_FUEL);
    for (const n of [0, 1, 10, 1000]) {
      const expected = exported<(n: number) => number>(original, 'sum')(n);
      expect(expected).toBe((n * (n + 1)) / 2);
      expect(exported<(n: number) => number>(metered, 'sum')(n)).toBe(expected);
    }
    expect(getFuel(metered)).toBeLessThan(BIG_FUEL);
  });

  it('traps an infinite loop with a RuntimeError once fuel runs out, in bounded time', async () => {
    const instance = await instantiate(await injectFuelMetering(compileWat(SPIN_WAT)));
    setFuel(instance, 10_000_000n);
    const started = performance.now();
    expect(() => exported<() => void>(instance, 'spin')()).toThrow(webAssembly.RuntimeError);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(getFuel(instance)).toBeLessThanOrEqual(0n);
  });

  it('starts with no fuel unless told otherwise, and the instance is reusable after a refill', async () => {
    const wasm = await injectFuelMetering(compileWat(SUM_WAT));
    const instance = await instantiate(wasm);
    expect(getFuel(instance)).toBe(0n);
    const sum = exported<(n: number) => number>(instance, 'sum');
    expect(() => sum(3)).toThrow(webAssembly.RuntimeError);
    setFuel(instance, 1_000);
    expect(sum(3)).toBe(6);

    const preloaded = await instantiate(await injectFuelMetering(compileWat(SUM_WAT), { initialFuel: 500n }));
    expect(getFuel(preloaded)).toBe(500n);
  });

  it('charges function entries: deep and unbounded recursion and call-heavy code consume fuel', async () => {
    const instance = await instantiate(await injectFuelMetering(compileWat(RECURSE_WAT)));
    const down = exported<(n: number) => number>(instance, 'down');

    setFuel(instance, BIG_FUEL);
    expect(down(100)).toBe(100);
    const per100 = BIG_FUEL - getFuel(instance);
    setFuel(instance, BIG_FUEL);
    expect(down(1000)).toBe(1000);
    const per1000 = BIG_FUEL - getFuel(instance);
    expect(per100).toBeGreaterThanOrEqual(100n); // at least one unit per entry
    expect(Number(per1000) / Number(per100)).toBeCloseTo(10, 0);

    setFuel(instance, 1_000);
    expect(() => exported<() => void>(instance, 'forever')()).toThrow(webAssembly.RuntimeError);
    expect(getFuel(instance)).toBeLessThanOrEqual(0n);

    setFuel(instance, BIG_FUEL);
    expect(exported<() => number>(instance, 'calls')()).toBe(4);
    expect(BIG_FUEL - getFuel(instance)).toBeGreaterThanOrEqual(5n); // `calls` plus four `leaf` entries
  });

  it('traps unbounded recursion on fuel before the stack overflows when fuel is small', async () => {
    const instance = await instantiate(await injectFuelMetering(compileWat(RECURSE_WAT)));
    setFuel(instance, 50);
    expect(() => exported<(n: number) => number>(instance, 'down')(1_000_000)).toThrow(/unreachable/);
    expect(getFuel(instance)).toBeLessThan(0n);
  });

  it('consumes fuel linearly in the loop count', async () => {
    const instance = await instantiate(await injectFuelMetering(compileWat(SUM_WAT)));
    const sum = exported<(n: number) => number>(instance, 'sum');
    const burnt = (n: number): number => {
      setFuel(instance, BIG_FUEL);
      sum(n);
      return Number(BIG_FUEL - getFuel(instance));
    };
    const small = burnt(1_000);
    const large = burnt(100_000);
    expect(large / small).toBeGreaterThan(90);
    expect(large / small).toBeLessThan(110);
  });

  it('leaves imported functions alone and keeps a multi-function module with imports valid', async () => {
    const wat = `(module
      (import "env" "log" (func $log (param i32)))
      (import "env" "memory" (memory 1))
      (global $counter (mut i32) (i32.const 0))
      (func $bump (result i32)
        (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
        (global.get $counter))
      (func (export "run") (param $n i32) (result i32)
        (loop $l
          (call $log (call $bump))
          (br_if $l (i32.lt_u (global.get $counter) (local.get $n))))
        (i32.store (i32.const 0) (global.get $counter))
        (i32.load (i32.const 0)))
      (func (export "other") (result i32) (i32.const 7)))`;
    const metered = await injectFuelMetering(compileWat(wat));
    expect(webAssembly.validate(metered)).toBe(true);
    const module = await webAssembly.compile(metered);
    // binaryen re-emits memory imports before function imports; names and kinds are what a host binds.
    const imports = webAssembly.Module.imports(module).map((i) => `${i.kind}:${i.module}.${i.name}`);
    expect(imports.sort()).toEqual(['function:env.log', 'memory:env.memory']);
    expect(webAssembly.Module.exports(module).map((e) => e.name)).toEqual(['run', 'other', '__stoa_fuel']);

    const logged: number[] = [];
    const memory = new webAssembly.Memory({ initial: 1 });
    const instance = await webAssembly.instantiate(module, { env: { memory, log: (v: number) => logged.push(v) } });
    setFuel(instance, BIG_FUEL);
    expect(exported<(n: number) => number>(instance, 'run')(5)).toBe(5);
    expect(exported<() => number>(instance, 'other')()).toBe(7);
    expect(logged).toEqual([1, 2, 3, 4, 5]);
  });

  it('memory cap: memory.grow past an imported maximum returns -1, and a growth bomb cannot exceed it', async () => {
    const wat = `(module
      (import "env" "memory" (memory 1 2))
      (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages)))
      (func (export "bomb") (result i32)
        (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
        (memory.size)))`;
    const memory = new webAssembly.Memory({ initial: 1, maximum: 2 });
    const instance = await instantiate(await injectFuelMetering(compileWat(wat)), { env: { memory } });
    setFuel(instance, BIG_FUEL);
    expect(exported<() => number>(instance, 'bomb')()).toBe(2);
    expect(exported<(p: number) => number>(instance, 'grow')(1)).toBe(-1);
    expect(memory.buffer.byteLength).toBe(2 * 65_536);
  });

  it('is deterministic: the same input gives the same bytes', async () => {
    const wasm = compileWat(RECURSE_WAT);
    const first = await injectFuelMetering(wasm);
    const second = await injectFuelMetering(wasm);
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
    expect(Buffer.from(await injectFuelMetering(compileWat(SUM_WAT))).equals(Buffer.from(first))).toBe(false);
  });

  it('uses a custom global name and refuses a clash or invalid input', async () => {
    const instance = await instantiate(await injectFuelMetering(compileWat(SUM_WAT), { globalName: 'gas' }));
    setFuel(instance, 100, 'gas');
    expect(getFuel(instance, 'gas')).toBe(100n);
    expect(() => getFuel(instance)).toThrow(FuelInstrumentationError);

    const clash = compileWat(`(module (global (export "__stoa_fuel") i32 (i32.const 0)))`);
    await expect(injectFuelMetering(clash)).rejects.toThrow(/already exports __stoa_fuel/);
    await expect(injectFuelMetering(new Uint8Array([0, 1, 2, 3]))).rejects.toThrow(FuelInstrumentationError);
  });

  it('refuses instructions it cannot walk instead of under-metering', async () => {
    // table.fill runs in Node 20 (reference types) but is not in the pass's walker.
    const wasm = compileWat(
      `(module
      (table 1 10 funcref)
      (func (export "fill") (table.fill (i32.const 0) (ref.null func) (i32.const 1))))`,
      binaryen.Features.ReferenceTypes | binaryen.Features.BulkMemory,
    );
    expect(webAssembly.validate(wasm)).toBe(true);
    await expect(injectFuelMetering(wasm)).rejects.toThrow(UnsupportedWasmInstructionError);
  });
});
