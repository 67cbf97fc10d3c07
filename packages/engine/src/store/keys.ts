/**
 * The key layout of one app's storage. The first byte of every partition key names the data kind;
 * numbers are big-endian (ids/offsets/WSIDs are below 2^53), names and view key values use the
 * order-preserving codec (key-codec.ts). Records and logs are bucketed 4096 per storage partition
 * (`[.. id>>12]` + `[id&0xfff]`) like Voedger, so no storage partition grows without bound.
 *
 *   records      [01][wsid][id>>12]              [id&0xfff]        record
 *   PLog         [02][partition u16][off>>12]     [off&0xfff]       batch of events (group commit)
 *   WLog         [03][wsid][off>>12]              [off&0xfff]       event
 *   uniques      [04][wsid][unique name][values]  []                {id}
 *   collections  [05][wsid][table]                [id]              {} (docs of a table, for lists)
 *   children     [06][wsid][parent id]            [child id]        {container}
 *   checkpoint   [07][partition u16]              []                partition checkpoint
 *   ws sequences [08][wsid]                       []                {nextWLogOffset, nextId}
 *   ws registry  [09][wsid]                       []                workspace metadata
 *   owner index  [0a][subject]                    [wsid]            {kind, name}
 *   proj offsets [0b][partition u16]              [projector]       {offset}
 *   app meta     [0c][name]                       [item]            (singleton ids, …)
 *   views        [10][view][wsid][pk fields…]     [cc fields…]      row + PLog offset
 *   member index [20][login]                      [wsid]            {roles, active}   (core/membership)
 *   invite index [21][login]                      [wsid]            latest invite     (core/membership)
 *   revoked      [22]                             [jti]             {jti, exp}        (core/membership)
 */
import { KeyWriter } from './key-codec.js';

export const KIND = {
  record: 0x01,
  plog: 0x02,
  wlog: 0x03,
  unique: 0x04,
  collection: 0x05,
  children: 0x06,
  checkpoint: 0x07,
  wsSeq: 0x08,
  wsRegistry: 0x09,
  ownerIndex: 0x0a,
  projectorOffset: 0x0b,
  appMeta: 0x0c,
  view: 0x10,
} as const;

const BUCKET_BITS = 12;
const BUCKET_SIZE = 1 << BUCKET_BITS;
const EMPTY = new Uint8Array(0);

export interface StorageKey {
  readonly pk: Uint8Array;
  readonly ck: Uint8Array;
}

function bucketed(kind: number, head: (w: KeyWriter) => void, n: number): StorageKey {
  const w = new KeyWriter(24).u8(kind);
  head(w);
  w.u64(Math.floor(n / BUCKET_SIZE));
  return { pk: w.finish(), ck: new KeyWriter(2).u16(n % BUCKET_SIZE).finish() };
}

export function bucketOf(n: number): number {
  return Math.floor(n / BUCKET_SIZE);
}

export function bucketCk(n: number): Uint8Array {
  return new KeyWriter(2).u16(n % BUCKET_SIZE).finish();
}

export function decodeBucketCk(ck: Uint8Array, bucket: number): number {
  return bucket * BUCKET_SIZE + (((ck[0] ?? 0) << 8) | (ck[1] ?? 0));
}

export function recordKey(wsid: number, id: number): StorageKey {
  return bucketed(KIND.record, (w) => w.u64(wsid), id);
}

export function plogKey(partition: number, offset: number): StorageKey {
  return bucketed(KIND.plog, (w) => w.u16(partition), offset);
}

export function plogBucketPk(partition: number, bucket: number): Uint8Array {
  return new KeyWriter(12).u8(KIND.plog).u16(partition).u64(bucket).finish();
}

export function wlogKey(wsid: number, offset: number): StorageKey {
  return bucketed(KIND.wlog, (w) => w.u64(wsid), offset);
}

export function wlogBucketPk(wsid: number, bucket: number): Uint8Array {
  return new KeyWriter(18).u8(KIND.wlog).u64(wsid).u64(bucket).finish();
}

/** `values` is the encoded tuple of the unique's field values. */
export function uniqueKey(wsid: number, uniqueName: string, values: Uint8Array): StorageKey {
  return { pk: new KeyWriter(64).u8(KIND.unique).u64(wsid).str(uniqueName).raw(values).finish(), ck: EMPTY };
}

export function collectionPk(wsid: number, table: string): Uint8Array {
  return new KeyWriter(48).u8(KIND.collection).u64(wsid).str(table).finish();
}

export function collectionKey(wsid: number, table: string, id: number): StorageKey {
  return { pk: collectionPk(wsid, table), ck: new KeyWriter(8).u64(id).finish() };
}

export function childrenPk(wsid: number, parentId: number): Uint8Array {
  return new KeyWriter(17).u8(KIND.children).u64(wsid).u64(parentId).finish();
}

export function childKey(wsid: number, parentId: number, childId: number): StorageKey {
  return { pk: childrenPk(wsid, parentId), ck: new KeyWriter(8).u64(childId).finish() };
}

export function decodeU64(b: Uint8Array, at = 0): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return v.getUint32(at) * 0x1_0000_0000 + v.getUint32(at + 4);
}

export function checkpointKey(partition: number): StorageKey {
  return { pk: new KeyWriter(3).u8(KIND.checkpoint).u16(partition).finish(), ck: EMPTY };
}

export function wsSeqKey(wsid: number): StorageKey {
  return { pk: new KeyWriter(9).u8(KIND.wsSeq).u64(wsid).finish(), ck: EMPTY };
}

export function wsRegistryKey(wsid: number): StorageKey {
  return { pk: new KeyWriter(9).u8(KIND.wsRegistry).u64(wsid).finish(), ck: EMPTY };
}

export function ownerIndexPk(subject: string): Uint8Array {
  return new KeyWriter(32).u8(KIND.ownerIndex).str(subject).finish();
}

export function ownerIndexKey(subject: string, wsid: number): StorageKey {
  return { pk: ownerIndexPk(subject), ck: new KeyWriter(8).u64(wsid).finish() };
}

export function projectorOffsetKey(partition: number, projector: string): StorageKey {
  return {
    pk: new KeyWriter(3).u8(KIND.projectorOffset).u16(partition).finish(),
    ck: new KeyWriter(32).str(projector).finish(),
  };
}

export function appMetaKey(name: string, item: string): StorageKey {
  return { pk: new KeyWriter(16).u8(KIND.appMeta).str(name).finish(), ck: new KeyWriter(32).str(item).finish() };
}

/** The partition-key prefix of a view in a workspace; the caller appends partition-key fields. */
export function viewPkWriter(view: string, wsid: number): KeyWriter {
  return new KeyWriter(64).u8(KIND.view).str(view).u64(wsid);
}

/** Identity of a storage key as a map key (write sets, caches). */
export function keyId(key: StorageKey): string {
  return `${key.pk.length}:${Buffer.from(key.pk).toString('latin1')}${Buffer.from(key.ck).toString('latin1')}`;
}
