// One instance of a guest module with its imports (ABI.md §3, §4) and the asyncify driver (§5).
// An instance serves one call at a time; between calls it keeps its globals and heap. The call
// state (context, pending value, iterators, counters) lives in fields, and the imports are created
// once per instance, so the hot path allocates nothing beyond the values it passes.
//
// Suspension: a read whose answer comes from async storage stores the promise, unwinds the guest's
// stack into the buffer from `__stoa_alloc` and returns; the export returns with asyncify state 1;
// `drive` awaits the promise, starts a rewind and calls the export again, which re-enters the
// suspended frames up to the same import call, which then returns the resolved answer.

import type { EventView, ExtensionContext, ViewRow } from '../host.js';
import { ABI_VERSION, SUSPEND_BUFFER_BYTES } from './abi.js';
import { GuestAbortError, HostCallError } from './errors.js';
import { EventBytes } from './event-bytes.js';
import type { MemoryUse } from './errors.js';
import type { PreparedModule } from './instrument.js';
import { decodeGuestMap, MessagePackError } from './msgpack-decode.js';
import { GuestEncoder } from './msgpack-encode.js';
import type { WasmGlobal, WasmMemory } from './webassembly-api.js';
import { webAssembly } from './webassembly-api.js';
import { DEFAULT_FUEL_GLOBAL } from './fuel.js';

const PAGE_BYTES = 65_536;
const MAX_ID = BigInt(Number.MAX_SAFE_INTEGER);
const ASYNCIFY_UNWINDING = 1;

export interface GuestLimits {
  readonly fuel: number;
  readonly maxMemoryBytes: number;
  readonly maxValueBytes: number;
  readonly maxIntents: number;
  readonly maxLogLines: number;
}

/** Where `env.trace` lines go (debug level); a pino logger fits. */
export interface TraceLogger {
  debug(data: Record<string, unknown>, message: string): void;
}

interface GuestExports {
  readonly __stoa_abi_version: () => number;
  readonly __stoa_alloc: (size: number) => number;
  readonly asyncify_start_unwind: (ptr: number) => void;
  readonly asyncify_stop_unwind: () => void;
  readonly asyncify_start_rewind: (ptr: number) => void;
  readonly asyncify_stop_rewind: () => void;
  readonly asyncify_get_state: () => number;
  readonly [name: string]: unknown;
}

interface RowIterator {
  rows: readonly ViewRow[];
  pos: number;
}

const NO_ROWS: readonly ViewRow[] = [];
const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf16 = new TextDecoder('utf-16le');

async function collectRows(rows: AsyncIterable<ViewRow>): Promise<ViewRow[]> {
  const out: ViewRow[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

export class Guest {
  readonly exports: GuestExports;
  private readonly memory: WasmMemory;
  private u8: Uint8Array;
  private readonly fuel: WasmGlobal;
  private readonly budget: bigint;
  private readonly dataPtr: number;

  // Call state: set by call(), cleared by end().
  private ctx: ExtensionContext | undefined;
  /** Length of the pending value (in `encoder`'s buffer), -1 when nothing is pending. */
  private pending = -1;
  /** Set when the pending value is this event, whose bytes are in `events` (shared), not `encoder`. */
  private pendingEvent: EventView | undefined;
  private readonly encoder = new GuestEncoder();
  private readonly iterators: RowIterator[] = [];
  private intents = 0;
  private logLines = 0;
  private suspended: Promise<unknown> | undefined;
  private resumed: unknown;
  private rewinding = false;

  constructor(
    prepared: PreparedModule,
    private readonly limits: GuestLimits,
    private readonly trace: TraceLogger | undefined,
    /** The app's shared encoded-event slot (wasm-host.ts); a standalone instance has its own. */
    private readonly events: EventBytes = new EventBytes(),
  ) {
    this.budget = BigInt(limits.fuel);
    const capPages = Math.floor(limits.maxMemoryBytes / PAGE_BYTES);
    const declaredMax = prepared.memory.maximumPages;
    this.memory = new webAssembly.Memory({
      initial: prepared.memory.initialPages,
      maximum: declaredMax === undefined ? capPages : Math.min(declaredMax, capPages),
    });
    this.u8 = new Uint8Array(this.memory.buffer);
    const instance = new webAssembly.Instance(prepared.module, this.createImports());
    this.exports = instance.exports as GuestExports;
    this.fuel = instance.exports[DEFAULT_FUEL_GLOBAL] as WasmGlobal;
    this.fuel.value = this.budget;
    this.dataPtr = this.exports.__stoa_alloc(SUSPEND_BUFFER_BYTES) >>> 0;
    if (this.dataPtr + SUSPEND_BUFFER_BYTES > this.mem().length) {
      throw new HostCallError(`__stoa_alloc(${SUSPEND_BUFFER_BYTES}) returned ${this.dataPtr}, outside memory`);
    }
  }

  abiVersion(): number {
    this.fuel.value = this.budget;
    return this.exports.__stoa_abi_version();
  }

  /** Fuel left after the last call (≤ 0 when it ran out). */
  fuelLeft(): bigint {
    return this.fuel.value as bigint;
  }

  /** Linear memory in use and the cap, for describing failures. */
  memoryUse(): MemoryUse {
    return { usedBytes: this.memory.buffer.byteLength, maxBytes: this.limits.maxMemoryBytes };
  }

  /** The entry point `name`, or undefined if the module does not export it. */
  entryPoint(name: string): (() => void) | undefined {
    const fn = this.exports[name];
    return typeof fn === 'function' ? (fn as () => void) : undefined;
  }

  /**
   * Runs `fn` (an entry point of this instance) for `ctx`. Returns undefined when the call finished
   * without suspending, else a promise of its end. Failures are thrown raw (see errors.ts).
   */
  call(fn: () => void, ctx: ExtensionContext): Promise<void> | undefined {
    this.ctx = ctx;
    this.fuel.value = this.budget;
    this.intents = 0;
    this.logLines = 0;
    fn();
    if (this.suspended !== undefined) return this.drive(fn);
    this.end();
    return undefined;
  }

  private async drive(fn: () => void): Promise<void> {
    const e = this.exports;
    while (this.suspended !== undefined) {
      if (e.asyncify_get_state() !== ASYNCIFY_UNWINDING) throw new HostCallError('asyncify: the guest did not unwind');
      e.asyncify_stop_unwind();
      const pending = this.suspended;
      this.suspended = undefined;
      this.resumed = await pending;
      this.rewinding = true;
      e.asyncify_start_rewind(this.dataPtr);
      fn();
      if (this.rewinding) throw new HostCallError('asyncify: the guest did not rewind to the suspended import');
    }
    this.end();
  }

  private end(): void {
    this.ctx = undefined;
    this.pending = -1;
    this.pendingEvent = undefined;
    this.resumed = undefined;
    if (this.iterators.length > 0) this.iterators.length = 0;
  }

  /** After a failure: drop references and silence a read still in flight. */
  discard(): void {
    this.suspended?.catch(() => undefined);
    this.suspended = undefined;
    this.end();
  }

  private mem(): Uint8Array {
    // memory.grow detaches the old buffer (byteLength 0): re-wrap lazily.
    if (this.u8.byteLength === 0) this.u8 = new Uint8Array(this.memory.buffer);
    return this.u8;
  }

  private context(): ExtensionContext {
    const ctx = this.ctx;
    if (ctx === undefined) throw new HostCallError('import called outside an extension call');
    return ctx;
  }

  /**
   * Checks that `ptr..ptr+len` lies in memory and, for values the guest passes in, within the value
   * cap; returns the start offset.
   */
  private range(ptr: number, len: number, imp: string, capped = true): number {
    const p = ptr >>> 0;
    if (capped && len > this.limits.maxValueBytes) {
      throw new HostCallError(`${imp}: a value of ${len} bytes exceeds the limit of ${this.limits.maxValueBytes}`);
    }
    const size = this.mem().length;
    if (len < 0 || p + len > size) {
      throw new HostCallError(`${imp}: range ${p}+${len} is outside the guest's memory (${size} bytes)`);
    }
    return p;
  }

  private string(ptr: number, len: number, imp: string): string {
    const p = this.range(ptr, len, imp);
    const m = this.u8;
    if (len <= 64) {
      // Names (views, tables) are short ASCII: skip TextDecoder's fixed cost and the subarray.
      let s = '';
      for (let i = p; i < p + len; i++) {
        const c = m[i]!;
        if (c >= 0x80) return this.utf8(m.subarray(p, p + len), imp);
        s += String.fromCharCode(c);
      }
      return s;
    }
    return this.utf8(m.subarray(p, p + len), imp);
  }

  private utf8(b: Uint8Array, imp: string): string {
    try {
      return utf8.decode(b);
    } catch {
      throw new HostCallError(`${imp}: invalid UTF-8`);
    }
  }

  private map(ptr: number, len: number, imp: string): Record<string, unknown> {
    const p = this.range(ptr, len, imp);
    try {
      return decodeGuestMap(this.u8, p, p + len);
    } catch (error) {
      if (error instanceof MessagePackError) throw new HostCallError(`${imp}: ${error.message}`);
      throw error;
    }
  }

  private id(value: bigint, imp: string): number {
    if (value < 0n || value > MAX_ID) throw new HostCallError(`${imp}: invalid id ${value}`);
    return Number(value);
  }

  /** Encodes `value` as the pending value (ABI §3) and returns its length; undefined: nothing, -1. */
  private produce(value: unknown): number {
    this.pendingEvent = undefined;
    this.pending = value === undefined ? -1 : this.encoder.encode(value);
    return this.pending;
  }

  /** A read's answer: produced at once when the state had it in memory, else the guest suspends. */
  private answer(value: unknown): number {
    return value instanceof Promise ? this.suspend(value) : this.produce(value);
  }

  private suspend(answer: Promise<unknown>): number {
    this.suspended = answer;
    const m = this.mem();
    const p = this.dataPtr;
    // asyncify's data struct: i32 start and end of the unwind buffer (little-endian).
    writeI32(m, p, p + 8);
    writeI32(m, p + 4, p + SUSPEND_BUFFER_BYTES);
    this.exports.asyncify_start_unwind(p);
    return 0;
  }

  /** True (and asyncify back to normal) when this import call is the end of a rewind. */
  private resuming(): boolean {
    if (!this.rewinding) return false;
    this.rewinding = false;
    this.exports.asyncify_stop_rewind();
    return true;
  }

  private takeResumed(): unknown {
    const v = this.resumed;
    this.resumed = undefined;
    return v;
  }

  private countIntent(imp: string): void {
    if (++this.intents > this.limits.maxIntents) {
      throw new HostCallError(`${imp}: more than ${this.limits.maxIntents} intents in one call`);
    }
  }

  /** An AssemblyScript string: UTF-16LE, its byte length in the u32 before it; 0 is null. */
  private asString(ptr: number, imp: string): string {
    if (ptr === 0) return 'null';
    const m = this.mem();
    const p = ptr >>> 0;
    if (p < 4 || p > m.length) throw new HostCallError(`${imp}: string pointer ${p} is outside memory`);
    const len = (m[p - 4]! | (m[p - 3]! << 8) | (m[p - 2]! << 16) | (m[p - 1]! << 24)) >>> 0;
    if (len > this.limits.maxValueBytes || p + len > m.length) {
      throw new HostCallError(`${imp}: string at ${p} (${len} bytes) is outside memory`);
    }
    return utf16.decode(m.subarray(p, p + len));
  }

  private createImports(): Record<string, Record<string, unknown>> {
    const stoa = {
      take: (ptr: number): void => {
        const n = this.pending;
        if (n < 0) throw new HostCallError('stoa.take: nothing pending');
        const p = this.range(ptr, n, 'stoa.take', false); // refreshes this.u8 after a grow
        const ev = this.pendingEvent;
        this.u8.set(ev === undefined ? this.encoder.bytes(n) : this.events.bytes(ev, n), p);
        this.pending = -1;
        this.pendingEvent = undefined;
      },
      context: (): number => {
        const c = this.context();
        return this.produce({
          abi: ABI_VERSION,
          qname: c.qname,
          kind: c.kind,
          wsid: c.wsid,
          partition: c.partition,
          now: c.now,
        });
      },
      arg: (): number => this.produce(this.context().arg),
      unlogged_arg: (): number => this.produce(this.context().unloggedArg),
      event: (): number => {
        const ev = this.context().event;
        if (ev === undefined) return this.produce(undefined);
        this.pending = this.events.encode(ev);
        this.pendingEvent = ev;
        return this.pending;
      },
      get_record: (id: bigint): number => {
        if (this.resuming()) return this.produce(this.takeResumed());
        const state = this.context().state;
        const rid = this.id(id, 'stoa.get_record');
        return this.answer(state.getRecordNow === undefined ? state.getRecord(rid) : state.getRecordNow(rid));
      },
      get_view: (viewPtr: number, viewLen: number, keyPtr: number, keyLen: number): number => {
        if (this.resuming()) return this.produce(this.takeResumed());
        const view = this.string(viewPtr, viewLen, 'stoa.get_view');
        const key = this.map(keyPtr, keyLen, 'stoa.get_view');
        const state = this.context().state;
        return this.answer(state.getViewNow === undefined ? state.getView(view, key) : state.getViewNow(view, key));
      },
      read_view: (vPtr: number, vLen: number, pPtr: number, pLen: number, limit: number, reverse: number): number => {
        if (this.resuming()) {
          this.iterators.push({ rows: this.takeResumed() as ViewRow[], pos: 0 });
          return this.iterators.length - 1;
        }
        const view = this.string(vPtr, vLen, 'stoa.read_view');
        const prefix = this.map(pPtr, pLen, 'stoa.read_view');
        const options = { limit: limit < 0 ? undefined : limit, reverse: reverse !== 0 };
        // Rows are collected while suspended, so `next` answers synchronously.
        return this.suspend(collectRows(this.context().state.readView(view, prefix, options)));
      },
      next: (handle: number): number => {
        const it = this.iterators[handle];
        if (it === undefined) throw new HostCallError(`stoa.next: unknown iterator handle ${handle}`);
        const row = it.rows[it.pos++];
        if (row === undefined) it.rows = NO_ROWS; // exhausted: let the rows go
        return this.produce(row);
      },
      secret: (namePtr: number, nameLen: number): number => {
        if (this.resuming()) {
          const value = this.takeResumed() as string | undefined;
          this.pendingEvent = undefined;
          this.pending = value === undefined ? -1 : this.encoder.encodeUtf8(value); // raw UTF-8, not MessagePack
          return this.pending;
        }
        const name = this.string(namePtr, nameLen, 'stoa.secret');
        return this.suspend(this.context().state.getAppSecret(name));
      },
      insert_record: (tPtr: number, tLen: number, fPtr: number, fLen: number): bigint => {
        this.countIntent('stoa.insert_record');
        const table = this.string(tPtr, tLen, 'stoa.insert_record');
        const fields = this.map(fPtr, fLen, 'stoa.insert_record');
        return BigInt(this.context().intents.insertRecord(table, fields));
      },
      update_record: (id: bigint, fPtr: number, fLen: number): void => {
        this.countIntent('stoa.update_record');
        const fields = this.map(fPtr, fLen, 'stoa.update_record');
        this.context().intents.updateRecord(this.id(id, 'stoa.update_record'), fields);
      },
      put_view: (vPtr: number, vLen: number, rPtr: number, rLen: number): void => {
        this.countIntent('stoa.put_view');
        const view = this.string(vPtr, vLen, 'stoa.put_view');
        this.context().intents.putView(view, this.map(rPtr, rLen, 'stoa.put_view'));
      },
      result: (ptr: number, len: number): void => {
        this.countIntent('stoa.result');
        this.context().intents.result(this.map(ptr, len, 'stoa.result'));
      },
      response: (status: number, ptr: number, len: number): void => {
        this.context().intents.response(status, this.string(ptr, len, 'stoa.response'));
      },
      log: (level: number, ptr: number, len: number): void => {
        const ctx = this.context();
        if (level < 0 || level > 2) throw new HostCallError(`stoa.log: level ${level} is not 0, 1 or 2`);
        if (++this.logLines > this.limits.maxLogLines) {
          if (this.logLines === this.limits.maxLogLines + 1) {
            ctx.log.warn(`more than ${this.limits.maxLogLines} log lines in one call: the rest are dropped`);
          }
          return;
        }
        const message = this.string(ptr, len, 'stoa.log');
        if (level === 0) ctx.log.info(message);
        else if (level === 1) ctx.log.warn(message);
        else ctx.log.error(message);
      },
    };
    const env = {
      memory: this.memory,
      abort: (msgPtr: number, filePtr: number, line: number, column: number): never => {
        let message: string;
        try {
          message = `abort: ${this.asString(msgPtr, 'env.abort')} at ${this.asString(filePtr, 'env.abort')}:${line}:${column}`;
        } catch (error) {
          message = `abort (unreadable message: ${error instanceof Error ? error.message : String(error)})`;
        }
        throw new GuestAbortError(message);
      },
      trace: (msgPtr: number, n: number, ...args: number[]): void => {
        // No context during instantiation (a start function may trace): log without the extension.
        const ctx = this.ctx;
        if (++this.logLines > this.limits.maxLogLines || this.trace === undefined) return;
        const values = args.slice(0, Math.max(0, Math.min(n, 5)));
        this.trace.debug(
          ctx === undefined ? {} : { extension: ctx.qname, wsid: ctx.wsid },
          `trace: ${this.asString(msgPtr, 'env.trace')}${values.length > 0 ? ` ${values.join(', ')}` : ''}`,
        );
      },
      seed: (): number => Math.random(),
    };
    return { stoa, env };
  }
}

function writeI32(m: Uint8Array, at: number, value: number): void {
  m[at] = value & 0xff;
  m[at + 1] = (value >>> 8) & 0xff;
  m[at + 2] = (value >>> 16) & 0xff;
  m[at + 3] = (value >>> 24) & 0xff;
}
