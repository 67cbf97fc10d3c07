// Test helper: a minimal synchronous host for ABI v1 (../ABI.md §2-§4) — the pending-value
// protocol, in-memory records/views/secrets, and intents collected per call. No asyncify, fuel or
// validation: those belong to the engine's host; this one checks only what the guest sends.
import { Packr, Unpackr } from 'msgpackr';

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
export interface WasmDescriptor {
  readonly module?: string;
  readonly name: string;
  readonly kind: string;
}
interface WebAssemblyApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
  readonly Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  readonly Module: {
    new (bytes: Uint8Array): object;
    imports(module: object): WasmDescriptor[];
    exports(module: object): WasmDescriptor[];
  };
}
// Only TypeScript's DOM lib types the WebAssembly global, and this repo does not load it.
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

export function moduleExports(wasm: Uint8Array): WasmDescriptor[] {
  return webAssembly.Module.exports(new webAssembly.Module(wasm));
}

export function moduleImports(wasm: Uint8Array): WasmDescriptor[] {
  return webAssembly.Module.imports(new webAssembly.Module(wasm));
}

type Row = Record<string, unknown>;

export const packr = new Packr({ useRecords: false });
// 'auto' (numbers within ±2^53, bigints beyond) works at runtime; msgpackr's typings omit it.
export const unpackr = new Unpackr({ useRecords: false, int64AsType: 'auto' as 'bigint' });

/** What the host serves during a call; a value given as a Uint8Array is sent as raw bytes. */
export interface HostInputs {
  context?: Row;
  arg?: unknown;
  unloggedArg?: unknown;
  event?: unknown;
  records?: ReadonlyMap<number, Row>;
  /** Rows per view, in key order. */
  views?: Readonly<Record<string, readonly Row[]>>;
  secrets?: Readonly<Record<string, string>>;
}

export interface CallOutcome {
  results: unknown[];
  /** The bytes of each result, as sent. */
  rawResults: Uint8Array[];
  inserts: { table: string; fields: unknown }[];
  updates: { id: bigint; fields: unknown }[];
  puts: { view: string; row: unknown }[];
  response?: { status: number; message: string };
  logs: { level: number; message: string }[];
  /** Reads the guest asked for, in order (`record 5`, `view v {…}`, `secret k`, …). */
  reads: string[];
  /** Set when the guest aborted or trapped. */
  error?: string;
}

class GuestFailure extends Error {}

function sameScalar(a: unknown, b: unknown): boolean {
  const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';
  if (numeric(a) && numeric(b)) return BigInt(a) === BigInt(b);
  return a === b;
}

function matches(row: Row, key: Row): boolean {
  return Object.entries(key).every(([k, v]) => sameScalar(row[k], v));
}

/** One instance of a guest module, called export by export like a pooled engine instance. */
export class Guest {
  private pending: Uint8Array | undefined;
  private inputs: HostInputs = {};
  private out: CallOutcome = Guest.emptyOutcome();
  private iterators: Row[][] = [];
  private nextId = 100_000n;

  private constructor(
    private readonly memory: WasmMemory,
    private readonly exports: Record<string, unknown>,
  ) {}

  static async load(wasm: Uint8Array): Promise<Guest> {
    const memory = new webAssembly.Memory({ initial: 4, maximum: 256 });
    const ref: { guest?: Guest } = {};
    const host = (): Guest => {
      if (!ref.guest) throw new Error('called during instantiation');
      return ref.guest;
    };
    const stoa = {
      take: (ptr: number) => host().take(ptr),
      context: () => host().produce(host().inputs.context),
      arg: () => host().produce(host().inputs.arg),
      unlogged_arg: () => host().produce(host().inputs.unloggedArg),
      event: () => host().produce(host().inputs.event),
      get_record: (id: bigint) => host().getRecord(id),
      get_view: (vp: number, vl: number, kp: number, kl: number) => host().getView(vp, vl, kp, kl),
      read_view: (vp: number, vl: number, pp: number, pl: number, limit: number, reverse: number) =>
        host().readView(vp, vl, pp, pl, limit, reverse),
      next: (handle: number) => host().next(handle),
      secret: (np: number, nl: number) => host().secret(np, nl),
      insert_record: (tp: number, tl: number, fp: number, fl: number) => host().insert(tp, tl, fp, fl),
      update_record: (id: bigint, fp: number, fl: number) => {
        host().out.updates.push({ id, fields: host().value(fp, fl) });
      },
      put_view: (vp: number, vl: number, rp: number, rl: number) => {
        host().out.puts.push({ view: host().text(vp, vl), row: host().value(rp, rl) });
      },
      result: (rp: number, rl: number) => {
        host().out.rawResults.push(host().bytes(rp, rl));
        host().out.results.push(host().value(rp, rl));
      },
      response: (status: number, mp: number, ml: number) => {
        host().out.response = { status, message: host().text(mp, ml) };
      },
      log: (level: number, mp: number, ml: number) => {
        host().out.logs.push({ level, message: host().text(mp, ml) });
      },
    };
    const env = {
      memory,
      abort: (msg: number, file: number, line: number, column: number) => {
        const g = host();
        throw new GuestFailure(`abort: ${g.asString(msg)} at ${g.asString(file)}:${line}:${column}`);
      },
      trace: () => undefined,
      seed: () => 42,
    };
    const { instance } = await webAssembly.instantiate(wasm, { env, stoa });
    ref.guest = new Guest(memory, instance.exports);
    return ref.guest;
  }

  private static emptyOutcome(): CallOutcome {
    return { results: [], rawResults: [], inserts: [], updates: [], puts: [], logs: [], reads: [] };
  }

  /** Calls the export `name` with these inputs; a guest abort or trap lands in `error`. */
  call(name: string, inputs: HostInputs = {}): CallOutcome {
    const fn = this.exports[name];
    if (typeof fn !== 'function') throw new Error(`no export ${name}`);
    this.inputs = inputs;
    this.out = Guest.emptyOutcome();
    this.pending = undefined;
    this.iterators = [];
    try {
      (fn as () => void)();
    } catch (e) {
      if (!(e instanceof GuestFailure) && !(e instanceof Error && e.constructor.name === 'RuntimeError')) throw e;
      this.out.error = e.message;
    }
    return this.out;
  }

  /** Calls any export directly (runtime helpers, the ABI's required exports). */
  callExport(name: string, ...args: unknown[]): unknown {
    const fn = this.exports[name];
    if (typeof fn !== 'function') throw new Error(`no export ${name}`);
    return (fn as (...a: unknown[]) => unknown)(...args);
  }

  /** Bytes of linear memory (to check that repeated calls do not grow it). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  private bytes(ptr: number, len: number): Uint8Array {
    if (ptr < 0 || len < 0 || ptr + len > this.memory.buffer.byteLength) throw new GuestFailure('range outside memory');
    return new Uint8Array(this.memory.buffer, ptr, len).slice();
  }

  private text(ptr: number, len: number): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes(ptr, len));
  }

  private value(ptr: number, len: number): unknown {
    return unpackr.unpack(this.bytes(ptr, len));
  }

  /** An AssemblyScript string (UTF-16LE, byte length at ptr - 4). */
  private asString(ptr: number): string {
    if (ptr === 0) return 'null';
    const len = new DataView(this.memory.buffer).getUint32(ptr - 4, true);
    return Buffer.from(this.memory.buffer, ptr, len).toString('utf16le');
  }

  private produce(v: unknown): number {
    if (v === undefined) return -1;
    this.pending = v instanceof Uint8Array ? v : packr.pack(v);
    return this.pending.length;
  }

  private take(ptr: number): void {
    const p = this.pending;
    if (p === undefined) throw new GuestFailure('take: nothing pending');
    if (ptr + p.length > this.memory.buffer.byteLength) throw new GuestFailure('take: range outside memory');
    new Uint8Array(this.memory.buffer, ptr, p.length).set(p);
    this.pending = undefined;
  }

  private getRecord(id: bigint): number {
    this.out.reads.push(`record ${id}`);
    return this.produce(this.inputs.records?.get(Number(id)));
  }

  private getView(vp: number, vl: number, kp: number, kl: number): number {
    const view = this.text(vp, vl);
    const key = this.value(kp, kl) as Row;
    this.out.reads.push(`view ${view} ${JSON.stringify(key)}`);
    return this.produce((this.inputs.views?.[view] ?? []).find((row) => matches(row, key)));
  }

  private readView(vp: number, vl: number, pp: number, pl: number, limit: number, reverse: number): number {
    const view = this.text(vp, vl);
    const prefix = this.value(pp, pl) as Row;
    this.out.reads.push(`read ${view} ${JSON.stringify(prefix)} ${limit} ${reverse}`);
    let rows = (this.inputs.views?.[view] ?? []).filter((row) => matches(row, prefix));
    if (reverse) rows = rows.slice().reverse();
    if (limit >= 0) rows = rows.slice(0, limit);
    this.iterators.push(rows.slice());
    return this.iterators.length - 1;
  }

  private next(handle: number): number {
    const rows = this.iterators[handle];
    if (!rows) throw new GuestFailure(`next: no iterator ${handle}`);
    return this.produce(rows.shift());
  }

  private secret(np: number, nl: number): number {
    const name = this.text(np, nl);
    this.out.reads.push(`secret ${name}`);
    const value = this.inputs.secrets?.[name];
    if (value === undefined) return -1;
    this.pending = new TextEncoder().encode(value);
    return this.pending.length;
  }

  private insert(tp: number, tl: number, fp: number, fl: number): bigint {
    this.out.inserts.push({ table: this.text(tp, tl), fields: this.value(fp, fl) });
    return this.nextId++;
  }
}
