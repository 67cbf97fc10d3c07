/**
 * How the contract's keys and values map onto DynamoDB items, and the limits that follow.
 *
 * One table per app, named `<tablePrefix><safeName>`, with:
 * - `p` (B, HASH)  the partition key as is (the contract forbids empty partition keys);
 * - `c` (B, RANGE) 0x00 followed by the clustering key: DynamoDB refuses empty binary keys, and a
 *   constant first byte keeps the unsigned byte order of clustering keys unchanged;
 * - `v` (B)        the value (DynamoDB accepts empty binary values outside keys);
 * - `e` (N)        expiry in epoch milliseconds, present only with a TTL: every read and every
 *                  condition checks it, so expiry is exact and never waits for DynamoDB;
 * - `x` (N)        the same expiry in whole epoch seconds rounded up, the table's TTL attribute, so
 *                  DynamoDB's background process deletes expired items eventually (never early).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Bytes, StorageLimits } from '@stoa/storage';
import { StorageArgumentError } from '@stoa/storage';

export const ATTR_PK = 'p';
export const ATTR_CK = 'c';
export const ATTR_VALUE = 'v';
export const ATTR_EXPIRES_MS = 'e';
export const ATTR_TTL = 'x';

/** DynamoDB's item size limit: attribute names plus values, keys included. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** DynamoDB's sort key limit is 1024 bytes; one byte goes to the 0x00 prefix. */
export const MAX_KEY_BYTES = 1023;
/**
 * Worst case of everything in an item except the value: names `p c v e x` (5) + partition key
 * (1023) + prefixed clustering key (1024) + two numbers (DynamoDB counts at most 21 bytes each) =
 * 2094 bytes. The value limit keeps a round 4 KiB for it, which leaves ~2 KB of margin for any
 * difference in how a server counts sizes.
 */
export const ITEM_OVERHEAD_BYTES = 5 + MAX_KEY_BYTES + (MAX_KEY_BYTES + 1) + 21 + 21;
export const MAX_VALUE_BYTES = MAX_ITEM_BYTES - 4 * 1024;
/** BatchWriteItem takes at most 25 puts; BatchGetItem at most 100 keys. */
export const WRITE_CHUNK_ITEMS = 25;
export const READ_CHUNK_KEYS = 100;
/**
 * Raw bytes per BatchWriteItem request: 25 maximal items are ~10 MB, ~13.5 MB as base64 JSON, under
 * DynamoDB's 16 MB request limit; a byte cap keeps a safety margin all the same.
 */
export const WRITE_CHUNK_BYTES = 8 * 1024 * 1024;

export const DYNAMODB_LIMITS: StorageLimits = Object.freeze({
  maxValueBytes: MAX_VALUE_BYTES,
  maxKeyBytes: MAX_KEY_BYTES,
  // Split into chunks of 25 internally; each item lands independently.
  maxBatchItems: 1000,
  batchAtomicity: 'none',
});

const TABLE_NAME = /^[A-Za-z0-9_.-]+$/;

/** DynamoDB table names: 3–255 characters of `[A-Za-z0-9_.-]`. */
export function toTableName(prefix: string, safeName: string): string {
  if (typeof safeName !== 'string' || safeName.length === 0 || !TABLE_NAME.test(safeName)) {
    throw new StorageArgumentError(`app safe name must match ${String(TABLE_NAME)}, got ${JSON.stringify(safeName)}`);
  }
  const name = prefix + safeName;
  if (name.length < 3 || name.length > 255) {
    throw new StorageArgumentError(`table name ${name} must have 3 to 255 characters`);
  }
  return name;
}

export function checkTablePrefix(prefix: string): void {
  if (prefix !== '' && !TABLE_NAME.test(prefix)) {
    throw new StorageArgumentError(`tablePrefix must match ${String(TABLE_NAME)}, got ${JSON.stringify(prefix)}`);
  }
}

export function encodeCk(ck: Bytes): Uint8Array {
  const out = new Uint8Array(ck.length + 1);
  out.set(ck, 1);
  return out;
}

/** A private copy without the prefix byte (SDK buffers may be views into a shared pool). */
export function decodeCk(stored: Uint8Array): Uint8Array {
  return stored.slice(1);
}

export function keyOf(pk: Bytes, ck: Bytes): Record<string, AttributeValue> {
  return { [ATTR_PK]: { B: copy(pk) }, [ATTR_CK]: { B: encodeCk(ck) } };
}

/** `expiresAtMs` 0 = no expiry (and no TTL attributes, so a put clears an earlier TTL). */
export function itemOf(pk: Bytes, ck: Bytes, value: Bytes, expiresAtMs: number): Record<string, AttributeValue> {
  const item = keyOf(pk, ck);
  item[ATTR_VALUE] = { B: value };
  if (expiresAtMs !== 0) {
    item[ATTR_EXPIRES_MS] = { N: String(expiresAtMs) };
    item[ATTR_TTL] = { N: String(Math.ceil(expiresAtMs / 1000)) };
  }
  return item;
}

/** Expiry in epoch ms of a stored item, 0 if it never expires. */
export function expiryOf(item: Record<string, AttributeValue>): number {
  const n = item[ATTR_EXPIRES_MS]?.N;
  return n === undefined ? 0 : Number(n);
}

export function isLive(item: Record<string, AttributeValue>, nowMs: number): boolean {
  const expiresAt = expiryOf(item);
  return expiresAt === 0 || expiresAt > nowMs;
}

export function valueOf(item: Record<string, AttributeValue>): Uint8Array {
  const b = item[ATTR_VALUE]?.B;
  // An item always has `v`; a missing one would mean another writer used the table.
  if (b === undefined) throw new Error('DynamoDB item without a value attribute');
  return new Uint8Array(b);
}

/** Identity of a key inside one request, for de-duplication and matching responses to keys. */
export function keyId(p: Uint8Array, c: Uint8Array): string {
  return `${Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('base64')}/${Buffer.from(c.buffer, c.byteOffset, c.byteLength).toString('base64')}`;
}

function copy(b: Bytes): Uint8Array {
  // Keys are copied because a lazy read keeps them past the call; values are only held while awaited.
  return new Uint8Array(b);
}
