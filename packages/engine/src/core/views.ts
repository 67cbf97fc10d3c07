/**
 * View rows: key building from a row (partition-key fields into the storage partition key,
 * clustering columns into the clustering key), validation of rows written by extensions, and the
 * idempotency rule — a row remembers the PLog offset of the event that last wrote it, and a write
 * from an event at or below that offset is skipped (replays and async redelivery never
 * double-count).
 */
import { AppError } from '@stoa/errors';
import { compareBytes } from '@stoa/storage';
import type { AppDef, FieldDef, QName, ViewDef } from '@stoa/vsql';
import type { KeyFieldKind } from '../store/key-codec.js';
import { KeyWriter } from '../store/key-codec.js';
import { keyId, viewPkWriter, type StorageKey } from '../store/keys.js';
import { decodeValue } from '../store/value-codec.js';
import { normalizeFieldValue } from './fields.js';
import type { StateSource } from './state-source.js';
import type { StoredViewRow } from './types.js';
import type { WriteSet } from './write-set.js';

export function getViewDef(appdef: AppDef, view: QName): ViewDef {
  const def = appdef.views[view];
  if (def === undefined) throw new AppError('NOT_FOUND', `unknown view ${view}`, { qname: view });
  return def;
}

function fieldOf(def: ViewDef, name: string): FieldDef {
  const f = def.fields.find((x) => x.name === name);
  if (f === undefined) throw new Error(`view ${def.qname} has no field ${name}`);
  return f;
}

/** Storage partition key of a view partition; `values` holds every partition-key field (normalised). */
export function viewPk(def: ViewDef, wsid: number, values: Readonly<Record<string, unknown>>): Uint8Array {
  const w = viewPkWriter(def.qname, wsid);
  for (const name of def.partitionKey) w.field(fieldOf(def, name).type.kind as KeyFieldKind, values[name]);
  return w.finish();
}

/** Clustering key from the first `count` clustering columns (all of them by default). */
export function viewCk(
  def: ViewDef,
  values: Readonly<Record<string, unknown>>,
  count = def.clusteringColumns.length,
): Uint8Array {
  const w = new KeyWriter(32);
  for (const name of def.clusteringColumns.slice(0, count))
    w.field(fieldOf(def, name).type.kind as KeyFieldKind, values[name]);
  return w.finish();
}

/** Normalises the key fields of `key` (all partition-key fields and the first `ccCount` clustering columns). */
export function normalizeViewKey(
  def: ViewDef,
  key: Readonly<Record<string, unknown>>,
  ccCount: number,
  where: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of [...def.partitionKey, ...def.clusteringColumns.slice(0, ccCount)]) {
    const v = normalizeFieldValue(fieldOf(def, name), key[name], where);
    if (v === null)
      throw new AppError('VALIDATION_FAILED', `${where}: key field ${name} of ${def.qname} is missing`, {
        data: { field: name },
      });
    out[name] = v;
  }
  return out;
}

/** Validates a complete row written by an extension; errors name the view and field. */
export function normalizeViewRow(
  def: ViewDef,
  row: Readonly<Record<string, unknown>>,
  where: string,
): Record<string, unknown> {
  const out = normalizeViewKey(def, row, def.clusteringColumns.length, where);
  for (const name of Object.keys(row)) {
    if (!def.fields.some((f) => f.name === name))
      throw new AppError('INTERNAL', `${where}: view ${def.qname} has no field ${name}`);
  }
  for (const name of def.valueFields) {
    const f = fieldOf(def, name);
    const v = normalizeFieldValue(f, row[name], where);
    if (v === null) {
      if (f.required) throw new AppError('INTERNAL', `${where}: field ${name} of view ${def.qname} is required`);
      continue;
    }
    out[name] = v;
  }
  return out;
}

export function viewRowKey(def: ViewDef, wsid: number, row: Readonly<Record<string, unknown>>): StorageKey {
  return { pk: viewPk(def, wsid, row), ck: viewCk(def, row) };
}

/**
 * Puts a row into the write set unless the stored row was already written by this or a later
 * event. Returns true if written.
 */
export async function putViewRow(
  state: StateSource,
  writes: WriteSet,
  def: ViewDef,
  wsid: number,
  row: Record<string, unknown>,
  offset: number,
): Promise<boolean> {
  const key = viewRowKey(def, wsid, row);
  const current = await state.getViewRow(key);
  if (current !== undefined && current.offset >= offset) return false;
  writes.putView({ view: def.qname, wsid, key, value: { row, offset } });
  return true;
}

/**
 * Rows of one view partition whose clustering key starts with `ckPrefix`, merged with the pending
 * writes of `writes` (pending wins), in key order.
 */
export async function readViewMerged(
  state: StateSource,
  writes: WriteSet | undefined,
  pk: Uint8Array,
  ckPrefix: Uint8Array,
  reverse: boolean,
): Promise<StoredViewRow[]> {
  const pending = new Map<string, { ck: Uint8Array; value: StoredViewRow }>();
  const pkId = Buffer.from(pk).toString('latin1');
  for (let w: WriteSet | undefined = writes; w !== undefined; w = w.parent) {
    for (const v of w.views.values()) {
      if (Buffer.from(v.key.pk).toString('latin1') !== pkId) continue;
      if (compareBytes(v.key.ck.subarray(0, ckPrefix.length), ckPrefix) !== 0) continue;
      const id = keyId(v.key);
      if (!pending.has(id)) pending.set(id, { ck: v.key.ck, value: v.value });
    }
  }
  const rows: { ck: Uint8Array; value: StoredViewRow }[] = [];
  for await (const e of state.store.storage.read(pk, ckPrefix.length === 0 ? undefined : ckPrefix, undefined)) {
    if (compareBytes(e.ck.subarray(0, ckPrefix.length), ckPrefix) !== 0) break;
    const id = keyId({ pk, ck: e.ck });
    if (pending.has(id)) continue;
    rows.push({ ck: e.ck, value: decodeValue<StoredViewRow>(e.value) });
  }
  rows.push(...pending.values());
  rows.sort((a, b) => compareBytes(a.ck, b.ck) * (reverse ? -1 : 1));
  return rows.map((r) => r.value);
}
