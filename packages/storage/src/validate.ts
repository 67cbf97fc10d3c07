/**
 * Argument and limit checks shared by every driver, so the checks never diverge between
 * backends. Drivers call these before touching the backend: a refused call writes nothing.
 */
import type { Bytes, Item, Key, ReadOptions, StorageLimits } from './contract.js';
import { compareBytes, toHex } from './bytes.js';
import { StorageArgumentError, StorageLimitError } from './errors.js';

/** Cassandra's maximum TTL (20 years); every backend accepts at most this. */
export const MAX_TTL_SECONDS = 630_720_000;

export function assertBytes(value: unknown, what: string): asserts value is Bytes {
  if (!(value instanceof Uint8Array)) {
    throw new StorageArgumentError(`${what} must be a Uint8Array, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}

/** Partition keys are non-empty (Cassandra and DynamoDB refuse empty partition keys). */
export function checkPk(limits: StorageLimits, pk: unknown): asserts pk is Bytes {
  assertBytes(pk, 'partition key');
  if (pk.length === 0) throw new StorageArgumentError('partition key must not be empty');
  if (pk.length > limits.maxKeyBytes) throw new StorageLimitError('partition key', pk.length, limits.maxKeyBytes);
}

/** Clustering keys may be empty. */
export function checkCk(limits: StorageLimits, ck: unknown, what = 'clustering key'): asserts ck is Bytes {
  assertBytes(ck, what);
  if (ck.length > limits.maxKeyBytes) throw new StorageLimitError('clustering key', ck.length, limits.maxKeyBytes);
}

export function checkKey(limits: StorageLimits, pk: unknown, ck: unknown): void {
  checkPk(limits, pk);
  checkCk(limits, ck);
}

export function checkValue(limits: StorageLimits, value: unknown, what = 'value'): asserts value is Bytes {
  assertBytes(value, what);
  if (value.length > limits.maxValueBytes) throw new StorageLimitError('value', value.length, limits.maxValueBytes);
}

export function checkItem(limits: StorageLimits, pk: unknown, ck: unknown, value: unknown): void {
  checkKey(limits, pk, ck);
  checkValue(limits, value);
}

/** Returns the TTL as a whole number of seconds; 0 = no expiry. */
export function checkTtl(ttlSeconds: unknown): number {
  if (ttlSeconds === undefined) return 0;
  if (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds < 0) {
    throw new StorageArgumentError(
      `ttlSeconds must be a non-negative integer, got ${typeof ttlSeconds === 'number' ? ttlSeconds : describe(ttlSeconds)}`,
    );
  }
  if (ttlSeconds > MAX_TTL_SECONDS) {
    throw new StorageArgumentError(`ttlSeconds must be at most ${MAX_TTL_SECONDS}, got ${ttlSeconds}`);
  }
  return ttlSeconds;
}

export interface CheckedRead {
  readonly limit: number | undefined;
  readonly reverse: boolean;
  /** True when `fromCk >= toCk`: the range is empty and the backend need not be asked. */
  readonly empty: boolean;
}

export function checkRead(
  limits: StorageLimits,
  pk: unknown,
  fromCk: unknown,
  toCk: unknown,
  options: ReadOptions | undefined,
): CheckedRead {
  checkPk(limits, pk);
  if (fromCk !== undefined) checkRangeBound(fromCk, 'fromCk');
  if (toCk !== undefined) checkRangeBound(toCk, 'toCk');
  const { limit, reverse } = checkReadOptions(options);
  // An empty `toCk` is the smallest key, so nothing lies below it.
  let empty = toCk !== undefined && (toCk as Bytes).length === 0;
  if (fromCk !== undefined && toCk !== undefined) empty ||= compareBytes(fromCk as Bytes, toCk as Bytes) >= 0;
  return { limit, reverse, empty };
}

// A bound longer than maxKeyBytes is a valid bound (no stored key can equal it), so only the type is checked.
function checkRangeBound(bound: unknown, what: string): void {
  assertBytes(bound, what);
}

export function checkReadOptions(options: ReadOptions | undefined): { limit: number | undefined; reverse: boolean } {
  if (options === undefined) return { limit: undefined, reverse: false };
  if (typeof options !== 'object' || options === null) throw new StorageArgumentError('read options must be an object');
  const { limit, reverse } = options;
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit <= 0)) {
    throw new StorageArgumentError(`limit must be a positive integer, got ${String(limit)}`);
  }
  if (reverse !== undefined && typeof reverse !== 'boolean') {
    throw new StorageArgumentError(`reverse must be a boolean, got ${describe(reverse)}`);
  }
  return { limit, reverse: reverse ?? false };
}

function checkBatchSize(limits: StorageLimits, items: unknown, what: string): asserts items is readonly unknown[] {
  if (!Array.isArray(items)) throw new StorageArgumentError(`${what} must be an array`);
  if (items.length > limits.maxBatchItems) throw new StorageLimitError('batch', items.length, limits.maxBatchItems);
}

/** Checks every item of a `putBatch` before anything is written. */
export function checkBatch(limits: StorageLimits, items: unknown): asserts items is readonly Item[] {
  checkBatchSize(limits, items, 'batch items');
  for (const item of items) {
    if (typeof item !== 'object' || item === null) throw new StorageArgumentError('batch item must be an object');
    const { pk, ck, value } = item as Partial<Item>;
    checkItem(limits, pk, ck, value);
  }
}

/** Checks an `insertIfNotExistsWithBatch`: the conditional item plus a batch, `items.length + 1` in all. */
export function checkInsertWithBatch(
  limits: StorageLimits,
  pk: unknown,
  ck: unknown,
  value: unknown,
  items: unknown,
): asserts items is readonly Item[] {
  checkItem(limits, pk, ck, value);
  checkBatch(limits, items);
  if (items.length + 1 > limits.maxBatchItems)
    throw new StorageLimitError('batch', items.length + 1, limits.maxBatchItems);
}

/** Checks the keys of a `getBatch`. */
export function checkKeys(limits: StorageLimits, keys: unknown): asserts keys is readonly Key[] {
  checkBatchSize(limits, keys, 'keys');
  for (const key of keys) {
    if (typeof key !== 'object' || key === null) throw new StorageArgumentError('key must be an object');
    const { pk, ck } = key as Partial<Key>;
    checkKey(limits, pk, ck);
  }
}

/**
 * Drops all but the last item for each key, keeping the order of first appearance. The contract
 * says the later item wins; Cassandra (equal write timestamps) and DynamoDB (refuses duplicates)
 * need this done before the batch is sent.
 */
export function dedupeBatch(items: readonly Item[]): Item[] {
  const byKey = new Map<string, number>();
  const out: Item[] = [];
  for (const item of items) {
    const id = `${toHex(item.pk)}/${toHex(item.ck)}`;
    const at = byKey.get(id);
    if (at === undefined) {
      byKey.set(id, out.length);
      out.push(item);
    } else {
      out[at] = item;
    }
  }
  return out;
}

/** Absolute expiry in epoch milliseconds for a TTL (0 = never). */
export function expiryFromTtl(ttlSeconds: number, nowMs = Date.now()): number {
  return ttlSeconds === 0 ? 0 : nowMs + ttlSeconds * 1000;
}

/** Whole seconds left (rounded up), or undefined when the entry never expires. */
export function remainingTtlSeconds(expiresAtMs: number, nowMs = Date.now()): number | undefined {
  if (expiresAtMs === 0) return undefined;
  return Math.max(1, Math.ceil((expiresAtMs - nowMs) / 1000));
}

/**
 * Safe app names valid on every backend: a Cassandra keyspace (`[a-zA-Z][a-zA-Z0-9_]{0,47}`,
 * case-insensitive), a DynamoDB table (3–255 of `[a-zA-Z0-9_.-]`) and an LMDB sub-database.
 */
export const SAFE_NAME_PATTERN = /^[a-z][a-z0-9_]{2,47}$/;

export function checkSafeName(safeName: unknown): asserts safeName is string {
  if (typeof safeName !== 'string' || !SAFE_NAME_PATTERN.test(safeName)) {
    throw new StorageArgumentError(
      `safe app name must match ${String(SAFE_NAME_PATTERN)}, got ${JSON.stringify(safeName)}`,
    );
  }
}
