/**
 * Pending writes layered over storage. A partition batch has one write set; each command gets a
 * child that is merged into the batch only if the command succeeds, so a failing command leaves
 * nothing behind and later commands of the same batch read what earlier ones wrote (group commit
 * executes against in-memory state). After the PLog insert the batch's writes are flushed.
 */
import type { AppStorage, Item } from '@stoa/storage';
import { childKey, collectionKey, keyId, recordKey, type StorageKey } from '../store/keys.js';
import { encodeValue } from '../store/value-codec.js';
import type { StoredRecord, StoredViewRow } from './types.js';

export interface ViewWrite {
  readonly view: string;
  readonly wsid: number;
  readonly key: StorageKey;
  readonly value: StoredViewRow;
}

export class WriteSet {
  readonly records = new Map<string, { wsid: number; record: StoredRecord }>();
  readonly views = new Map<string, ViewWrite>();
  /** Unique index entries: id, or 0 for a released value. */
  readonly uniques = new Map<string, { key: StorageKey; id: number }>();
  /** Plain puts (WLog, indexes, registry, offsets) that nobody reads back through the write set. */
  readonly puts = new Map<string, { key: StorageKey; value: Uint8Array }>();

  constructor(readonly parent?: WriteSet) {}

  child(): WriteSet {
    return new WriteSet(this);
  }

  getRecord(wsid: number, id: number): StoredRecord | undefined {
    const hit = this.records.get(`${wsid}:${id}`);
    if (hit !== undefined) return hit.record;
    return this.parent?.getRecord(wsid, id);
  }

  putRecord(wsid: number, record: StoredRecord): void {
    this.records.set(`${wsid}:${String(record['sys.ID'])}`, { wsid, record });
  }

  getView(key: StorageKey): ViewWrite | undefined {
    return this.views.get(keyId(key)) ?? this.parent?.getView(key);
  }

  putView(write: ViewWrite): void {
    this.views.set(keyId(write.key), write);
  }

  getUnique(key: StorageKey): number | undefined {
    return this.uniques.get(keyId(key))?.id ?? this.parent?.getUnique(key);
  }

  putUnique(key: StorageKey, id: number): void {
    this.uniques.set(keyId(key), { key, id });
  }

  put(key: StorageKey, value: Uint8Array): void {
    this.puts.set(keyId(key), { key, value });
  }

  /** A pending plain put of this level or a parent's (point-read indexes, e.g. core/membership). */
  getPut(key: StorageKey): Uint8Array | undefined {
    return this.puts.get(keyId(key))?.value ?? this.parent?.getPut(key);
  }

  addToCollection(wsid: number, table: string, id: number): void {
    this.put(collectionKey(wsid, table, id), encodeValue(0));
  }

  addChild(wsid: number, parentId: number, childId: number, container: string): void {
    this.put(childKey(wsid, parentId, childId), encodeValue({ c: container }));
  }

  mergeIntoParent(): void {
    const p = this.parent;
    if (p === undefined) return;
    for (const [k, v] of this.records) p.records.set(k, v);
    for (const [k, v] of this.views) p.views.set(k, v);
    for (const [k, v] of this.uniques) p.uniques.set(k, v);
    for (const [k, v] of this.puts) p.puts.set(k, v);
  }

  isEmpty(): boolean {
    return this.records.size + this.views.size + this.uniques.size + this.puts.size === 0;
  }

  /** Every pending write as storage items (this level only). */
  toItems(): Item[] {
    const items: Item[] = [];
    for (const { wsid, record } of this.records.values()) {
      const k = recordKey(wsid, Number(record['sys.ID']));
      items.push({ pk: k.pk, ck: k.ck, value: encodeValue(record) });
    }
    for (const w of this.views.values()) items.push({ pk: w.key.pk, ck: w.key.ck, value: encodeValue(w.value) });
    for (const u of this.uniques.values()) items.push({ pk: u.key.pk, ck: u.key.ck, value: encodeValue({ id: u.id }) });
    for (const p of this.puts.values()) items.push({ pk: p.key.pk, ck: p.key.ck, value: p.value });
    return items;
  }
}

/** Writes items in chunks the backend accepts (one atomic batch on mem/LMDB when it fits). */
export async function flushItems(storage: AppStorage, items: readonly Item[]): Promise<void> {
  const max = storage.limits.maxBatchItems;
  for (let i = 0; i < items.length; i += max) await storage.putBatch(items.slice(i, i + max));
}
