import { randomBytes } from 'node:crypto';
import type { ExecutionOptions, tracker } from 'cassandra-driver';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { StorageLimitError, StorageUnavailableError } from '@stoa/storage';
import type { AppStorage, Item, StorageDriver } from '@stoa/storage';
import { describeStorageContract } from '@stoa/storage/testing';
import { createCassandraDriver, type CassandraDriverOptions } from './index.js';

const contactPoint = inject('cassandraContactPoint');
const skip =
  inject('cassandraSkip') ?? (contactPoint === undefined ? 'no Cassandra contact point provided' : undefined);
const title = (name: string): string => (skip === undefined ? name : `${name} (skipped: ${skip})`);

function connect(options: Partial<CassandraDriverOptions> = {}): Promise<StorageDriver> {
  return createCassandraDriver({ contactPoints: [contactPoint ?? '127.0.0.1:9042'], ...options });
}

describeStorageContract({
  name: 'cassandra',
  insertWithBatch: false,
  skip,
  createDriver: () => connect(),
  ttlWaitSeconds: 2.5,
});

const APP = 'contract_a';
const pkOf = (label: string): Uint8Array => Buffer.concat([Buffer.from(`${label}:`), randomBytes(12)]);
const u32 = (n: number): Uint8Array => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
};
const text = (value: string): Uint8Array => Buffer.from(value);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The driver checks `instanceof RequestTracker`, a class its typings declare only as an interface. */
const RequestTrackerBase = (cassandra.tracker as unknown as { RequestTracker: new () => object }).RequestTracker;

/** Records the consistency levels of every request the driver sends. */
class ConsistencyRecorder extends RequestTrackerBase implements tracker.RequestTracker {
  readonly seen: { query: string; consistency: number; serial: number }[] = [];
  onSuccess(_host: unknown, query: unknown, _params: unknown, options: ExecutionOptions): void {
    this.record(query, options);
  }
  onError(_host: unknown, query: unknown, _params: unknown, options: ExecutionOptions): void {
    this.record(query, options);
  }
  shutdown(): void {}
  private record(query: unknown, options: ExecutionOptions): void {
    const text = typeof query === 'string' ? query : JSON.stringify(query);
    this.seen.push({
      query: text,
      consistency: Number(options.getConsistency()),
      serial: Number(options.getSerialConsistency()),
    });
  }
  clear(): void {
    this.seen.length = 0;
  }
}

describe.skipIf(skip !== undefined)(title('cassandra driver specifics'), () => {
  const recorder = new ConsistencyRecorder();
  let driver: StorageDriver;
  let app: AppStorage;

  beforeAll(async () => {
    driver = await connect({ pageSize: 50, clientOptions: { requestTracker: recorder } });
    await driver.createApp(APP);
    app = await driver.openApp(APP);
  }, 180_000);

  afterAll(async () => {
    await driver?.close();
  });

  it('pages lazily through more rows than one page, in both directions and with limits', async () => {
    const pk = pkOf('paging');
    const n = 1234;
    const items: Item[] = Array.from({ length: n }, (_, i) => ({ pk, ck: u32(i), value: u32(i * 7) }));
    for (let i = 0; i < n; i += app.limits.maxBatchItems) await app.putBatch(items.slice(i, i + 100));

    recorder.clear();
    const all = await collect(app.read(pk));
    const pages = recorder.seen.filter((r) => r.query.startsWith('SELECT c, value')).length;
    expect(all.length).toBe(n);
    expect(all.every((e, i) => Buffer.from(e.ck).readUInt32BE() === i)).toBe(true);
    expect(all.every((e, i) => Buffer.from(e.value).readUInt32BE() === i * 7)).toBe(true);
    // pageSize 50, first page 50: at least ceil(1234 / 50) requests.
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(n / 50));

    const reversed = await collect(app.read(pk, u32(100), u32(1200), { reverse: true }));
    expect(reversed.length).toBe(1100);
    expect(Buffer.from(reversed[0]!.ck).readUInt32BE()).toBe(1199);
    expect(Buffer.from(reversed.at(-1)!.ck).readUInt32BE()).toBe(100);

    const limited = await collect(app.ttlRead(pk, u32(3), undefined, { limit: 777 }));
    expect(limited.length).toBe(777);
    expect(Buffer.from(limited.at(-1)!.ck).readUInt32BE()).toBe(779);

    // Lazy: breaking out after a few entries costs one page, not the whole partition.
    recorder.clear();
    for await (const entry of app.read(pk)) if (Buffer.from(entry.ck).readUInt32BE() === 2) break;
    expect(recorder.seen.length).toBe(1);
  }, 60_000);

  it('exactly one of many concurrent insertIfNotExists from two clients wins', async () => {
    const other = await connect();
    try {
      const otherApp = await other.openApp(APP);
      const pk = pkOf('race');
      const contenders = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? app : otherApp));
      const results = await Promise.all(contenders.map((s, i) => s.insertIfNotExists(pk, text('lease'), u32(i), 30)));
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners.length).toBe(1);
      expect(Buffer.from((await app.get(pk, text('lease')))!).readUInt32BE()).toBe(winners[0]);
    } finally {
      await other.close();
    }
  }, 60_000);

  it('compareAndSwap increments from concurrent writers are never lost', async () => {
    const pk = pkOf('counter');
    const key = text('n');
    await app.put(pk, key, u32(0));
    const increment = async (): Promise<void> => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const current = (await app.get(pk, key))!;
        const next = u32(Buffer.from(current).readUInt32BE() + 1);
        if (await app.compareAndSwap(pk, key, current, next)) return;
      }
      throw new Error('no progress after 200 attempts');
    };
    const writers = 4;
    const perWriter = 5;
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let i = 0; i < perWriter; i++) await increment();
      }),
    );
    expect(Buffer.from((await app.get(pk, key))!).readUInt32BE()).toBe(writers * perWriter);
  }, 120_000);

  it('sends plain requests at QUORUM and LWTs with SERIAL by default', async () => {
    const pk = pkOf('cl');
    recorder.clear();
    await app.put(pk, text('a'), text('1'));
    await app.get(pk, text('a'));
    await app.putBatch([
      { pk, ck: text('b'), value: text('2') },
      { pk, ck: text('c'), value: text('3') },
    ]);
    await app.insertIfNotExists(pk, text('d'), text('4'));
    await app.compareAndSwap(pk, text('d'), text('4'), text('5'), 10);
    await app.compareAndDelete(pk, text('d'), text('5'));
    const quorum = Number(cassandra.types.consistencies.quorum);
    const serial = Number(cassandra.types.consistencies.serial);
    expect(recorder.seen.length).toBe(6);
    expect(recorder.seen.every((r) => r.consistency === quorum)).toBe(true);
    const lwts = recorder.seen.filter((r) => r.query.includes(' IF '));
    expect(lwts.length).toBe(3);
    expect(lwts.every((r) => r.serial === serial)).toBe(true);
  });

  it('uses the configured consistency levels', async () => {
    const custom = new ConsistencyRecorder();
    const tuned = await connect({
      consistency: 'one',
      serialConsistency: 'local_serial',
      clientOptions: { requestTracker: custom },
    });
    try {
      const tunedApp = await tuned.openApp(APP);
      const pk = pkOf('cl-one');
      await tunedApp.put(pk, text('a'), text('1'));
      expect(await tunedApp.insertIfNotExists(pk, text('b'), text('2'))).toBe(true);
      const data = custom.seen.filter((r) => !r.query.includes('system_schema'));
      const one = Number(cassandra.types.consistencies.one);
      const localSerial = Number(cassandra.types.consistencies.localSerial);
      expect(data.map((r) => r.consistency)).toEqual([one, one]);
      expect(data[1]!.serial).toBe(localSerial);
    } finally {
      await tuned.close();
    }
  });

  it('an entry written after a CAS with TTL expires fully (no ghost row blocks insertIfNotExists)', async () => {
    const pk = pkOf('ghost');
    const key = text('k');
    expect(await app.insertIfNotExists(pk, key, text('permanent'))).toBe(true);
    expect(await app.compareAndSwap(pk, key, text('permanent'), text('short'), 1)).toBe(true);
    await app.put(pk, text('put-then-cas'), text('p'));
    expect(await app.compareAndSwap(pk, text('put-then-cas'), text('p'), text('q'), 1)).toBe(true);
    await sleep(2500);
    expect(await app.get(pk, key)).toBeUndefined();
    expect(await collect(app.read(pk))).toEqual([]);
    expect(await app.insertIfNotExists(pk, key, text('again'))).toBe(true);
    expect(await app.insertIfNotExists(pk, text('put-then-cas'), text('again'))).toBe(true);
  }, 30_000);

  it('a TTL never expires early: a 1 s entry is still there after 0.9 s', async () => {
    const pk = pkOf('ttl-floor');
    expect(await app.insertIfNotExists(pk, text('k'), text('v'), 1)).toBe(true);
    expect((await app.ttlGet(pk, text('k')))?.ttlSeconds).toBe(1);
    await sleep(900);
    expect(await app.get(pk, text('k'))).toBeDefined();
    await sleep(1300);
    expect(await app.get(pk, text('k'))).toBeUndefined();
  }, 30_000);

  it('refuses one partition with more than 8 MiB in a batch, but spreads the same bytes over partitions', async () => {
    const mib = new Uint8Array(app.limits.maxValueBytes).fill(7);
    const pk = pkOf('big');
    const same: Item[] = Array.from({ length: 9 }, (_, i) => ({ pk, ck: u32(i), value: mib }));
    const err = await app.putBatch(same).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageLimitError);
    expect((err as Error).message).toMatch(/bytes for one partition key/);
    expect(await collect(app.read(pk, undefined, undefined, { limit: 1 }))).toEqual([]);

    const spread: Item[] = Array.from({ length: 9 }, (_, i) => ({ pk: pkOf(`spread${i}`), ck: u32(i), value: mib }));
    await app.putBatch(spread);
    const got = await app.getBatch(spread.map(({ pk: p, ck }) => ({ pk: p, ck })));
    expect(got.every((v) => v?.length === mib.length)).toBe(true);
  }, 60_000);

  it('an unreachable contact point fails fast with StorageUnavailableError', async () => {
    const started = Date.now();
    const err = await createCassandraDriver({ contactPoints: ['127.0.0.1:1'], connectTimeoutMs: 2000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a closed driver refuses new work with StorageUnavailableError', async () => {
    const closing = await connect();
    const closingApp = await closing.openApp(APP);
    await closing.close();
    await expect(closing.openApp(APP)).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(closingApp.get(pkOf('closed'), text('k'))).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});

describe.skipIf(skip !== undefined)(title('cassandra driver with logged batches'), () => {
  let driver: StorageDriver;
  let app: AppStorage;

  beforeAll(async () => {
    driver = await connect({ batchMode: 'logged' });
    await driver.createApp(APP);
    app = await driver.openApp(APP);
  }, 180_000);

  afterAll(async () => {
    await driver?.close();
  });

  it('declares all-or-nothing batches and writes small multi-partition batches', async () => {
    expect(app.limits.batchAtomicity).toBe('all');
    const items: Item[] = Array.from({ length: 20 }, (_, i) => ({ pk: pkOf(`lb${i}`), ck: u32(i), value: u32(i) }));
    await app.putBatch(items);
    const got = await app.getBatch(items.map(({ pk, ck }) => ({ pk, ck })));
    expect(got.map((v) => Buffer.from(v!).readUInt32BE())).toEqual(items.map((_, i) => i));
  });

  it('refuses a multi-partition batch over the logged-batch byte limit before writing', async () => {
    const items: Item[] = Array.from({ length: 3 }, (_, i) => ({
      pk: pkOf(`lbig${i}`),
      ck: u32(i),
      value: new Uint8Array(20 * 1024),
    }));
    await expect(app.putBatch(items)).rejects.toBeInstanceOf(StorageLimitError);
    expect(await app.getBatch(items.map(({ pk, ck }) => ({ pk, ck })))).toEqual([undefined, undefined, undefined]);
    // One partition is not subject to the cross-partition limit.
    const pk = pkOf('lone');
    await app.putBatch(items.map((item) => ({ ...item, pk })));
    expect((await collect(app.read(pk))).length).toBe(3);
  });
});
