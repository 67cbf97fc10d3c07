/**
 * One app's storage: table `<keyspace>.values (p blob, c blob, value blob, PRIMARY KEY ((p), c))`.
 *
 * Every write is an UPDATE, never an INSERT: an INSERT also writes a row marker with its own TTL,
 * and a marker that outlives its value cell (INSERT without TTL, then a CAS with TTL) leaves a row
 * whose value is null — which `INSERT … IF NOT EXISTS` counts as existing. With UPDATEs only, a row
 * exists exactly while its value cell lives, and `insertIfNotExists` is `UPDATE … IF value = null`
 * (true for absent, deleted and expired rows alike).
 *
 * TTLs are written as ttl + 1: Cassandra stores expiry in whole seconds from the start of the
 * current second, so a 1 s TTL could otherwise expire almost at once. With + 1 an entry lives at
 * least its TTL and at most one second more (the safe side for leases); `TTL(value) - 1` is then
 * the remaining time rounded up.
 */
import type { Client, QueryOptions, types } from 'cassandra-driver';
import {
  MAX_TTL_SECONDS,
  assertBytes,
  StorageLimitError,
  checkBatch,
  checkItem,
  checkKey,
  checkKeys,
  checkRead,
  checkTtl,
  dedupeBatch,
  toHex,
} from '@stoa/storage';
import type {
  AppStorage,
  Bytes,
  Entry,
  Item,
  Key,
  ReadOptions,
  StorageLimits,
  TtlEntry,
  TtlValue,
} from '@stoa/storage';
import { toStorageError, type OperationKind } from './map-error.js';
import type { ResolvedOptions } from './options.js';

type Row = types.Row;

/** Bytes of one partition's items in one batch request (see README: 16 MiB request/mutation ceilings). */
export const MAX_PARTITION_BATCH_BYTES = 8 * 1024 * 1024;
/** Rows of the first page of a range read; later pages adapt to the observed row size. */
const FIRST_PAGE_ROWS = 100;
/** Later pages aim at about this many bytes, so large values do not make huge responses. */
const TARGET_PAGE_BYTES = 4 * 1024 * 1024;

interface Statements {
  readonly put: string;
  readonly get: string;
  readonly ttlGet: string;
  readonly getIn: string;
  readonly insertIfNotExists: string;
  readonly compareAndSwap: string;
  readonly compareAndDelete: string;
}

function statementsFor(keyspace: string): Statements {
  const table = `${keyspace}.values`;
  return {
    put: `UPDATE ${table} SET value = ? WHERE p = ? AND c = ?`,
    get: `SELECT value FROM ${table} WHERE p = ? AND c = ?`,
    ttlGet: `SELECT value, TTL(value) AS ttl FROM ${table} WHERE p = ? AND c = ?`,
    getIn: `SELECT c, value FROM ${table} WHERE p = ? AND c IN ?`,
    insertIfNotExists: `UPDATE ${table} USING TTL ? SET value = ? WHERE p = ? AND c = ? IF value = null`,
    compareAndSwap: `UPDATE ${table} USING TTL ? SET value = ? WHERE p = ? AND c = ? IF value = ?`,
    compareAndDelete: `DELETE FROM ${table} WHERE p = ? AND c = ? IF value = ?`,
  };
}

/** A private Buffer copy: the caller may reuse its array while the request is still queued. */
function toBuffer(bytes: Bytes): Buffer {
  return Buffer.from(bytes);
}

/** The driver copies blobs out of the network buffer (`encoding.copyBuffer`), so a view is safe to hand out. */
function toBytes(value: unknown): Uint8Array | undefined {
  if (!(value instanceof Uint8Array)) return undefined;
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** Cassandra's `USING TTL`: 0 = none; otherwise one second more (see the file comment). */
function storedTtl(ttlSeconds: number): number {
  return ttlSeconds === 0 ? 0 : Math.min(ttlSeconds + 1, MAX_TTL_SECONDS);
}

function reportedTtl(value: unknown): number | undefined {
  if (typeof value !== 'number' || value <= 0) return undefined;
  return Math.max(1, value - 1);
}

function itemBytes(item: Item): number {
  return item.pk.length + item.ck.length + item.value.length;
}

/** StorageLimitError for a batch too large in bytes (the contract's batch limit counts items). */
function batchBytesError(bytes: number, limit: number, scope: string): StorageLimitError {
  const error = new StorageLimitError('batch', bytes, limit);
  error.message = `batch of ${bytes} bytes ${scope} exceeds the limit of ${limit} bytes`;
  return error;
}

export class CassandraAppStorage implements AppStorage {
  private readonly cql: Statements;
  private readonly readOptions: QueryOptions;
  private readonly writeOptions: QueryOptions;
  private readonly lwtOptions: QueryOptions;

  constructor(
    private readonly client: Client,
    readonly limits: StorageLimits,
    private readonly options: ResolvedOptions,
    private readonly keyspace: string,
    private readonly safeName: string,
  ) {
    this.cql = statementsFor(keyspace);
    const base = { prepare: true, consistency: options.consistency, readTimeout: options.readTimeoutMs };
    // Plain reads and writes are idempotent (a retried UPDATE rewrites the same value), so the
    // driver may retry them; LWTs are not, so a timeout surfaces as "outcome unknown".
    this.readOptions = { ...base, isIdempotent: true };
    this.writeOptions = { ...base, isIdempotent: true };
    this.lwtOptions = { ...base, serialConsistency: options.serialConsistency, isIdempotent: false };
  }

  private async execute(
    kind: OperationKind,
    query: string,
    params: unknown[],
    options: QueryOptions,
  ): Promise<types.ResultSet> {
    try {
      return await this.client.execute(query, params, options);
    } catch (error) {
      throw toStorageError(error, kind, this.safeName);
    }
  }

  async put(pk: Bytes, ck: Bytes, value: Bytes): Promise<void> {
    checkItem(this.limits, pk, ck, value);
    await this.execute('write', this.cql.put, [toBuffer(value), toBuffer(pk), toBuffer(ck)], this.writeOptions);
  }

  async putBatch(items: readonly Item[]): Promise<void> {
    checkBatch(this.limits, items);
    const unique = dedupeBatch(items);
    if (unique.length === 0) return;
    const groups = new Map<string, Item[]>();
    for (const item of unique) {
      const id = toHex(item.pk);
      const group = groups.get(id);
      if (group === undefined) groups.set(id, [item]);
      else group.push(item);
    }
    for (const group of groups.values()) {
      const bytes = group.reduce((n, item) => n + itemBytes(item), 0);
      if (bytes > MAX_PARTITION_BATCH_BYTES) {
        throw batchBytesError(bytes, MAX_PARTITION_BATCH_BYTES, 'for one partition key');
      }
    }
    if (this.options.batchMode === 'logged' || groups.size === 1) {
      if (groups.size > 1) {
        const bytes = unique.reduce((n, item) => n + itemBytes(item), 0);
        if (bytes > this.options.loggedBatchMaxBytes) {
          throw batchBytesError(bytes, this.options.loggedBatchMaxBytes, 'across partitions in a logged batch');
        }
      }
      await this.writeGroup(unique, groups.size > 1);
      return;
    }
    // Wait for every partition before reporting, so a failure never leaves writes in flight.
    const results = await Promise.allSettled([...groups.values()].map((group) => this.writeGroup(group, false)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  private async writeGroup(items: readonly Item[], logged: boolean): Promise<void> {
    if (items.length === 1) {
      const { pk, ck, value } = items[0]!;
      await this.execute('write', this.cql.put, [toBuffer(value), toBuffer(pk), toBuffer(ck)], this.writeOptions);
      return;
    }
    const queries = items.map(({ pk, ck, value }) => ({
      query: this.cql.put,
      params: [toBuffer(value), toBuffer(pk), toBuffer(ck)],
    }));
    try {
      await this.client.batch(queries, { ...this.writeOptions, logged });
    } catch (error) {
      throw toStorageError(error, 'write', this.safeName);
    }
  }

  async get(pk: Bytes, ck: Bytes): Promise<Bytes | undefined> {
    checkKey(this.limits, pk, ck);
    const result = await this.execute('read', this.cql.get, [toBuffer(pk), toBuffer(ck)], this.readOptions);
    return toBytes(result.first()?.get('value'));
  }

  /**
   * Keys of one partition are fetched with one `c IN ?` query, lone keys with a plain get; the
   * partitions are asked concurrently (measured: see README).
   */
  async getBatch(keys: readonly Key[]): Promise<(Bytes | undefined)[]> {
    checkKeys(this.limits, keys);
    const groups = new Map<string, { pk: Bytes; cks: Map<string, Bytes> }>();
    for (const { pk, ck } of keys) {
      const id = toHex(pk);
      let group = groups.get(id);
      if (group === undefined) {
        group = { pk, cks: new Map() };
        groups.set(id, group);
      }
      group.cks.set(toHex(ck), ck);
    }
    const found = new Map<string, Uint8Array>();
    const fetchGroup = async (id: string, pk: Bytes, cks: Map<string, Bytes>): Promise<void> => {
      if (cks.size === 1) {
        const [ckId, ck] = [...cks][0]!;
        const value = await this.get(pk, ck);
        if (value !== undefined) found.set(`${id}/${ckId}`, value);
        return;
      }
      const params = [toBuffer(pk), [...cks.values()].map(toBuffer)];
      const result = await this.execute('read', this.cql.getIn, params, { ...this.readOptions, fetchSize: 0 });
      for (const row of result.rows) {
        const ck = toBytes(row.get('c'));
        const value = toBytes(row.get('value'));
        if (ck !== undefined && value !== undefined) found.set(`${id}/${toHex(ck)}`, value);
      }
    };
    const results = await Promise.allSettled([...groups].map(([id, g]) => fetchGroup(id, g.pk, g.cks)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    // Each position gets its own array: a caller mutating one result must not change another.
    return keys.map(({ pk, ck }) => {
      const value = found.get(`${toHex(pk)}/${toHex(ck)}`);
      return value === undefined ? undefined : new Uint8Array(value);
    });
  }

  read(pk: Bytes, fromCk?: Bytes, toCk?: Bytes, options?: ReadOptions): AsyncIterable<Entry> {
    return this.scan(pk, fromCk, toCk, options, false);
  }

  ttlRead(pk: Bytes, fromCk?: Bytes, toCk?: Bytes, options?: ReadOptions): AsyncIterable<TtlEntry> {
    return this.scan(pk, fromCk, toCk, options, true) as AsyncIterable<TtlEntry>;
  }

  /** Validates now (a bad argument throws at the call), then pages lazily as the caller iterates. */
  private scan(
    pk: Bytes,
    fromCk: Bytes | undefined,
    toCk: Bytes | undefined,
    options: ReadOptions | undefined,
    withTtl: boolean,
  ): AsyncIterable<Entry | TtlEntry> {
    const { limit, reverse, empty } = checkRead(this.limits, pk, fromCk, toCk, options);
    const where = ['p = ?'];
    const params: unknown[] = [toBuffer(pk)];
    // An open end is simply left out: blob comparison has no "largest" value to bind.
    if (fromCk !== undefined) {
      where.push('c >= ?');
      params.push(toBuffer(fromCk));
    }
    if (toCk !== undefined) {
      where.push('c < ?');
      params.push(toBuffer(toCk));
    }
    const columns = withTtl ? 'c, value, TTL(value) AS ttl' : 'c, value';
    const query = `SELECT ${columns} FROM ${this.keyspace}.values WHERE ${where.join(' AND ')}${reverse ? ' ORDER BY c DESC' : ''}`;
    return { [Symbol.asyncIterator]: () => this.pages(query, params, limit, empty, withTtl) };
  }

  private async *pages(
    query: string,
    params: unknown[],
    limit: number | undefined,
    empty: boolean,
    withTtl: boolean,
  ): AsyncGenerator<Entry | TtlEntry> {
    if (empty) return;
    const pageSize = this.options.pageSize;
    let yielded = 0;
    let fetchSize = Math.min(limit ?? Infinity, pageSize, FIRST_PAGE_ROWS);
    let pageState: string | undefined;
    for (;;) {
      const result = await this.execute('read', query, params, {
        ...this.readOptions,
        fetchSize,
        autoPage: false,
        ...(pageState === undefined ? {} : { pageState }),
      });
      let pageBytes = 0;
      for (const row of result.rows) {
        const entry = toEntry(row, withTtl);
        if (entry === undefined) continue;
        pageBytes += entry.ck.length + entry.value.length;
        yield entry;
        yielded += 1;
        if (limit !== undefined && yielded >= limit) return;
      }
      pageState = result.pageState ?? undefined;
      if (pageState === undefined || pageState === '') return;
      // A paging state may be resumed with another page size: aim at TARGET_PAGE_BYTES per page.
      const perRow = Math.max(1, pageBytes / Math.max(1, result.rows.length));
      const remaining = limit === undefined ? Infinity : limit - yielded;
      fetchSize = Math.max(1, Math.min(pageSize, remaining, Math.floor(TARGET_PAGE_BYTES / perRow)));
    }
  }

  async insertIfNotExists(pk: Bytes, ck: Bytes, value: Bytes, ttlSeconds?: number): Promise<boolean> {
    checkItem(this.limits, pk, ck, value);
    const ttl = storedTtl(checkTtl(ttlSeconds));
    const params = [ttl, toBuffer(value), toBuffer(pk), toBuffer(ck)];
    const result = await this.execute('lwt', this.cql.insertIfNotExists, params, this.lwtOptions);
    return result.wasApplied();
  }

  async compareAndSwap(pk: Bytes, ck: Bytes, expected: Bytes, next: Bytes, ttlSeconds?: number): Promise<boolean> {
    checkItem(this.limits, pk, ck, next);
    const ttl = storedTtl(checkTtl(ttlSeconds));
    if (cannotMatch(this.limits, expected)) return false;
    const params = [ttl, toBuffer(next), toBuffer(pk), toBuffer(ck), toBuffer(expected)];
    const result = await this.execute('lwt', this.cql.compareAndSwap, params, this.lwtOptions);
    return result.wasApplied();
  }

  async compareAndDelete(pk: Bytes, ck: Bytes, expected: Bytes): Promise<boolean> {
    checkKey(this.limits, pk, ck);
    if (cannotMatch(this.limits, expected)) return false;
    const params = [toBuffer(pk), toBuffer(ck), toBuffer(expected)];
    const result = await this.execute('lwt', this.cql.compareAndDelete, params, this.lwtOptions);
    return result.wasApplied();
  }

  async ttlGet(pk: Bytes, ck: Bytes): Promise<TtlValue | undefined> {
    checkKey(this.limits, pk, ck);
    const result = await this.execute('read', this.cql.ttlGet, [toBuffer(pk), toBuffer(ck)], this.readOptions);
    const row = result.first();
    const value = toBytes(row?.get('value'));
    return value === undefined ? undefined : { value, ttlSeconds: reportedTtl(row?.get('ttl')) };
  }
}

function toEntry(row: Row, withTtl: boolean): Entry | TtlEntry | undefined {
  const ck = toBytes(row.get('c'));
  const value = toBytes(row.get('value'));
  // A row without a live value (possible only for data not written by this driver) is absent.
  if (ck === undefined || value === undefined) return undefined;
  return withTtl ? { ck, value, ttlSeconds: reportedTtl(row.get('ttl')) } : { ck, value };
}

/** `expected` is compared, never stored: one longer than any storable value can never match. */
function cannotMatch(limits: StorageLimits, expected: unknown): boolean {
  assertBytes(expected, 'expected value');
  return expected.length > limits.maxValueBytes;
}
