/**
 * Reads: documents, CDoc collections, queries and views. None of them goes through the partition
 * queue — they read what is applied in storage (a command's response is sent only after its
 * records and sync views are applied, so a client reads its own writes).
 */
import { AppError } from '@stoa/errors';
import type { QName, TableDef } from '@stoa/vsql';
import { assertInWorkspace, authorize, resolveAccess, type Access } from './access.js';
import type { AppRuntime } from './app-runtime.js';
import { isObject } from './cud-parse.js';
import { buildExtensionContext, responseError } from './ext-context.js';
import { normalizeObject, outputRecord } from './fields.js';
import { filterRows, matchValues, project, shapeRows } from './read-params.js';
import type { CallContext, ReadQuery, ReadResult } from './service.js';
import { StateSource } from './state-source.js';
import type { StoredRecord } from './types.js';
import { getViewDef, normalizeViewKey, viewCk, viewPk } from './views.js';

const MAX_NESTING = 8;
const MAX_VIEW_PARTITIONS = 100;

function getTableDef(app: AppRuntime, table: QName): TableDef {
  const def = app.appdef.tables[table];
  if (def === undefined || def.abstract) throw new AppError('NOT_FOUND', `unknown table ${table}`, { qname: table });
  return def;
}

/** Fields the caller may select ('all' or a set); system fields are always visible with the record. */
function selectable(app: AppRuntime, access: Access, resource: QName): 'all' | ReadonlySet<string> | undefined {
  const d = app.acl.evaluate({ workspace: access.meta.kind, roles: access.roles, privilege: 'select', resource });
  if (!d.allowed) return undefined;
  return d.fields === 'all' ? 'all' : new Set(d.fields);
}

/**
 * With a field-restricted SELECT, `where` and `order` may name only selectable fields: filtering or
 * sorting by a hidden field would reveal its values. 403 naming the field.
 */
function checkReadFields(resource: QName, fields: 'all' | ReadonlySet<string>, query: ReadQuery): void {
  if (fields === 'all') return;
  const named = [...Object.keys(query.where ?? {}), ...(query.order ?? []).map((o) => o.replace(/^-/, ''))];
  const hidden = named.find((f) => !f.startsWith('sys.') && !fields.has(f.split('.')[0]!));
  if (hidden !== undefined) {
    throw new AppError('FORBIDDEN', `select of field ${hidden} of ${resource} is not allowed`, {
      qname: resource,
      data: { privilege: 'select', field: hidden },
    });
  }
}

/** Field names of each table and view of an AppDef (system fields included). */
const knownFieldsCache = new WeakMap<AppRuntime['appdef'], Map<QName, ReadonlySet<string>>>();

function knownFields(app: AppRuntime, entity: QName): ReadonlySet<string> | undefined {
  let perApp = knownFieldsCache.get(app.appdef);
  if (perApp === undefined) {
    perApp = new Map();
    knownFieldsCache.set(app.appdef, perApp);
  }
  let known = perApp.get(entity);
  if (known === undefined) {
    const def = app.appdef.tables[entity] ?? app.appdef.views[entity];
    if (def === undefined) return undefined;
    known = new Set(def.fields.map((f) => f.name));
    perApp.set(entity, known);
  }
  return known;
}

/**
 * The readable part of a stored record or view row: fields the active AppDef does not know (left
 * by a newer version before a rollback, docs/admin-api.md) stay stored but hidden, and fields a
 * column-restricted SELECT does not grant are dropped. System fields always show.
 */
function restrict(
  app: AppRuntime,
  entity: QName,
  record: StoredRecord,
  fields: 'all' | ReadonlySet<string>,
): Record<string, unknown> {
  const out = outputRecord(record);
  const known = knownFields(app, entity);
  for (const k of Object.keys(out)) {
    if (k.startsWith('sys.')) continue;
    if ((known !== undefined && !known.has(k)) || (fields !== 'all' && !fields.has(k))) delete out[k];
  }
  return out;
}

async function withChildren(
  app: AppRuntime,
  access: Access,
  record: StoredRecord,
  depth: number,
): Promise<Record<string, unknown>> {
  const table = String(record['sys.QName']);
  const fields = selectable(app, access, table) ?? 'all';
  const out = restrict(app, table, record, fields);
  const def = app.appdef.tables[table];
  if (def === undefined || def.containers.length === 0 || depth >= MAX_NESTING) return out;
  const wsid = access.meta.wsid;
  const children = await app.store.listChildren(wsid, Number(record['sys.ID']));
  const records = await app.store.getRecords(
    wsid,
    children.map((c) => c.id),
  );
  // A container whose nested table the caller may not select is left out altogether.
  for (const c of def.containers) if (selectable(app, access, c.type) !== undefined) out[c.name] = [];
  for (let i = 0; i < children.length; i++) {
    const child = records[i];
    const container = children[i]!.container;
    if (child === undefined || !Array.isArray(out[container])) continue;
    if (selectable(app, access, String(child['sys.QName'])) === undefined) continue;
    (out[container] as unknown[]).push(await withChildren(app, access, child, depth + 1));
  }
  return out;
}

/** `include`: ref fields (first path segment) are replaced by the referenced record when readable. */
async function includeRefs(
  app: AppRuntime,
  access: Access,
  def: TableDef,
  row: Record<string, unknown>,
  include: readonly string[] | undefined,
): Promise<void> {
  for (const path of include ?? []) {
    const name = path.split('.')[0]!;
    const f = def.fields.find((x) => x.name === name);
    if (f === undefined) {
      if (def.containers.some((c) => c.name === name)) continue;
      throw new AppError('BAD_REQUEST', `include: ${def.qname} has no field ${name}`, { data: { field: name } });
    }
    if (f.type.kind !== 'ref' || typeof row[name] !== 'number') continue;
    const target = await app.store.getRecord(access.meta.wsid, row[name]);
    if (target === undefined) continue;
    const fields = selectable(app, access, String(target['sys.QName']));
    if (fields !== undefined) row[name] = restrict(app, String(target['sys.QName']), target, fields);
  }
}

export async function getDoc(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  table: QName,
  id: number,
  query: ReadQuery,
): Promise<Record<string, unknown>> {
  const access = await resolveAccess(app, ctx, wsid);
  const def = getTableDef(app, table);
  assertInWorkspace(app, access.meta, table, 'table');
  authorize(app, access, 'select', table);
  const record = Number.isSafeInteger(id) && id > 0 ? await app.store.getRecord(wsid, id) : undefined;
  if (record?.['sys.QName'] !== table)
    throw new AppError('NOT_FOUND', `${table} ${id} not found`, { qname: table, data: { id } });
  const out = await withChildren(app, access, record, 0);
  await includeRefs(app, access, def, out, query.include);
  return project(out, query.keys);
}

export async function listCDocs(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  table: QName,
  query: ReadQuery,
): Promise<ReadResult> {
  const access = await resolveAccess(app, ctx, wsid);
  const def = getTableDef(app, table);
  if (def.kind !== 'CDoc' && def.kind !== 'WDoc')
    throw new AppError('BAD_REQUEST', `${table} is a ${def.kind}, not a document collection`, { qname: table });
  assertInWorkspace(app, access.meta, table, 'table');
  authorize(app, access, 'select', table);
  const fields = selectable(app, access, table) ?? 'all';
  checkReadFields(table, fields, query);
  const ids = await app.store.listCollection(wsid, table);
  const records = await app.store.getRecords(wsid, ids);
  const containers = new Set(
    (query.include ?? []).map((p) => p.split('.')[0]!).filter((n) => def.containers.some((c) => c.name === n)),
  );
  const rows: Record<string, unknown>[] = [];
  for (const r of records) {
    if (r === undefined || r['sys.IsActive'] === false) continue;
    const row = containers.size > 0 ? await withChildren(app, access, r, 0) : restrict(app, table, r, fields);
    for (const c of def.containers) if (!containers.has(c.name)) delete row[c.name];
    rows.push(row);
  }
  const filtered = filterRows(rows, query.where);
  const shaped = shapeRows(filtered, { ...query, keys: undefined });
  for (const row of shaped) await includeRefs(app, access, def, row, query.include);
  return { results: shaped.map((r) => project(r, query.keys)) };
}

export async function runQuery(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  query: QName,
  args: Readonly<Record<string, unknown>> | undefined,
  read: ReadQuery,
): Promise<ReadResult> {
  const access = await resolveAccess(app, ctx, wsid);
  const ext = app.appdef.extensions[query];
  if (ext?.kind !== 'query') throw new AppError('NOT_FOUND', `unknown query ${query}`, { qname: query });
  assertInWorkspace(app, access.meta, query, 'query');
  authorize(app, access, 'execute', query);
  let arg: Record<string, unknown> | undefined;
  const empty = args === undefined || (isObject(args) && Object.keys(args).length === 0);
  if (ext.param === undefined || ext.param === 'void') {
    if (!empty) throw new AppError('VALIDATION_FAILED', `${query} takes no args`, { data: { field: 'args' } });
  } else if (ext.param === 'any') arg = { ...args };
  else arg = normalizeObject(app.appdef, ext.param, args ?? {}, 'args');
  const built = buildExtensionContext({
    appdef: app.appdef,
    ext,
    wsid,
    partition: app.partitionOf(wsid),
    state: new StateSource(app.store, undefined),
    writes: undefined,
    arg,
    now: app.resources.now(),
    logger: app.logger,
    logBindings: { wsid, requestId: ctx.requestId },
    getSecret(name) {
      return app.getSecret(name);
    },
  });
  try {
    await app.extensions.invoke(built.ctx);
  } finally {
    built.close();
  }
  const failed = responseError(query, built.intents.response);
  if (failed !== undefined) throw failed;
  const rows = built.intents.results.map((r) => outputRecord(r));
  return { results: shapeRows(filterRows(rows, read.where), read) };
}

export async function readView(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  view: QName,
  query: ReadQuery,
): Promise<ReadResult> {
  const access = await resolveAccess(app, ctx, wsid);
  const def = getViewDef(app.appdef, view);
  assertInWorkspace(app, access.meta, view, 'view');
  authorize(app, access, 'select', view);
  const fields = selectable(app, access, view) ?? 'all';
  checkReadFields(view, fields, query);
  const where = query.where ?? {};
  for (const f of def.partitionKey) {
    if (!(f in where)) {
      throw new AppError('BAD_REQUEST', `where must fix the partition key of ${view}: missing ${f}`, {
        qname: view,
        data: { field: f },
      });
    }
  }
  // Every combination of the partition key's values ($in on a key field = several partitions).
  let combos: Record<string, unknown>[] = [{}];
  for (const f of def.partitionKey) {
    const values = matchValues(where[f]);
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [f]: v })));
    if (combos.length > MAX_VIEW_PARTITIONS)
      throw new AppError('BAD_REQUEST', `where selects more than ${MAX_VIEW_PARTITIONS} partitions of ${view}`);
  }
  const prefix: Record<string, unknown> = {};
  let cc = 0;
  for (const f of def.clusteringColumns) {
    const w = where[f];
    if (w === undefined || isObject(w)) break;
    prefix[f] = w;
    cc++;
  }
  const rows: Record<string, unknown>[] = [];
  for (const combo of combos) {
    const key = normalizeViewKey(def, { ...prefix, ...combo }, cc, 'where');
    for (const r of await app.store.readViewRows(viewPk(def, wsid, key), viewCk(def, key, cc)))
      rows.push(restrict(app, view, r.row, fields));
  }
  return { results: shapeRows(filterRows(rows, query.where), query) };
}

export async function authorizeSubscription(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  view: QName,
): Promise<void> {
  const access = await resolveAccess(app, ctx, wsid);
  if (view === 'sys.WLog' && ctx.principal === null) throw new AppError('UNAUTHENTICATED', 'authentication required');
  if (view !== 'sys.WLog') {
    getViewDef(app.appdef, view);
    assertInWorkspace(app, access.meta, view, 'view');
    authorize(app, access, 'select', view);
  }
}
