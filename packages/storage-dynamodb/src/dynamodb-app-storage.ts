/**
 * One app's storage on one DynamoDB table (key layout in layout.ts).
 *
 * - Conditional operations are single PutItem/DeleteItem calls with a ConditionExpression, so the
 *   server checks and writes atomically (Voedger's backend did get-then-put, a race window).
 * - An expired item counts as absent everywhere: conditions say `attribute_not_exists(e) OR e > now`
 *   (or its negation), queries filter on it server-side and every item is checked again client-side.
 * - `putBatch` is BatchWriteItem in chunks of ≤ 25 items (and ≤ 8 MB); each item lands
 *   independently (`batchAtomicity: 'none'`). `getBatch` is BatchGetItem in chunks of ≤ 100 keys.
 *   Unprocessed items/keys are resent: at once while the server makes progress, with exponential
 *   backoff while it does not, and a StorageUnavailableError after a bounded number of rounds.
 * - `read` is a Query that follows every page (LastEvaluatedKey) lazily. A key condition allows one
 *   comparison on the sort key and DynamoDB's BETWEEN is inclusive, so `[from, to)` is queried as
 *   `c BETWEEN from AND to` and the single item equal to `to` (if any) is dropped client-side;
 *   open ends use `c >= from` or `c < to`.
 */
import type { AttributeValue, DynamoDBClient, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { AppStorage, Bytes, Entry, Item, Key, ReadOptions, TtlEntry, TtlValue } from '@stoa/storage';
import {
  StorageUnavailableError,
  assertBytes,
  checkBatch,
  checkItem,
  checkKey,
  checkKeys,
  checkRead,
  checkTtl,
  dedupeBatch,
  equalBytes,
  expiryFromTtl,
  remainingTtlSeconds,
} from '@stoa/storage';
import {
  ATTR_CK,
  ATTR_EXPIRES_MS,
  ATTR_PK,
  ATTR_VALUE,
  DYNAMODB_LIMITS,
  READ_CHUNK_KEYS,
  WRITE_CHUNK_BYTES,
  WRITE_CHUNK_ITEMS,
  decodeCk,
  encodeCk,
  expiryOf,
  isLive,
  itemOf,
  keyId,
  keyOf,
  valueOf,
} from './layout.js';
import { backoffMs, isConditionFailed, sleep, toStorageError } from './map-error.js';

/** Rounds of unprocessed items/keys without any progress before giving up. */
const MAX_STALLED_ROUNDS = 8;
/** Batch chunks in flight at once. */
const CHUNK_CONCURRENCY = 4;

const NAMES = { '#p': ATTR_PK, '#c': ATTR_CK, '#v': ATTR_VALUE, '#e': ATTR_EXPIRES_MS };
const LIVE = '(attribute_not_exists(#e) OR #e > :now)';
const ABSENT_OR_EXPIRED = '(attribute_not_exists(#p) OR #e <= :now)';

export interface AppStorageConfig {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly safeName: string;
  readonly consistentReads: boolean;
}

export class DynamoDbAppStorage implements AppStorage {
  readonly limits = DYNAMODB_LIMITS;

  constructor(private readonly config: AppStorageConfig) {}

  async put(pk: Bytes, ck: Bytes, value: Bytes): Promise<void> {
    checkItem(this.limits, pk, ck, value);
    await this.call((c) =>
      c.send(new PutItemCommand({ TableName: this.config.tableName, Item: itemOf(pk, ck, value, 0) })),
    );
  }

  async putBatch(items: readonly Item[]): Promise<void> {
    checkBatch(this.limits, items);
    // BatchWriteItem refuses a request that names one key twice; the later item wins anyway.
    const unique = dedupeBatch(items);
    const chunks: Record<string, AttributeValue>[][] = [];
    let chunk: Record<string, AttributeValue>[] = [];
    let chunkBytes = 0;
    for (const { pk, ck, value } of unique) {
      const size = pk.length + ck.length + value.length;
      if (chunk.length === WRITE_CHUNK_ITEMS || (chunk.length > 0 && chunkBytes + size > WRITE_CHUNK_BYTES)) {
        chunks.push(chunk);
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(itemOf(pk, ck, value, 0));
      chunkBytes += size;
    }
    if (chunk.length > 0) chunks.push(chunk);
    await runPool(chunks, CHUNK_CONCURRENCY, (c) => this.writeChunk(c));
  }

  private async writeChunk(items: Record<string, AttributeValue>[]): Promise<void> {
    const table = this.config.tableName;
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    for (let stalled = 0; pending.length > 0;) {
      const out = await this.call((c) => c.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } })));
      const left = out.UnprocessedItems?.[table] ?? [];
      const next = left.flatMap((r) => (r.PutRequest?.Item ? [{ PutRequest: { Item: r.PutRequest.Item } }] : []));
      stalled = next.length < pending.length ? 0 : stalled + 1;
      pending = next;
      if (pending.length === 0) break;
      if (stalled >= MAX_STALLED_ROUNDS) {
        throw new StorageUnavailableError('dynamodb', `${pending.length} batch items stayed unprocessed (throttled)`);
      }
      if (stalled > 0) await sleep(backoffMs(stalled));
    }
  }

  async get(pk: Bytes, ck: Bytes): Promise<Bytes | undefined> {
    return (await this.getItem(pk, ck))?.value;
  }

  async ttlGet(pk: Bytes, ck: Bytes): Promise<TtlValue | undefined> {
    const found = await this.getItem(pk, ck);
    if (found === undefined) return undefined;
    return { value: found.value, ttlSeconds: remainingTtlSeconds(found.expiresAt) };
  }

  private async getItem(pk: Bytes, ck: Bytes): Promise<{ value: Uint8Array; expiresAt: number } | undefined> {
    checkKey(this.limits, pk, ck);
    const out = await this.call((c) =>
      c.send(
        new GetItemCommand({
          TableName: this.config.tableName,
          Key: keyOf(pk, ck),
          ConsistentRead: this.config.consistentReads,
          ProjectionExpression: '#v, #e',
          ExpressionAttributeNames: { '#v': ATTR_VALUE, '#e': ATTR_EXPIRES_MS },
        }),
      ),
    );
    const item = out.Item;
    if (item === undefined || !isLive(item, Date.now())) return undefined;
    return { value: valueOf(item), expiresAt: expiryOf(item) };
  }

  async getBatch(keys: readonly Key[]): Promise<(Bytes | undefined)[]> {
    checkKeys(this.limits, keys);
    const ids = keys.map(({ pk, ck }) => keyId(pk, encodeCk(ck)));
    // BatchGetItem refuses a request that names one key twice.
    const unique = new Map<string, Record<string, AttributeValue>>();
    keys.forEach(({ pk, ck }, i) => {
      const id = ids[i]!;
      if (!unique.has(id)) unique.set(id, keyOf(pk, ck));
    });
    const all = [...unique.values()];
    const chunks: Record<string, AttributeValue>[][] = [];
    for (let i = 0; i < all.length; i += READ_CHUNK_KEYS) chunks.push(all.slice(i, i + READ_CHUNK_KEYS));
    const found = new Map<string, Uint8Array>();
    await runPool(chunks, CHUNK_CONCURRENCY, (c) => this.readChunk(c, found));
    return ids.map((id) => found.get(id));
  }

  private async readChunk(keys: Record<string, AttributeValue>[], found: Map<string, Uint8Array>): Promise<void> {
    const table = this.config.tableName;
    let pending = keys;
    for (let stalled = 0; pending.length > 0;) {
      const out = await this.call((c) =>
        c.send(
          new BatchGetItemCommand({
            RequestItems: {
              [table]: {
                Keys: pending,
                ConsistentRead: this.config.consistentReads,
                ProjectionExpression: '#p, #c, #v, #e',
                ExpressionAttributeNames: NAMES,
              },
            },
          }),
        ),
      );
      const now = Date.now();
      for (const item of out.Responses?.[table] ?? []) {
        const p = item[ATTR_PK]?.B;
        const c = item[ATTR_CK]?.B;
        if (p === undefined || c === undefined || !isLive(item, now)) continue;
        found.set(keyId(p, c), valueOf(item));
      }
      // Unprocessed keys come back when a response would exceed 16 MB, or under throttling.
      const next = out.UnprocessedKeys?.[table]?.Keys ?? [];
      stalled = next.length < pending.length ? 0 : stalled + 1;
      pending = next;
      if (pending.length === 0) break;
      if (stalled >= MAX_STALLED_ROUNDS) {
        throw new StorageUnavailableError('dynamodb', `${pending.length} batch keys stayed unprocessed (throttled)`);
      }
      if (stalled > 0) await sleep(backoffMs(stalled));
    }
  }

  read(pk: Bytes, fromCk?: Bytes, toCk?: Bytes, options?: ReadOptions): AsyncIterable<Entry> {
    return this.query(pk, fromCk, toCk, options, false);
  }

  ttlRead(pk: Bytes, fromCk?: Bytes, toCk?: Bytes, options?: ReadOptions): AsyncIterable<TtlEntry> {
    return this.query(pk, fromCk, toCk, options, true);
  }

  private query(
    pk: Bytes,
    fromCk: Bytes | undefined,
    toCk: Bytes | undefined,
    options: ReadOptions | undefined,
    withTtl: true,
  ): AsyncIterable<TtlEntry>;
  private query(
    pk: Bytes,
    fromCk: Bytes | undefined,
    toCk: Bytes | undefined,
    options: ReadOptions | undefined,
    withTtl: false,
  ): AsyncIterable<Entry>;
  private query(
    pk: Bytes,
    fromCk: Bytes | undefined,
    toCk: Bytes | undefined,
    options: ReadOptions | undefined,
    withTtl: boolean,
  ): AsyncIterable<Entry | TtlEntry> {
    // Checked and captured now: the caller may reuse its buffers as soon as read() returns.
    const { limit, reverse, empty } = checkRead(this.limits, pk, fromCk, toCk, options);
    if (empty) return emptyIterable();
    const values: Record<string, AttributeValue> = { ':p': { B: new Uint8Array(pk) } };
    let condition = '#p = :p';
    const from = fromCk === undefined ? undefined : encodeCk(fromCk);
    const to = toCk === undefined ? undefined : encodeCk(toCk);
    if (from !== undefined) values[':from'] = { B: from };
    if (to !== undefined) values[':to'] = { B: to };
    if (from !== undefined && to !== undefined) condition += ' AND #c BETWEEN :from AND :to';
    else if (from !== undefined) condition += ' AND #c >= :from';
    else if (to !== undefined) condition += ' AND #c < :to';
    // Only BETWEEN can return the excluded upper bound; it is dropped below.
    const dropTo = from !== undefined && to !== undefined ? to : undefined;
    return this.pages(condition, values, dropTo, limit, reverse, withTtl);
  }

  private async *pages(
    condition: string,
    values: Record<string, AttributeValue>,
    dropTo: Uint8Array | undefined,
    limit: number | undefined,
    reverse: boolean,
    withTtl: boolean,
  ): AsyncGenerator<Entry | TtlEntry> {
    let yielded = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const now = Date.now();
      const remaining = limit === undefined ? undefined : limit - yielded;
      const out: QueryCommandOutput = await this.call((c) =>
        c.send(
          new QueryCommand({
            TableName: this.config.tableName,
            KeyConditionExpression: condition,
            // Expired items cost read capacity but never travel; isLive below covers clock skew.
            FilterExpression: LIVE,
            ProjectionExpression: '#c, #v, #e',
            ExpressionAttributeNames: { '#p': ATTR_PK, '#c': ATTR_CK, '#v': ATTR_VALUE, '#e': ATTR_EXPIRES_MS },
            ExpressionAttributeValues: { ...values, ':now': { N: String(now) } },
            ScanIndexForward: !reverse,
            ConsistentRead: this.config.consistentReads,
            ExclusiveStartKey: startKey,
            // One extra for the boundary item BETWEEN may return.
            Limit: remaining === undefined ? undefined : remaining + (dropTo === undefined ? 0 : 1),
          }),
        ),
      );
      for (const item of out.Items ?? []) {
        const c = item[ATTR_CK]?.B;
        if (c === undefined || !isLive(item, now)) continue;
        if (dropTo !== undefined && equalBytes(c, dropTo)) continue;
        const entry: Entry = { ck: decodeCk(c), value: valueOf(item) };
        yield withTtl ? { ...entry, ttlSeconds: remainingTtlSeconds(expiryOf(item)) } : entry;
        if (limit !== undefined && ++yielded >= limit) return;
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  async insertIfNotExists(pk: Bytes, ck: Bytes, value: Bytes, ttlSeconds?: number): Promise<boolean> {
    checkItem(this.limits, pk, ck, value);
    const ttl = checkTtl(ttlSeconds);
    const now = Date.now();
    return this.conditional((c) =>
      c.send(
        new PutItemCommand({
          TableName: this.config.tableName,
          Item: itemOf(pk, ck, value, expiryFromTtl(ttl, now)),
          ConditionExpression: ABSENT_OR_EXPIRED,
          ExpressionAttributeNames: { '#p': ATTR_PK, '#e': ATTR_EXPIRES_MS },
          ExpressionAttributeValues: { ':now': { N: String(now) } },
        }),
      ),
    );
  }

  async compareAndSwap(pk: Bytes, ck: Bytes, expected: Bytes, next: Bytes, ttlSeconds?: number): Promise<boolean> {
    checkItem(this.limits, pk, ck, next);
    assertBytes(expected, 'expected value');
    const ttl = checkTtl(ttlSeconds);
    // A value over the limit can never have been stored, so it cannot match.
    if (expected.length > this.limits.maxValueBytes) return false;
    const now = Date.now();
    return this.conditional((c) =>
      c.send(
        new PutItemCommand({
          TableName: this.config.tableName,
          Item: itemOf(pk, ck, next, expiryFromTtl(ttl, now)),
          ConditionExpression: `#v = :expected AND ${LIVE}`,
          ExpressionAttributeNames: { '#v': ATTR_VALUE, '#e': ATTR_EXPIRES_MS },
          ExpressionAttributeValues: { ':expected': { B: expected }, ':now': { N: String(now) } },
        }),
      ),
    );
  }

  async compareAndDelete(pk: Bytes, ck: Bytes, expected: Bytes): Promise<boolean> {
    checkKey(this.limits, pk, ck);
    assertBytes(expected, 'expected value');
    if (expected.length > this.limits.maxValueBytes) return false;
    const now = Date.now();
    return this.conditional((c) =>
      c.send(
        new DeleteItemCommand({
          TableName: this.config.tableName,
          Key: keyOf(pk, ck),
          ConditionExpression: `#v = :expected AND ${LIVE}`,
          ExpressionAttributeNames: { '#v': ATTR_VALUE, '#e': ATTR_EXPIRES_MS },
          ExpressionAttributeValues: { ':expected': { B: expected }, ':now': { N: String(now) } },
        }),
      ),
    );
  }

  private async conditional(run: (client: DynamoDBClient) => Promise<unknown>): Promise<boolean> {
    try {
      await run(this.config.client);
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw toStorageError(error, this.config.safeName);
    }
  }

  private async call<T>(run: (client: DynamoDBClient) => Promise<T>): Promise<T> {
    try {
      return await run(this.config.client);
    } catch (error) {
      throw toStorageError(error, this.config.safeName);
    }
  }
}

function emptyIterable<T>(): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }),
  };
}

/** Runs `work` over `items` with at most `concurrency` in flight; the first failure rejects. */
async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    try {
      while (!failed && next < items.length) await work(items[next++]!);
    } catch (error) {
      failed = true;
      throw error;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
