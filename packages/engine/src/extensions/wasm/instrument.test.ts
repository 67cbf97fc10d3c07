import { describe, expect, it } from 'vitest';
import { prepareModule, type PrepareResult } from './instrument.js';
import { webAssembly } from './webassembly-api.js';
import { compileWat, guestWasm, guestWat } from './wasm-host.test-util.js';

function problemsOf(result: PrepareResult): readonly string[] {
  if (result.ok) throw new Error('expected the module to be refused');
  return result.problems;
}

describe('prepareModule', () => {
  it('lists entry points and memory limits, and adds the fuel global and asyncify exports', async () => {
    const result = await prepareModule(guestWasm({ memory: '(import "env" "memory" (memory 2 100))' }));
    if (!result.ok) throw new Error(result.problems.join('; '));
    const { prepared } = result;
    expect(prepared.entryPoints).toEqual(['Cmd', 'Query', 'Count', 'Narrow']);
    expect(prepared.memory).toEqual({ initialPages: 2, maximumPages: 100 });
    expect(prepared.sha256).toMatch(/^[0-9a-f]{64}$/);
    const exports = webAssembly.Module.exports(prepared.module).map((e) => e.name);
    expect(exports).toEqual(
      expect.arrayContaining([
        '__stoa_fuel',
        'asyncify_start_unwind',
        'asyncify_stop_unwind',
        'asyncify_start_rewind',
        'asyncify_stop_rewind',
        'asyncify_get_state',
      ]),
    );
  });

  it('caches by content and initial fuel', async () => {
    const wasm = guestWasm({ extra: '(func $cacheProbe)' });
    const first = await prepareModule(wasm);
    const again = await prepareModule(new Uint8Array(wasm));
    const otherFuel = await prepareModule(wasm, { initialFuel: 5n });
    if (!first.ok || !again.ok || !otherFuel.ok) throw new Error('refused');
    expect(again.prepared.module).toBe(first.prepared.module);
    expect(again.prepared.prepareMs).toBe(0);
    expect(otherFuel.prepared.module).not.toBe(first.prepared.module);
  });

  it('checks the types of required exports and of entry points', async () => {
    const wat = guestWat({
      extra: `(func (export "Bad") (param i32) (result i32) (local.get 0))
        (func (export "__stoa_alloc") (param i64) (result i32) (i32.const 0))`,
    }).replace('(func $alloc (export "__stoa_alloc")', '(func $alloc');
    expect(problemsOf(await prepareModule(compileWat(wat)))).toEqual([
      'export Bad has type (i32 -> i32), extension entry points are ( -> )',
      'export __stoa_alloc has type (i64 -> i32), expected (i32 -> i32)',
    ]);
  });

  it('refuses tables and globals as imports, memory under another name, no memory at all', async () => {
    const imported = guestWat({
      memory: '(import "env" "mem" (memory 1))',
      imports:
        '(import "env" "table" (table 1 funcref)) (import "env" "g" (global i32)) (import "stoa" "take" (func $take (param i32))) (import "stoa" "result" (func $result (param i32 i32)))',
    });
    expect(problemsOf(await prepareModule(compileWat(imported)))).toEqual([
      'import env.mem (memory): memory must be imported as env.memory',
      'import env.table (table) is not allowed',
      'import env.g (global) is not allowed',
    ]);
    const none =
      '(module (func (export "__stoa_abi_version") (result i32) (i32.const 1)) (func (export "__stoa_alloc") (param i32) (result i32) (i32.const 0)))';
    expect(problemsOf(await prepareModule(compileWat(none)))).toEqual([
      'the module must import its memory as env.memory',
    ]);
  });

  it('refuses reserved export names', async () => {
    const wat = guestWat({
      extra:
        '(global (export "__stoa_fuel") i32 (i32.const 0)) (func (export "asyncify_get_state") (result i32) (i32.const 0))',
    });
    expect(problemsOf(await prepareModule(compileWat(wat)))).toEqual([
      "export __stoa_fuel uses a name reserved for the host's instrumentation",
      "export asyncify_get_state uses a name reserved for the host's instrumentation",
    ]);
  });
});
