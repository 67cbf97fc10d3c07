/**
 * The storage contract every backend implements (docs/ARCHITECTURE.md §4).
 *
 * A key is a partition key (bytes) plus a clustering key (bytes, may be empty); values are bytes.
 * Within one partition key, entries are ordered by clustering key in unsigned byte order.
 *
 * Semantics every backend must honour (the contract test kit checks each one):
 * - `read` is a half-open range `[fromCk, toCk)`: `fromCk` undefined = from the first entry,
 *   `toCk` undefined = to the last; `fromCk >= toCk` yields nothing. `reverse` walks the same range
 *   from its end; `limit` caps the number of entries yielded.
 * - Entries written with a TTL are invisible to every read (`get`, `getBatch`, `read`, conditional
 *   ops) once expired. `ttlGet`/`ttlRead` additionally report the remaining time to live.
 *   `ttlSeconds` undefined or 0 = no expiry; otherwise a whole number of seconds up to
 *   `MAX_TTL_SECONDS` (Cassandra's 20 years). Reported TTLs are whole seconds, rounded up.
 *   A write without TTL clears an earlier TTL.
 * - Partition keys are non-empty; clustering keys may be empty (the smallest key). An empty
 *   `toCk` therefore yields nothing, unlike `toCk` undefined.
 * - Within one `putBatch`, a later item for the same key wins over an earlier one.
 * - Conditional operations (`insertIfNotExists`, `compareAndSwap`, `compareAndDelete`) are atomic
 *   against each other and against concurrent callers on any node: exactly one of N concurrent
 *   `insertIfNotExists` calls for the same key returns true.
 * - A value larger than `limits.maxValueBytes`, a key longer than `limits.maxKeyBytes`, or a batch
 *   with more than `limits.maxBatchItems` items is refused with `StorageLimitError` before anything
 *   is written — never silently chunked, so conditional operations stay atomic.
 * - Invalid arguments (a key or value that is not a Uint8Array, an empty partition key, a negative,
 *   fractional or NaN TTL, a `limit` that is not a positive integer) are refused with
 *   `StorageArgumentError`. Drivers use the shared checks in `validate.ts`.
 * - Byte arrays passed in may be reused by the caller after the call returns; byte arrays returned
 *   belong to the caller.
 */

export type Bytes = Uint8Array;

/** How much of a `putBatch` is applied atomically. */
export type BatchAtomicity =
  /** All items or none, whatever their partition keys (LMDB, mem). */
  | 'all'
  /** Items sharing a partition key are applied together; different partitions independently. */
  | 'per-partition'
  /** Each item independently (DynamoDB BatchWriteItem). */
  | 'none';

export interface StorageLimits {
  /** Largest value accepted, in bytes. */
  readonly maxValueBytes: number;
  /** Largest partition key or clustering key accepted, in bytes (each). */
  readonly maxKeyBytes: number;
  /** Most items accepted by one `putBatch` or `getBatch` call. */
  readonly maxBatchItems: number;
  readonly batchAtomicity: BatchAtomicity;
}

export interface ReadOptions {
  /** At most this many entries (a positive integer). */
  readonly limit?: number;
  /** Descending clustering-key order. */
  readonly reverse?: boolean;
}

export interface Entry {
  readonly ck: Bytes;
  readonly value: Bytes;
}

export interface TtlEntry extends Entry {
  /** Seconds left before the entry expires; undefined if it never expires. */
  readonly ttlSeconds: number | undefined;
}

export interface TtlValue {
  readonly value: Bytes;
  readonly ttlSeconds: number | undefined;
}

export interface Key {
  readonly pk: Bytes;
  readonly ck: Bytes;
}

export interface Item extends Key {
  readonly value: Bytes;
}

/** One app's isolated storage. */
export interface AppStorage {
  readonly limits: StorageLimits;
  put(pk: Bytes, ck: Bytes, value: Bytes): Promise<void>;
  /** Writes every item; atomicity per `limits.batchAtomicity`. */
  putBatch(items: readonly Item[]): Promise<void>;
  get(pk: Bytes, ck: Bytes): Promise<Bytes | undefined>;
  /** Values in the order of `keys`; `undefined` where absent. Keys may span partitions. */
  getBatch(keys: readonly Key[]): Promise<(Bytes | undefined)[]>;
  read(pk: Bytes, fromCk?: Bytes, toCk?: Bytes, options?: ReadOptions): AsyncIterable<Entry>;
  /** True if the key was absent (or expired) and is now written. */
  insertIfNotExists(pk: Bytes, ck: Bytes, value: Bytes, ttlSeconds?: number): Promise<boolean>;
  /** True if the current value equalled `expected` and is now `next`. */
  compareAndSwap(pk: Bytes, ck: Bytes, expected: Bytes, next: Bytes, ttlSeconds?: number): Promise<boolean>;
  /** True if the current value equalled `expected` and the entry is now deleted. */
  compareAndDelete(pk: Bytes, ck: Bytes, expected: Bytes): Promise<boolean>;
  ttlGet(pk: Bytes, ck: Bytes): Promise<TtlValue | undefined>;
  ttlRead(pk: Bytes, fromCk?: Bytes, toCk?: Bytes, options?: ReadOptions): AsyncIterable<TtlEntry>;
  /**
   * Optional capability of backends that can make one conditional insert and a batch atomic
   * together (LMDB, mem): `insertIfNotExists(pk, ck, value)` and, only if it wins, every item
   * of `items` (a later item for the same key wins, as in `putBatch`) — one atomic write, and on
   * durable backends one durable commit. True = all written; false = the key was taken and
   * nothing is written. Counts as a batch of `items.length + 1` items against `maxBatchItems`.
   * Backends without it (Cassandra, DynamoDB) leave it undefined; callers then write in two steps.
   */
  insertIfNotExistsWithBatch?(pk: Bytes, ck: Bytes, value: Bytes, items: readonly Item[]): Promise<boolean>;
}

/** A backend: creates and opens per-app storages. Drivers implement this. */
export interface StorageDriver {
  /** Short backend name: `mem`, `lmdb`, `cassandra`, `dynamodb`. */
  readonly name: string;
  readonly limits: StorageLimits;
  /** Creates the app's storage (keyspace, table, sub-database); idempotent. */
  createApp(safeName: string): Promise<void>;
  /** Opens an existing app storage; throws StorageNotFoundError if it was never created. */
  openApp(safeName: string): Promise<AppStorage>;
  /** Releases connections, file handles and timers. */
  close(): Promise<void>;
}

/** Opens one isolated storage per app, validating and recording app names (see provider.ts). */
export interface StorageProvider {
  readonly driver: StorageDriver;
  /** `name` is an app's qualified name, e.g. `local/todo`; the storage is created on first use. */
  openApp(name: string): Promise<AppStorage>;
  /** Apps that have a storage, with their safe names. */
  listApps(): Promise<{ name: string; safeName: string }[]>;
  close(): Promise<void>;
}
