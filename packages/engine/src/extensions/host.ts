import type { AppDef, ExtensionKind, QName } from '@stoa/vsql';
import type { AppBundle } from '../app/bundle.js';

/**
 * The extension-host interface. The BUILTIN host (TypeScript functions: the `sys` package and, in
 * dev mode, an app's `extensions/builtin.ts`) implements it now; the WASM host implements the same
 * interface later. State reads are async so that a host running untrusted guests in worker threads
 * (see docs/ARCHITECTURE.md, "Executor isolation") can serve them across threads.
 */

/** A record as extensions see it: system fields (`sys.ID`, `sys.QName`, `sys.IsActive`, …) + fields. */
export type RecordValue = Readonly<Record<string, unknown>>;

/** A view row: key fields + value fields. */
export type ViewRow = Readonly<Record<string, unknown>>;

/** One change of one record inside an event, as projectors see it. */
export interface CudView {
  readonly table: QName;
  readonly id: number;
  readonly isNew: boolean;
  /** Insert: every field written. Update: only the changed fields, with their new values. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Update only: the previous values of the changed fields (so projectors can move aggregates). */
  readonly oldFields?: Readonly<Record<string, unknown>>;
  /**
   * The whole record after the change (unchanged fields included; for inserts equal to `fields`),
   * as stored in the event — so a projector can key an update by fields it did not change.
   */
  readonly record?: Readonly<Record<string, unknown>>;
}

export interface EventView {
  /** The command that produced the event (`sys.CUD` for plain CRUD). */
  readonly qname: QName;
  readonly wsid: number;
  readonly plogOffset: number;
  readonly wlogOffset: number;
  /** Milliseconds since the epoch. */
  readonly registeredAt: number;
  readonly arg: Readonly<Record<string, unknown>> | undefined;
  readonly cuds: readonly CudView[];
  /** Set for events stored with a build error (`INCLUDING ERRORS` projectors only). */
  readonly error?: string;
}

export interface ReadViewOptions {
  readonly limit?: number;
  readonly reverse?: boolean;
}

/** Reads an extension may do; each checks the extension's declared STATE. */
export interface StateReader {
  getRecord(id: number): Promise<RecordValue | undefined>;
  /** Full key (partition key + every clustering column) → row. */
  getView(view: QName, key: Readonly<Record<string, unknown>>): Promise<ViewRow | undefined>;
  /** Full partition key + any prefix of the clustering columns → rows in key order. */
  readView(
    view: QName,
    keyPrefix: Readonly<Record<string, unknown>>,
    options?: ReadViewOptions,
  ): AsyncIterable<ViewRow>;
  getAppSecret(name: string): Promise<string | undefined>;
  /**
   * Optional fast paths of `getRecord` / `getView` for hosts that pay for every await (the WASM host
   * suspends the guest: asyncify unwind, await, rewind). The same read with the same checks, but
   * when the answer is already in memory without I/O (the batch's pending writes) it is returned
   * itself, not a promise; otherwise the promise the async method would return. A failed check
   * throws synchronously. Hosts that do not care (builtins) use the async methods.
   */
  getRecordNow?(id: number): RecordValue | undefined | Promise<RecordValue | undefined>;
  getViewNow?(view: QName, key: Readonly<Record<string, unknown>>): ViewRow | undefined | Promise<ViewRow | undefined>;
}

/** Writes an extension may request; each checks the extension's declared INTENTS. */
export interface IntentWriter {
  /** Commands: a new record; returns the raw id assigned within this command. */
  insertRecord(table: QName, fields: Readonly<Record<string, unknown>>): number;
  updateRecord(id: number, fields: Readonly<Record<string, unknown>>): void;
  /** Insert or replace a view row (key fields + value fields). */
  putView(view: QName, row: ViewRow): void;
  /** Commands: the result object. Queries: one result row per call. */
  result(row: Readonly<Record<string, unknown>>): void;
  /** Fail the call with this status (4xx/5xx) and message. */
  response(status: number, message: string): void;
}

export interface ExtensionLogger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface ExtensionContext {
  readonly qname: QName;
  readonly kind: ExtensionKind;
  readonly appdef: AppDef;
  readonly wsid: number;
  readonly partition: number;
  /** Commands and queries: the validated argument. Projectors with AFTER EXECUTE WITH PARAM: the command's. */
  readonly arg: Readonly<Record<string, unknown>> | undefined;
  /** Commands: the unlogged argument (never stored in clear). */
  readonly unloggedArg: Readonly<Record<string, unknown>> | undefined;
  /** Projectors: the triggering event. */
  readonly event: EventView | undefined;
  /** Jobs: the tick time in ms. */
  readonly now: number;
  readonly state: StateReader;
  readonly intents: IntentWriter;
  readonly log: ExtensionLogger;
}

export type BuiltinFunction = (ctx: ExtensionContext) => Promise<void> | void;

/** Builtin implementations keyed by extension QName (e.g. `todo.CompleteTask`). */
export type BuiltinExtensions = Readonly<Record<QName, BuiltinFunction>>;

/** Identity helper so an app's `extensions/builtin.ts` gets types: `export default defineBuiltins({...})`. */
export function defineBuiltins<T extends BuiltinExtensions>(builtins: T): T {
  return builtins;
}

export interface LoadedExtensions {
  /** Runs one extension; throws AppError (its status decides the HTTP answer; extension failures → 500). */
  invoke(qname: QName, ctx: ExtensionContext): Promise<void>;
  dispose(): Promise<void>;
}

export interface ExtensionHost {
  readonly engine: 'builtin' | 'wasm';
  /** Prepares the app's extensions of this engine; fails the load listing missing/undeclared ones. */
  load(bundle: AppBundle): Promise<LoadedExtensions>;
}
