import { AppError } from '@stoa/errors';
import { Packr } from 'msgpackr';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExtensionRuntime } from '../../core/invoke.js';
import { createBuiltinHost } from '../builtin-host.js';
import { createWasmHost, type LoadedWasmExtensions, type WasmHostOptions } from './wasm-host.js';
import {
  asString,
  compileApp,
  compileWat,
  createTestStore,
  guestWasm,
  guestWat,
  makeBundle,
  WT_VSQL,
  type GuestSource,
  type TestStore,
} from './wasm-host.test-util.js';

const appdef = compileApp();
let store: TestStore;

beforeAll(async () => {
  store = await createTestStore(appdef);
});

async function loadError(wasm: Uint8Array | undefined, source = appdef): Promise<AppError> {
  const error = await createWasmHost()
    .load(makeBundle(source, wasm))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code: 'BAD_REQUEST' });
  return error as AppError;
}

describe('WASM host: load failures list every problem', () => {
  it('a missing and an undeclared entry point, both named', async () => {
    const error = await loadError(guestWasm({ names: ['Cmd', 'Query', 'Count', 'Extra', 'Other'] }));
    expect(error.message).toBe(
      'app wt: module wt does not export declared WASM extensions: wt.Narrow; module wt exports functions not declared as WASM extensions: Extra, Other',
    );
  });

  it('own memory instead of imported, a disallowed import, a wrong import type, a reserved name', async () => {
    const wat = guestWat({
      memory: '(memory 1)',
      imports: `(import "stoa" "take" (func $take (param i32)))
        (import "stoa" "result" (func $result (param i32 i32)))
        (import "stoa" "get_record" (func $get_record (param i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (import "env" "asyncify_start_unwind" (func $au (param i32)))`,
    });
    const error = await loadError(compileWat(wat));
    expect(error.data?.problems).toEqual([
      'module wt: import stoa.get_record has type (i32 -> i32), expected (i64 -> i32)',
      'module wt: import wasi_snapshot_preview1.fd_write (function) is not allowed',
      "module wt: import env.asyncify_start_unwind uses a name reserved for the host's instrumentation",
      'module wt: the module defines its own memory; it must import it as env.memory',
    ]);
  });

  it('missing required exports and a memory minimum above the cap', async () => {
    const wat = `(module (import "env" "memory" (memory 300))
      ${['Cmd', 'Query', 'Count', 'Narrow'].map((n) => `(func (export "${n}"))`).join(' ')})`;
    const error = await loadError(compileWat(wat));
    expect(error.data?.problems).toEqual([
      'module wt: missing required export __stoa_abi_version ( -> i32)',
      'module wt: missing required export __stoa_alloc (i32 -> i32)',
    ]);
    const capped = guestWasm({ memory: '(import "env" "memory" (memory 300))' });
    expect((await loadError(capped)).message).toBe(
      'app wt: module wt: its memory minimum (300 pages) exceeds the cap of 256 pages (16777216 bytes)',
    );
  });

  it('an ABI version other than 1', async () => {
    const wat = guestWat({}).replace(
      '(func (export "__stoa_abi_version") (result i32) (i32.const 1))',
      '(func (export "__stoa_abi_version") (result i32) (i32.const 2))',
    );
    expect((await loadError(compileWat(wat))).message).toBe(
      'app wt: module wt: __stoa_abi_version() returned 2, this host implements ABI 1',
    );
  });

  it('sys.Http / sys.SendMail declared, and a package without a module', async () => {
    const withHttp = compileApp(
      WT_VSQL.replace(
        'COMMAND Narrow() RETURNS any;',
        'COMMAND Narrow() RETURNS any; QUERY Fetch STATE(sys.Http) RETURNS any; PROJECTOR Mail AFTER INSERT ON Task STATE(sys.SendMail);',
      ),
    );
    const error = await loadError(guestWasm({ names: ['Cmd', 'Query', 'Count', 'Narrow', 'Fetch', 'Mail'] }), withHttp);
    expect(error.data?.problems).toEqual([
      'wt.Fetch declares sys.Http in its STATE: not available yet for WASM extensions',
      'wt.Mail declares sys.SendMail in its STATE: not available yet for WASM extensions',
    ]);
    expect((await loadError(undefined)).message).toBe(
      'app wt: package wt has no WASM module for its extensions wt.Cmd, wt.Query, wt.Count, wt.Narrow',
    );
  });

  it('bytes that are not WebAssembly', async () => {
    expect((await loadError(new Uint8Array([0, 1, 2, 3]))).message).toBe(
      'app wt: module wt: not a valid WebAssembly module',
    );
  });
});

/** Loads `source` and checks that the guest's failure is a clear 500 and that the host recovers. */
async function expectFailure(
  source: GuestSource,
  qname: string,
  message: string | RegExp,
  options?: WasmHostOptions,
): Promise<AppError> {
  const exports = { Narrow: '(call $reportCalls)', ...source.exports };
  const loaded = (await createWasmHost(options).load(
    makeBundle(appdef, guestWasm({ ...source, exports })),
  )) as LoadedWasmExtensions;
  const built = store.context(qname);
  const error = await loaded.invoke(qname, built.ctx).then(
    () => undefined,
    (e: unknown) => e,
  );
  built.close();
  expect(error).toBeInstanceOf(AppError);
  expect(error).toMatchObject({ code: 'INTERNAL', qname });
  expect((error as AppError).message).toMatch(message);
  // The failing instance was discarded; the next call on the same host runs on a fresh one.
  expect(loaded.idleInstances('wt')).toBe(0);
  const next = store.context('wt.Narrow');
  await loaded.invoke('wt.Narrow', next.ctx);
  expect(next.intents.results).toEqual([{ calls: 1 }]);
  return error as AppError;
}

const packr = new Packr({ useRecords: false, variableMapSize: true });

describe('WASM host: malicious and broken guests', () => {
  it('an infinite loop runs out of fuel', async () => {
    const error = await expectFailure(
      { exports: { Cmd: '(loop $spin (br $spin))' } },
      'wt.Cmd',
      'extension wt.Cmd: ran out of fuel (budget 1000000)',
      { fuel: 1_000_000 },
    );
    const stack = error.data?.stack as string[];
    expect(stack.length).toBeGreaterThan(0);
    expect(stack.every((line) => line.includes('wasm'))).toBe(true);
  });

  it('a memory growth bomb stops at the cap (memory.grow returns -1, the guest traps)', async () => {
    await expectFailure(
      {
        exports: {
          Cmd: `(local $pages i32)
            (block $full (loop $grow
              (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
              (br $grow)))
            (if (i32.gt_u (memory.size) (i32.const 64)) (then (unreachable)))
            (call $abort (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 1))`,
        },
      },
      'wt.Cmd',
      'extension wt.Cmd: abort: null at null:1:1',
      { maxMemoryBytes: 4 * 1024 * 1024 },
    );
  });

  it('deep recursion is a stack overflow', async () => {
    await expectFailure(
      { extra: '(func $down (call $down))', exports: { Cmd: '(call $down)' } },
      'wt.Cmd',
      'extension wt.Cmd: stack overflow',
    );
  });

  it('an unreachable is a trap', async () => {
    await expectFailure({ exports: { Cmd: '(unreachable)' } }, 'wt.Cmd', 'extension wt.Cmd: trap: unreachable');
  });

  it('env.abort: AssemblyScript strings for message and file', async () => {
    await expectFailure(
      {
        data: { msg: asString('index out of range'), file: asString('assembly/index.ts') },
        exports: { Cmd: '(call $abort {msg.as} {file.as} (i32.const 12) (i32.const 5))' },
      },
      'wt.Cmd',
      'extension wt.Cmd: abort: index out of range at assembly/index.ts:12:5',
    );
  });

  it('more intents than the cap', async () => {
    await expectFailure(
      {
        data: { stats: 'wt.Stats', row: { Board: 1, K: 1, N: 1 } },
        exports: { Count: '(loop $more (call $put_view {stats} {row}) (br $more))' },
      },
      'wt.Count',
      'extension wt.Count: stoa.put_view: more than 10000 intents in one call',
    );
  });

  it('invalid UTF-8 in a string argument and inside a MessagePack str', async () => {
    await expectFailure(
      {
        data: { bad: new Uint8Array([0x77, 0x74, 0x2e, 0xff, 0xfe]), row: {} },
        exports: { Count: '(call $put_view {bad} {row})' },
      },
      'wt.Count',
      'extension wt.Count: stoa.put_view: invalid UTF-8',
    );
    // {"k": <str 0xc3 0x28>}: a broken two-byte sequence.
    const badStr = new Uint8Array([0x81, 0xa1, 0x6b, 0xa2, 0xc3, 0x28]);
    await expectFailure(
      { data: { bad: badStr }, exports: { Cmd: '(call $result {bad})' } },
      'wt.Cmd',
      'extension wt.Cmd: stoa.result: invalid UTF-8 in the str at byte 4',
    );
  });

  it('values the ABI refuses: too deep, too large, uint64 beyond int64, not a map', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 33; i++) deep = { d: deep };
    await expectFailure(
      { data: { deep: packr.pack(deep) }, exports: { Cmd: '(call $result {deep})' } },
      'wt.Cmd',
      /^extension wt\.Cmd: stoa\.result: nested deeper than 32 levels at byte \d+$/,
    );
    await expectFailure(
      { exports: { Cmd: '(call $result (i32.const 0) (i32.const 2000000))' } },
      'wt.Cmd',
      'extension wt.Cmd: stoa.result: a value of 2000000 bytes exceeds the limit of 1048576',
    );
    const big = new Uint8Array([0x81, 0xa1, 0x6e, 0xcf, 0xff, 0, 0, 0, 0, 0, 0, 1]);
    await expectFailure(
      { data: { big }, exports: { Cmd: '(call $result {big})' } },
      'wt.Cmd',
      "extension wt.Cmd: stoa.result: uint64 at byte 3 exceeds int64's range",
    );
    await expectFailure(
      { data: { list: packr.pack([1, 2]) }, exports: { Cmd: '(call $result {list})' } },
      'wt.Cmd',
      'extension wt.Cmd: stoa.result: expected a MessagePack map, found token 0x92',
    );
  });

  it('pointers outside memory and negative lengths', async () => {
    await expectFailure(
      { exports: { Cmd: '(call $result (i32.const 65500) (i32.const 100))' } },
      'wt.Cmd',
      "extension wt.Cmd: stoa.result: range 65500+100 is outside the guest's memory (65536 bytes)",
    );
    await expectFailure(
      { data: { stats: 'wt.Stats' }, exports: { Count: '(call $put_view {stats} (i32.const -8) (i32.const 4))' } },
      'wt.Count',
      "extension wt.Count: stoa.put_view: range 4294967288+4 is outside the guest's memory (65536 bytes)",
    );
    await expectFailure(
      { exports: { Cmd: '(call $result (i32.const 0) (i32.const -1))' } },
      'wt.Cmd',
      "extension wt.Cmd: stoa.result: range 0+-1 is outside the guest's memory (65536 bytes)",
    );
  });
});

describe('WASM host behind the core’s deadline (ExtensionRuntime)', () => {
  it('a guest suspended past extensionTimeoutMs fails with the core’s timeout; the host keeps serving', async () => {
    const wasm = guestWasm({
      data: { name: 'slow' },
      exports: { Query: '(drop (call $secret {name}))', Narrow: '(call $reportCalls)' },
    });
    const runtime = await ExtensionRuntime.load(makeBundle(appdef, wasm), [createBuiltinHost(), createWasmHost()], 50);
    const hanging = store.context('wt.Query', { secret: () => new Promise<undefined>(() => undefined) });
    await expect(runtime.invoke(hanging.ctx)).rejects.toThrow('extension wt.Query timed out after 50 ms');
    hanging.close();
    const next = store.context('wt.Narrow');
    await runtime.invoke(next.ctx);
    expect(next.intents.results).toEqual([{ calls: 1 }]);
    await runtime.dispose();
  });
});
