/**
 * Typed access to one app's storage (key layout in keys.ts). Stateless: the partition single
 * writer decides what is written when; this layer only encodes and decodes.
 */
import type { AppStorage, Item } from '@stoa/storage';
import { prefixEnd } from '@stoa/storage';
import type { Checkpoint, StoredEvent, StoredRecord, StoredViewRow, WorkspaceMeta, WsSeq } from '../core/types.js';
import {
  appMetaKey,
  bucketCk,
  bucketOf,
  checkpointKey,
  childrenPk,
  collectionPk,
  decodeBucketCk,
  decodeU64,
  ownerIndexPk,
  plogBucketPk,
  plogKey,
  projectorOffsetKey,
  recordKey,
  wlogBucketPk,
  wsRegistryKey,
  wsSeqKey,
  type StorageKey,
} from './keys.js';
import { decodeValue, encodeValue } from './value-codec.js';

export interface PLogRow {
  readonly firstOffset: number;
  /** Encoded events, in offset order. */
  readonly events: readonly Uint8Array[];
}

export class AppStore {
  constructor(readonly storage: AppStorage) {}

  async getRecord(wsid: number, id: number): Promise<StoredRecord | undefined> {
    const k = recordKey(wsid, id);
    const raw = await this.storage.get(k.pk, k.ck);
    return raw === undefined ? undefined : decodeValue<StoredRecord>(raw);
  }

  async getRecords(wsid: number, ids: readonly number[]): Promise<(StoredRecord | undefined)[]> {
    const out: (StoredRecord | undefined)[] = [];
    const max = this.storage.limits.maxBatchItems;
    for (let i = 0; i < ids.length; i += max) {
      const keys = ids.slice(i, i + max).map((id) => recordKey(wsid, id));
      const values = await this.storage.getBatch(keys);
      for (const v of values) out.push(v === undefined ? undefined : decodeValue<StoredRecord>(v));
    }
    return out;
  }

  async getJson<T>(key: StorageKey): Promise<T | undefined> {
    const raw = await this.storage.get(key.pk, key.ck);
    return raw === undefined ? undefined : decodeValue<T>(raw);
  }

  getViewRow(key: StorageKey): Promise<StoredViewRow | undefined> {
    return this.getJson<StoredViewRow>(key);
  }

  /** The rows of one view partition under a clustering-key prefix (an array: every caller wants them all). */
  async readViewRows(pk: Uint8Array, ckPrefix: Uint8Array, reverse = false, limit?: number): Promise<StoredViewRow[]> {
    const from = ckPrefix.length === 0 ? undefined : ckPrefix;
    const to = ckPrefix.length === 0 ? undefined : prefixEnd(ckPrefix);
    const options = limit === undefined ? { reverse } : { reverse, limit };
    const out: StoredViewRow[] = [];
    for await (const e of this.storage.read(pk, from, to, options)) out.push(decodeValue<StoredViewRow>(e.value));
    return out;
  }

  async getUnique(key: StorageKey): Promise<number | undefined> {
    const v = await this.getJson<{ id: number }>(key);
    return v === undefined || v.id === 0 ? undefined : v.id;
  }

  async listCollection(wsid: number, table: string): Promise<number[]> {
    const ids: number[] = [];
    for await (const e of this.storage.read(collectionPk(wsid, table))) ids.push(decodeU64(e.ck));
    return ids;
  }

  async listChildren(wsid: number, parentId: number): Promise<{ id: number; container: string }[]> {
    const out: { id: number; container: string }[] = [];
    for await (const e of this.storage.read(childrenPk(wsid, parentId))) {
      out.push({ id: decodeU64(e.ck), container: decodeValue<{ c: string }>(e.value).c });
    }
    return out;
  }

  loadCheckpoint(partition: number): Promise<Checkpoint | undefined> {
    return this.getJson<Checkpoint>(checkpointKey(partition));
  }

  loadWsSeq(wsid: number): Promise<WsSeq | undefined> {
    return this.getJson<WsSeq>(wsSeqKey(wsid));
  }

  loadWorkspace(wsid: number): Promise<WorkspaceMeta | undefined> {
    return this.getJson<WorkspaceMeta>(wsRegistryKey(wsid));
  }

  async listOwnedWorkspaces(subject: string): Promise<number[]> {
    const out: number[] = [];
    for await (const e of this.storage.read(ownerIndexPk(subject))) out.push(decodeU64(e.ck));
    return out;
  }

  async loadProjectorOffset(partition: number, projector: string): Promise<number> {
    return (await this.getJson<{ offset: number }>(projectorOffsetKey(partition, projector)))?.offset ?? 0;
  }

  async getAppMeta<T>(name: string, item: string): Promise<T | undefined> {
    return this.getJson<T>(appMetaKey(name, item));
  }

  /** Every item of one kind of app meta (one partition key: a single range read). */
  async listAppMeta<T>(name: string): Promise<T[]> {
    const out: T[] = [];
    for await (const e of this.storage.read(appMetaKey(name, '').pk)) out.push(decodeValue<T>(e.value));
    return out;
  }

  async putAppMeta(name: string, item: string, value: unknown): Promise<void> {
    const k = appMetaKey(name, item);
    await this.storage.put(k.pk, k.ck, encodeValue(value));
  }

  /** The commit point: one conditional insert of a batch of events. False if the key was taken. */
  insertPLogRow(partition: number, firstOffset: number, events: readonly Uint8Array[]): Promise<boolean> {
    const k = plogKey(partition, firstOffset);
    return this.storage.insertIfNotExists(k.pk, k.ck, encodeValue(events));
  }

  /**
   * The commit point and the apply in one atomic, durable write: the PLog row's conditional
   * insert plus `items` (the batch's records, views, indexes, WLog), where the backend offers
   * `insertIfNotExistsWithBatch` and the items fit in one batch. `undefined` = not possible here;
   * the caller then inserts the row and flushes the items in two steps.
   */
  insertPLogRowWith(
    partition: number,
    firstOffset: number,
    events: readonly Uint8Array[],
    items: readonly Item[],
  ): Promise<boolean> | undefined {
    const storage = this.storage;
    if (storage.insertIfNotExistsWithBatch === undefined || items.length + 1 > storage.limits.maxBatchItems)
      return undefined;
    const k = plogKey(partition, firstOffset);
    return storage.insertIfNotExistsWithBatch(k.pk, k.ck, encodeValue(events), items);
  }

  /**
   * PLog rows whose first offset is ≥ `fromOffset`, in order, starting exactly at `fromOffset`
   * (callers only ever start at batch boundaries). Stops at the first gap.
   */
  async *readPLog(partition: number, fromOffset: number): AsyncIterable<PLogRow> {
    let expected = fromOffset;
    for (;;) {
      const bucket = bucketOf(expected);
      let progressed = false;
      for await (const e of this.storage.read(plogBucketPk(partition, bucket), bucketCk(expected))) {
        const first = decodeBucketCk(e.ck, bucket);
        if (first !== expected) return;
        const events = decodeValue<Uint8Array[]>(e.value);
        yield { firstOffset: first, events };
        expected = first + events.length;
        progressed = true;
      }
      if (!progressed || bucketOf(expected) === bucket) return;
    }
  }

  /** WLog events of a workspace from `fromOffset`, in order. */
  async *readWLog(wsid: number, fromOffset: number, limit = Number.MAX_SAFE_INTEGER): AsyncIterable<StoredEvent> {
    let offset = fromOffset;
    let left = limit;
    while (left > 0) {
      const bucket = bucketOf(offset);
      let seen = 0;
      for await (const e of this.storage.read(wlogBucketPk(wsid, bucket), bucketCk(offset), undefined, {
        limit: Math.min(left, 4096),
      })) {
        yield decodeValue<StoredEvent>(e.value);
        seen++;
        left--;
        offset = decodeBucketCk(e.ck, bucket) + 1;
      }
      if (seen === 0 || bucketOf(offset) === bucket) return;
    }
  }
}
