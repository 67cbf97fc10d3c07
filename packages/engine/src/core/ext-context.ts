/**
 * The ExtensionContext an extension runs with. Every state read and intent is checked against the
 * extension's declared STATE/INTENTS (an undeclared storage or entity is an extension bug: 500
 * naming it). Intents are collected and applied by the caller after the invocation returns, so an
 * extension that fails leaves nothing behind; the context is closed after the invocation and any
 * late call (e.g. from a timed-out async builtin) throws.
 */
import { AppError } from '@stoa/errors';
import type { AppDef, ExtensionDef, QName } from '@stoa/vsql';
import type { Logger } from 'pino';
import type {
  EventView,
  ExtensionContext,
  IntentWriter,
  ReadViewOptions,
  StateReader,
  ViewRow,
} from '../extensions/host.js';
import { tableIsA } from './fields.js';
import type { StateSource } from './state-source.js';
import type { StoredRecord, StoredViewRow } from './types.js';
import { getViewDef, normalizeViewKey, readViewMerged, viewCk, viewPk, viewRowKey } from './views.js';
import type { WriteSet } from './write-set.js';

export interface CollectedIntents {
  readonly inserts: { table: QName; id: number; fields: Record<string, unknown> }[];
  readonly updates: { id: number; fields: Record<string, unknown> }[];
  readonly views: { view: QName; row: Record<string, unknown> }[];
  readonly results: Record<string, unknown>[];
  response?: { status: number; message: string };
}

export interface ContextOptions {
  readonly appdef: AppDef;
  readonly ext: ExtensionDef;
  readonly wsid: number;
  readonly partition: number;
  readonly state: StateSource;
  readonly writes: WriteSet | undefined;
  readonly arg?: Readonly<Record<string, unknown>> | undefined;
  readonly unloggedArg?: Readonly<Record<string, unknown>> | undefined;
  readonly event?: EventView | undefined;
  readonly now: number;
  readonly logger: Logger;
  /** Extra bindings of the extension's log lines (the child logger is created on the first line). */
  readonly logBindings?: Readonly<Record<string, unknown>>;
  readonly getSecret: (name: string) => Promise<string | undefined>;
  /** Commands: a new id for an inserted record (sync: the workspace sequence is loaded). */
  readonly allocateId?: (table: QName) => number;
}

export interface BuiltContext {
  readonly ctx: ExtensionContext;
  readonly intents: CollectedIntents;
  close(): void;
}

function declared(list: ExtensionDef['state'], storage: QName, entity?: QName, appdef?: AppDef): boolean {
  return list.some(
    (s) =>
      s.storage === storage &&
      (entity === undefined ||
        s.entities.includes(entity) ||
        (appdef !== undefined && s.entities.some((e) => tableIsA(appdef, entity, e)))),
  );
}

function rowOf(stored: StoredViewRow | undefined): ViewRow | undefined {
  return stored?.row;
}

export function buildExtensionContext(o: ContextOptions): BuiltContext {
  const { ext, appdef } = o;
  let open = true;
  const intents: CollectedIntents = { inserts: [], updates: [], views: [], results: [] };
  // Method shorthand, not arrow constants: under tsx (esbuild keepNames) every arrow assigned to a
  // name costs an Object.defineProperty per invocation, and contexts are built several times per command.
  const guard = {
    denied(verb: 'read' | 'write', storage: string, entity?: string): AppError {
      return new AppError(
        'INTERNAL',
        `${ext.qname} may not ${verb} ${storage}${entity === undefined ? '' : `(${entity})`}: not in its ${verb === 'read' ? 'STATE' : 'INTENTS'}`,
        { qname: ext.qname },
      );
    },
    assertOpen(): void {
      if (!open)
        throw new AppError('INTERNAL', `${ext.qname} used its context after the invocation ended`, {
          qname: ext.qname,
        });
    },
    canRead(storage: QName, entity?: QName): void {
      guard.assertOpen();
      if (!declared(ext.state, storage, entity, appdef)) throw guard.denied('read', storage, entity);
    },
    /** A record read: undefined, or the record once its table is checked against STATE. */
    record(rec: StoredRecord | undefined): StoredRecord | undefined {
      if (rec === undefined) return undefined;
      guard.canRead('sys.Record', String(rec['sys.QName']));
      return rec;
    },
    canWrite(storage: QName, entity?: QName): void {
      guard.assertOpen();
      if (!declared(ext.intents, storage, entity, appdef)) throw guard.denied('write', storage, entity);
    },
  };
  // `…Now` answer synchronously when the value is pending in the write set (the WASM host then
  // skips suspending its guest); the async methods are the same reads awaited, so both run the same
  // checks in the same order.
  const state: Required<StateReader> = {
    getRecordNow(id) {
      guard.canRead('sys.Record');
      const rec = o.state.getRecordNow(o.wsid, id);
      return rec instanceof Promise ? rec.then((r) => guard.record(r)) : guard.record(rec);
    },
    async getRecord(id) {
      return state.getRecordNow(id);
    },
    getViewNow(view, key) {
      guard.canRead('sys.View', view);
      const def = getViewDef(appdef, view);
      const k = normalizeViewKey(def, key, def.clusteringColumns.length, `${ext.qname} getView(${view})`);
      const row = o.state.getViewRowNow(viewRowKey(def, o.wsid, k));
      return row instanceof Promise ? row.then(rowOf) : row.row;
    },
    async getView(view, key) {
      return state.getViewNow(view, key);
    },
    readView(
      view: QName,
      keyPrefix: Readonly<Record<string, unknown>>,
      options?: ReadViewOptions,
    ): AsyncIterable<ViewRow> {
      guard.canRead('sys.View', view);
      const def = getViewDef(appdef, view);
      let cc = 0;
      while (cc < def.clusteringColumns.length && keyPrefix[def.clusteringColumns[cc]!] !== undefined) cc++;
      const k = normalizeViewKey(def, keyPrefix, cc, `${ext.qname} readView(${view})`);
      const pk = viewPk(def, o.wsid, k);
      const ck = viewCk(def, k, cc);
      return (async function* () {
        const rows = await readViewMerged(o.state, o.writes, pk, ck, options?.reverse === true);
        let n = 0;
        for (const r of rows) {
          if (options?.limit !== undefined && n++ >= options.limit) return;
          yield r.row;
        }
      })();
    },
    async getAppSecret(name) {
      guard.canRead('sys.AppSecret');
      return o.getSecret(name);
    },
  };

  const writer: IntentWriter = {
    insertRecord(table, fields) {
      guard.canWrite('sys.Record', table);
      if (o.allocateId === undefined)
        throw new AppError('INTERNAL', `${ext.qname} cannot insert records (${ext.kind})`);
      const id = o.allocateId(table);
      intents.inserts.push({ table, id, fields: { ...fields } });
      return id;
    },
    updateRecord(id, fields) {
      guard.canWrite('sys.Record');
      if (ext.kind !== 'command') throw new AppError('INTERNAL', `${ext.qname} cannot update records (${ext.kind})`);
      intents.updates.push({ id, fields: { ...fields } });
    },
    putView(view, row) {
      guard.canWrite('sys.View', view);
      intents.views.push({ view, row: { ...row } });
    },
    result(row) {
      guard.assertOpen();
      if (ext.kind !== 'command' && ext.kind !== 'query')
        throw new AppError('INTERNAL', `${ext.qname} cannot return results (${ext.kind})`);
      if (ext.kind === 'command' && intents.results.length > 0) {
        throw new AppError('INTERNAL', `${ext.qname} returned more than one result`);
      }
      intents.results.push({ ...row });
    },
    response(status, message) {
      guard.assertOpen();
      intents.response = { status, message };
    },
  };

  // A pino child (with redaction) costs per invocation; most extensions never log.
  let child: Logger | undefined;
  const logs = {
    get(): Logger {
      return (child ??= o.logger.child({ ...o.logBindings, extension: ext.qname }));
    },
  };
  const ctx: ExtensionContext = {
    qname: ext.qname,
    kind: ext.kind,
    appdef,
    wsid: o.wsid,
    partition: o.partition,
    arg: o.arg,
    unloggedArg: o.unloggedArg,
    event: o.event,
    now: o.now,
    state,
    intents: writer,
    log: {
      info(m, d) {
        logs.get().info(d ?? {}, m);
      },
      warn(m, d) {
        logs.get().warn(d ?? {}, m);
      },
      error(m, d) {
        logs.get().error(d ?? {}, m);
      },
    },
  };
  return {
    ctx,
    intents,
    close() {
      open = false;
    },
  };
}

const STATUS_CODES: Record<number, AppError['code']> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  410: 'GONE',
  413: 'PAYLOAD_TOO_LARGE',
  422: 'VALIDATION_FAILED',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
  504: 'TIMEOUT',
};

/** The AppError for an extension's `intents.response(status, message)`, or undefined for 2xx. */
export function responseError(qname: QName, response: CollectedIntents['response']): AppError | undefined {
  if (response === undefined || (response.status >= 200 && response.status < 300)) return undefined;
  const code =
    STATUS_CODES[response.status] ?? (response.status >= 400 && response.status < 500 ? 'BAD_REQUEST' : 'INTERNAL');
  return new AppError(code, response.message, { qname });
}
