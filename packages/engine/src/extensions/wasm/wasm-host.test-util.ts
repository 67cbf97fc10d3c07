/**
 * Test support for the WASM host: guest modules written in WAT (compiled with binaryen), a test app
 * whose package `wt` declares WASM extensions, a mem-storage store seeded with records and view
 * rows, and real extension contexts (core/ext-context.ts) over it.
 */
import { createMemDriver, createStorageProvider, type AppStorage } from '@stoa/storage';
import { compile, type AppDef, type QName } from '@stoa/vsql';
import binaryen from 'binaryen';
import { Packr } from 'msgpackr';
import pino, { type Logger } from 'pino';
import type { AppBundle } from '../../app/bundle.js';
import { buildExtensionContext, type BuiltContext } from '../../core/ext-context.js';
import { StateSource } from '../../core/state-source.js';
import { viewRowKey } from '../../core/views.js';
import { flushItems, WriteSet } from '../../core/write-set.js';
import { AppStore } from '../../store/app-store.js';
import type { EventView } from '../host.js';

export const WSID = 140_000_000_001;
export const TASK_ID = 322_000_000_001;
export const NOW = 1_700_000_000_000;

export const WT_VSQL = `APPLICATION wt();
WORKSPACE W (
    TABLE Task INHERITS sys.CDoc (Title varchar(100) NOT NULL, Done bool NOT NULL, Big int64, Data bytes(20));
    TYPE Params (TaskID ref(Task) NOT NULL, Note varchar(50));
    TYPE Secret (Pin varchar(10));
    VIEW Stats (Board int32 NOT NULL, K int32 NOT NULL, N int64 NOT NULL, PRIMARY KEY ((Board), K)) AS RESULT OF Count;
    EXTENSION ENGINE WASM (
        COMMAND Cmd(Params, UNLOGGED Secret) STATE(sys.Record(Task), sys.View(Stats), sys.AppSecret) INTENTS(sys.Record(Task)) RETURNS any;
        QUERY Query(any) STATE(sys.Record(Task), sys.View(Stats), sys.AppSecret) RETURNS any;
        PROJECTOR Count AFTER INSERT ON Task STATE(sys.View(Stats), sys.Record(Task)) INTENTS(sys.View(Stats));
        COMMAND Narrow() RETURNS any;
    );
);
`;

/** The entry points `wt` declares, by export name. */
export const WT_EXPORTS = ['Cmd', 'Query', 'Count', 'Narrow'] as const;

export function compileApp(source = WT_VSQL): AppDef {
  const r = compile([{ path: 'wt.vsql', source }], { packageName: 'wt' });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.appdef;
}

export function makeBundle(appdef: AppDef, wasm: Uint8Array | undefined): AppBundle {
  return {
    owner: 'test',
    manifest: { name: 'wt', partitions: 2 },
    appdef,
    modules: wasm === undefined ? {} : { wt: wasm },
    versionHash: 'test',
  };
}

export function compileWat(wat: string): Uint8Array {
  const module = binaryen.parseText(wat);
  try {
    module.setFeatures(binaryen.Features.MutableGlobals | binaryen.Features.BulkMemory | binaryen.Features.SignExt);
    if (!module.validate()) throw new Error('test WAT does not validate');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

const packr = new Packr({ useRecords: false, variableMapSize: true });

/** Constants placed in the guest's data segment: JS values as MessagePack, strings as UTF-8, bytes as is. */
export type GuestData = Record<string, unknown>;

const DATA_START = 1024;
const HEAP_START = 32_768;
/** Where the heap restarts on every call: after the host's 16 KiB suspension buffer. */
const HEAP_RESET = HEAP_START + 16_384;

export const STOA_IMPORTS = `
  (import "stoa" "take" (func $take (param i32)))
  (import "stoa" "context" (func $context (result i32)))
  (import "stoa" "arg" (func $arg (result i32)))
  (import "stoa" "unlogged_arg" (func $unlogged_arg (result i32)))
  (import "stoa" "event" (func $event (result i32)))
  (import "stoa" "get_record" (func $get_record (param i64) (result i32)))
  (import "stoa" "get_view" (func $get_view (param i32 i32 i32 i32) (result i32)))
  (import "stoa" "read_view" (func $read_view (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "stoa" "next" (func $next (param i32) (result i32)))
  (import "stoa" "secret" (func $secret (param i32 i32) (result i32)))
  (import "stoa" "insert_record" (func $insert_record (param i32 i32 i32 i32) (result i64)))
  (import "stoa" "update_record" (func $update_record (param i64 i32 i32)))
  (import "stoa" "put_view" (func $put_view (param i32 i32 i32 i32)))
  (import "stoa" "result" (func $result (param i32 i32)))
  (import "stoa" "response" (func $response (param i32 i32 i32)))
  (import "stoa" "log" (func $log (param i32 i32 i32)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))`;

/** Bump allocator (grows memory as needed, traps if it cannot) and the ABI's required exports. */
export const RUNTIME = `
  (global $heap (mut i32) (i32.const ${HEAP_START}))
  (global $calls (mut i32) (i32.const 0))
  (func (export "__stoa_abi_version") (result i32) (i32.const 1))
  (func $alloc (export "__stoa_alloc") (param $n i32) (result i32) (local $p i32) (local $need i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (local.set $need (i32.sub (global.get $heap) (i32.shl (memory.size) (i32.const 16))))
    (if (i32.gt_s (local.get $need) (i32.const 0))
      (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (local.get $need) (i32.const 16)) (i32.const 1))) (i32.const -1))
        (then (unreachable)))))
    (local.get $p))
  (func $begin (global.set $heap (i32.const ${HEAP_RESET})) (global.set $calls (i32.add (global.get $calls) (i32.const 1))))
  ;; result(the pending value of length n), or result({absent: true}) for -1.
  (func $echo (param $n i32) (local $p i32)
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then (call $result (i32.const ${DATA_START}) (i32.const ${absentBytes().length})) (return)))
    (local.set $p (call $alloc (local.get $n)))
    (call $take (local.get $p))
    (call $result (local.get $p) (local.get $n)))
  ;; result({calls: n}) with n = calls this instance has served (fresh instance: 1); n < 128.
  (func $reportCalls (local $p i32)
    (local.set $p (call $alloc (i32.const 8)))
    (i64.store (local.get $p)
      (i64.or (i64.const 0x00736c6c6163a581) (i64.shl (i64.extend_i32_u (global.get $calls)) (i64.const 56))))
    (call $result (local.get $p) (i32.const 8)))`;

function absentBytes(): Uint8Array {
  return packr.pack({ absent: true });
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return packr.pack(value);
}

function watString(bytes: Uint8Array): string {
  return [...bytes].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
}

export interface GuestSource {
  /** Bodies of entry points by export name (`$begin` runs first, after any leading locals); default empty. */
  readonly exports?: Record<string, string>;
  /** Extra module fields (functions, globals). */
  readonly extra?: string;
  readonly data?: GuestData;
  /** Memory declaration; default `(import "env" "memory" (memory 1))`. */
  readonly memory?: string;
  /** Imports; default every stoa import plus env.abort. */
  readonly imports?: string;
  /** Export names; default WT_EXPORTS. */
  readonly names?: readonly string[];
}

/** An AssemblyScript string as it sits in memory: u32 byte length, then UTF-16LE (pointer = start + 4). */
export function asString(value: string): Uint8Array {
  const body = Buffer.from(value, 'utf16le');
  const out = Buffer.alloc(4 + body.length);
  out.writeUInt32LE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/**
 * Builds a guest module. In bodies, `{name}` is replaced by `(i32.const ptr) (i32.const len)` of the
 * data constant `name`, `{name.ptr}` by its pointer and `{name.as}` by its pointer + 4 (asString).
 */
export function guestWat(source: GuestSource): string {
  const data: [string, Uint8Array][] = [
    ['__absent', absentBytes()],
    ...Object.entries(source.data ?? {}).map(([k, v]) => [k, toBytes(v)] as [string, Uint8Array]),
  ];
  const placed = new Map<string, { at: number; len: number }>();
  const segments: string[] = [];
  let at = DATA_START;
  for (const [name, bytes] of data) {
    placed.set(name, { at, len: bytes.length });
    segments.push(`(data (i32.const ${at}) "${watString(bytes)}")`);
    at = (at + bytes.length + 7) & ~7;
  }
  if (at > HEAP_START) throw new Error('guest data too large');
  const expand = (body: string): string =>
    body.replace(/\{(\w+)(\.ptr|\.as)?\}/g, (_whole, name: string, suffix: string | undefined) => {
      const p = placed.get(name);
      if (p === undefined) throw new Error(`no data constant ${name}`);
      if (suffix === '.ptr') return `(i32.const ${p.at})`;
      if (suffix === '.as') return `(i32.const ${p.at + 4})`;
      return `(i32.const ${p.at}) (i32.const ${p.len})`;
    });
  const bodies = source.exports ?? {};
  const names = source.names ?? WT_EXPORTS;
  const funcs = names.map((n) => {
    // Leading `(local …)` declarations must precede `(call $begin)`.
    const [, locals = '', rest = ''] = /^(\s*(?:\(local [^)]*\)\s*)*)([\s\S]*)$/.exec(bodies[n] ?? '') ?? [];
    return `(func (export "${n}") ${locals} (call $begin) ${expand(rest)})`;
  });
  return `(module
  ${source.imports ?? STOA_IMPORTS}
  ${source.memory ?? '(import "env" "memory" (memory 1))'}
  ${RUNTIME}
  ${expand(source.extra ?? '')}
  ${funcs.join('\n  ')}
  ${segments.join('\n  ')})`;
}

export function guestWasm(source: GuestSource): Uint8Array {
  return compileWat(guestWat(source));
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger whose lines land in `lines` (parsed). */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

export interface TestStore {
  readonly storage: AppStorage;
  readonly appdef: AppDef;
  seedTask(id: number, fields: Record<string, unknown>): Promise<void>;
  seedStats(board: number, k: number, n: number): Promise<void>;
  context(qname: QName, options?: ContextInput): BuiltContext;
}

export interface ContextInput {
  readonly arg?: Record<string, unknown>;
  readonly unloggedArg?: Record<string, unknown>;
  readonly event?: EventView;
  readonly partition?: number;
  readonly writes?: WriteSet;
  readonly secret?: (name: string) => Promise<string | undefined>;
  readonly logger?: Logger;
}

export async function createTestStore(appdef: AppDef = compileApp()): Promise<TestStore> {
  const storage = await createStorageProvider(createMemDriver()).openApp('test/wt');
  const store = new AppStore(storage);
  const silent = pino({ level: 'silent' });
  let nextId = 322_000_100_001;
  return {
    storage,
    appdef,
    async seedTask(id, fields) {
      const ws = new WriteSet();
      ws.putRecord(WSID, { 'sys.ID': id, 'sys.QName': 'wt.Task', 'sys.IsActive': true, ...fields });
      await flushItems(storage, ws.toItems());
    },
    async seedStats(board, k, n) {
      const def = appdef.views['wt.Stats']!;
      const row = { Board: board, K: k, N: n };
      const ws = new WriteSet();
      ws.putView({ view: def.qname, wsid: WSID, key: viewRowKey(def, WSID, row), value: { row, offset: 1 } });
      await flushItems(storage, ws.toItems());
    },
    context(qname, o = {}) {
      const ext = appdef.extensions[qname];
      if (ext === undefined) throw new Error(`no extension ${qname}`);
      const writes = o.writes ?? new WriteSet();
      return buildExtensionContext({
        appdef,
        ext,
        wsid: WSID,
        partition: o.partition ?? 0,
        state: new StateSource(store, writes),
        writes,
        arg: o.arg,
        unloggedArg: o.unloggedArg,
        event: o.event,
        now: NOW,
        logger: o.logger ?? silent,
        getSecret: o.secret ?? (() => Promise.resolve(undefined)),
        allocateId: ext.kind === 'command' ? () => nextId++ : undefined,
      });
    },
  };
}
