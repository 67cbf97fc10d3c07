import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { BatchWriteItemCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { AppStorage, StorageDriver } from '@stoa/storage';
import { StorageNotFoundError, StorageUnavailableError } from '@stoa/storage';
import { describeStorageContract } from '@stoa/storage/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoDbDriver, MAX_KEY_BYTES, MAX_VALUE_BYTES } from './index.js';

const endpoint = inject('dynamodbEndpoint');
const skip = inject('dynamodbSkip');
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

function openDriver(options: { client?: DynamoDBClient } = {}): StorageDriver {
  return createDynamoDbDriver({ endpoint, region: 'us-east-1', credentials, ...options });
}

describeStorageContract({
  name: 'dynamodb',
  insertWithBatch: false,
  ...(skip === undefined ? {} : { skip }),
  createDriver: () => Promise.resolve(openDriver()),
  // Expiry is exact (epoch ms) but the TTL tests write 1 s entries; 2 s leaves a clear margin.
  ttlWaitSeconds: 2,
});

const title = skip === undefined ? 'dynamodb driver' : `dynamodb driver (skipped: ${skip})`;

(skip === undefined ? describe : describe.skip)(title, () => {
  // One table per test file run: names are unique so parallel workers never collide.
  const appName = `drv_${randomBytes(4).toString('hex')}`;
  let driver: StorageDriver;
  let app: AppStorage;
  let sent: string[] = [];
  let client: DynamoDBClient;

  beforeAll(async () => {
    client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials });
    // Records the operation name of every request, to check chunking and paging.
    client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'recordCommands' },
    );
    driver = openDriver({ client });
    await driver.createApp(appName);
    await driver.createApp(appName); // idempotent
    app = await driver.openApp(appName);
  });

  afterAll(async () => {
    await driver.close();
    client.destroy();
  });

  const pkOf = (label: string) => new TextEncoder().encode(`${label}:${randomBytes(8).toString('hex')}`);
  const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);

  it('opening a table that was never created throws StorageNotFoundError', async () => {
    await expect(driver.openApp(`never_${randomBytes(4).toString('hex')}`)).rejects.toBeInstanceOf(
      StorageNotFoundError,
    );
  });

  it('splits a batch of 60 items into 3 BatchWriteItem calls and every item lands', async () => {
    const pk = pkOf('batch');
    sent = [];
    await app.putBatch(Array.from({ length: 60 }, (_, i) => ({ pk, ck: u16(i), value: u16(i * 3) })));
    expect(sent.filter((name) => name === 'BatchWriteItemCommand').length).toBe(3);
    const got = await app.getBatch(Array.from({ length: 60 }, (_, i) => ({ pk, ck: u16(i) })));
    expect(got.map((v) => (v === undefined ? -1 : (v[0]! << 8) | v[1]!))).toEqual(
      Array.from({ length: 60 }, (_, i) => i * 3),
    );
  });

  it('gets a batch of 250 keys over several BatchGetItem calls, in key order, with duplicates', async () => {
    const pk = pkOf('getbatch');
    await app.putBatch(Array.from({ length: 250 }, (_, i) => ({ pk, ck: u16(i), value: u16(i) })));
    const keys = [...Array.from({ length: 250 }, (_, i) => ({ pk, ck: u16(249 - i) })), { pk, ck: u16(7) }];
    sent = [];
    const got = await app.getBatch([...keys, { pk, ck: u16(999) }]);
    expect(sent.filter((name) => name === 'BatchGetItemCommand').length).toBeGreaterThanOrEqual(3);
    expect(got.slice(0, 250).map((v) => (v![0]! << 8) | v![1]!)).toEqual(
      Array.from({ length: 250 }, (_, i) => 249 - i),
    );
    expect(Array.from(got[250]!)).toEqual([0, 7]);
    expect(got[251]).toBeUndefined();
  });

  it('reads a partition larger than one 1 MB query page completely, both directions', async () => {
    const pk = pkOf('pages');
    const value = new Uint8Array(300 * 1024).fill(7);
    const n = 11; // ~3.3 MB
    for (let i = 0; i < n; i += 5) {
      await app.putBatch(Array.from({ length: Math.min(5, n - i) }, (_, j) => ({ pk, ck: u16(i + j), value })));
    }
    sent = [];
    const cks: number[] = [];
    for await (const entry of app.read(pk)) {
      expect(entry.value.length).toBe(value.length);
      cks.push((entry.ck[0]! << 8) | entry.ck[1]!);
    }
    expect(cks).toEqual(Array.from({ length: n }, (_, i) => i));
    // A page stops once it passes 1 MB (3–4 of these items): 3.3 MB take at least 3 queries.
    expect(sent.filter((name) => name === 'QueryCommand').length).toBeGreaterThanOrEqual(3);
    const reversed: number[] = [];
    for await (const entry of app.read(pk, u16(1), u16(10), { reverse: true })) {
      reversed.push((entry.ck[0]! << 8) | entry.ck[1]!);
    }
    expect(reversed).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
  }, 60_000);

  it('reads pages lazily: stopping early sends no further queries', async () => {
    const pk = pkOf('lazy');
    const value = new Uint8Array(300 * 1024);
    await app.putBatch(Array.from({ length: 8 }, (_, i) => ({ pk, ck: u16(i), value })));
    sent = [];
    for await (const entry of app.read(pk)) {
      expect(entry.ck.length).toBe(2);
      break;
    }
    expect(sent.filter((name) => name === 'QueryCommand').length).toBe(1);
  });

  it('excludes the upper bound of [from, to) and honours limit with it', async () => {
    const pk = pkOf('bounds');
    await app.putBatch(Array.from({ length: 6 }, (_, i) => ({ pk, ck: u16(i), value: u16(i) })));
    const cks = async (from: Uint8Array, to: Uint8Array, options?: { limit?: number; reverse?: boolean }) => {
      const out: number[] = [];
      for await (const e of app.read(pk, from, to, options)) out.push(e.ck[1]!);
      return out;
    };
    expect(await cks(u16(1), u16(4))).toEqual([1, 2, 3]);
    expect(await cks(u16(1), u16(4), { reverse: true })).toEqual([3, 2, 1]);
    expect(await cks(u16(1), u16(4), { reverse: true, limit: 2 })).toEqual([3, 2]);
    expect(await cks(u16(3), u16(4), { reverse: true, limit: 1 })).toEqual([3]);
  });

  it('accepts a value of exactly maxValueBytes with keys of maxKeyBytes and a TTL', async () => {
    const pk = new Uint8Array(MAX_KEY_BYTES).fill(0xab);
    pk.set(randomBytes(8));
    const ck = new Uint8Array(MAX_KEY_BYTES).fill(0xff);
    const value = new Uint8Array(MAX_VALUE_BYTES).fill(0x5a);
    expect(await app.insertIfNotExists(pk, ck, value, 3600)).toBe(true);
    expect(await app.compareAndSwap(pk, ck, value, value, 3600)).toBe(true);
    await app.put(pk, ck, value);
    await app.putBatch([{ pk, ck, value }]);
    expect((await app.get(pk, ck))!.length).toBe(MAX_VALUE_BYTES);
    expect(await app.compareAndDelete(pk, ck, value)).toBe(true);
  });

  it('the item overhead formula holds: dynalite refuses an item one byte over 400 KB', async () => {
    // Confirms the server counts sizes as layout.ts assumes (names + values, keys included).
    const table = `stoa_${appName}`;
    const item = (valueBytes: number) => ({
      p: { B: new Uint8Array(MAX_KEY_BYTES) },
      c: { B: new Uint8Array(MAX_KEY_BYTES + 1) },
      v: { B: new Uint8Array(valueBytes) },
    });
    const fits = 400 * 1024 - 3 - MAX_KEY_BYTES - (MAX_KEY_BYTES + 1);
    await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: [{ PutRequest: { Item: item(fits) } }] } }));
    await expect(
      client.send(new BatchWriteItemCommand({ RequestItems: { [table]: [{ PutRequest: { Item: item(fits + 1) } }] } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect(fits - MAX_VALUE_BYTES).toBeGreaterThan(21 * 2 + 2);
  });

  it('concurrent insertIfNotExists on one key: exactly one winner out of 40', async () => {
    const pk = pkOf('race');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => app.insertIfNotExists(pk, new Uint8Array(0), u16(i))),
    );
    const winners = results.flatMap((won, i) => (won ? [i] : []));
    expect(winners.length).toBe(1);
    expect(Array.from((await app.get(pk, new Uint8Array(0)))!)).toEqual(Array.from(u16(winners[0]!)));
  });

  it('stores expiry server-side too: the TTL attribute x is whole seconds, never before the exact expiry', async () => {
    const pk = pkOf('ttlattr');
    const before = Date.now();
    expect(await app.insertIfNotExists(pk, u16(1), u16(1), 30)).toBe(true);
    const out = await client.send(
      new QueryCommand({
        TableName: `stoa_${appName}`,
        KeyConditionExpression: 'p = :p',
        ExpressionAttributeValues: { ':p': { B: pk } },
        ConsistentRead: true,
      }),
    );
    const item = out.Items![0]!;
    const exactMs = Number(item.e!.N);
    const seconds = Number(item.x!.N);
    expect(exactMs).toBeGreaterThanOrEqual(before + 30_000);
    expect(Number.isInteger(seconds)).toBe(true);
    expect(seconds * 1000).toBeGreaterThanOrEqual(exactMs);
    expect(seconds * 1000 - exactMs).toBeLessThan(1000);
  });
});

describe('dynamodb driver without a server', () => {
  it('an unreachable endpoint fails fast with StorageUnavailableError', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as AddressInfo;
        server.close(() => resolve(p));
      });
    });
    const driver = createDynamoDbDriver({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials,
      connectionTimeoutMs: 1000,
    });
    const started = Date.now();
    await expect(driver.openApp('anything')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(driver.createApp('anything')).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(Date.now() - started).toBeLessThan(5000);
    await driver.close();
  });
});
