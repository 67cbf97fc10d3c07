/**
 * The in-memory reference backend: the contract's semantics in their simplest form. Every
 * operation runs synchronously inside its promise, so conditional ops are atomic by construction
 * (Node runs one callback at a time). Bytes are copied in and out. Data lives as long as the
 * driver; expired entries are hidden, and dropped when a write or get meets them.
 */
import { copyBytes, equalBytes, toHex } from '../bytes.js';
import type {
  AppStorage,
  Bytes,
  Entry,
  Item,
  Key,
  ReadOptions,
  StorageDriver,
  StorageLimits,
  TtlEntry,
  TtlValue,
} from '../contract.js';
import { StorageNotFoundError, StorageUnavailableError } from '../errors.js';
import {
  checkBatch,
  checkInsertWithBatch,
  checkItem,
  checkKey,
  checkKeys,
  checkRead,
  checkSafeName,
  checkTtl,
  assertBytes,
  dedupeBatch,
  expiryFromTtl,
  remainingTtlSeconds,
} from '../validate.js';
import { Partition, type MemEntry } from './partition.js';

export const MEM_LIMITS: StorageLimits = Object.freeze({
  maxValueBytes: 4 * 1024 * 1024,
  maxKeyBytes: 64 * 1024,
  maxBatchItems: 1000,
  batchAtomicity: 'all',
});

export interface MemDriverOptions {
  /** Override limits (tests of limit handling). */
  readonly limits?: Partial<StorageLimits>;
}

export function createMemDriver(options: MemDriverOptions = {}): StorageDriver {
  const limits: StorageLimits = Object.freeze({ ...MEM_LIMITS, ...options.limits });
  const apps = new Map<string, Map<string, Partition>>();
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new StorageUnavailableError('mem', 'driver is closed');
  };
  return {
    name: 'mem',
    limits,
    createApp(safeName) {
      return run(() => {
        checkSafeName(safeName);
        if (!apps.has(safeName)) apps.set(safeName, new Map());
      });
    },
    openApp(safeName) {
      return run(() => {
        checkSafeName(safeName);
        const data = apps.get(safeName);
        if (data === undefined) throw new StorageNotFoundError(safeName);
        return new MemAppStorage(limits, data, assertOpen);
      });
    },
    close() {
      closed = true;
      apps.clear();
      return Promise.resolve();
    },
  };
}

/** Runs `fn` now; a throw becomes a rejection. */
function run<T>(fn: () => T): Promise<T> {
  return new Promise<T>((resolve) => resolve(fn()));
}

function isLive(entry: MemEntry | undefined, now: number): entry is MemEntry {
  return entry !== undefined && (entry.expiresAt === 0 || entry.expiresAt > now);
}

class MemAppStorage implements AppStorage {
  constructor(
    readonly limits: StorageLimits,
    private readonly data: Map<string, Partition>,
    private readonly assertOpen: () => void,
  ) {}

  private partition(pk: Bytes, create: true): Partition;
  private partition(pk: Bytes, create: false): Partition | undefined;
  private partition(pk: Bytes, create: boolean): Partition | undefined {
    const id = toHex(pk);
    let p = this.data.get(id);
    if (p === undefined && create) {
      p = new Partition();
      this.data.set(id, p);
    }
    return p;
  }

  private live(pk: Bytes, ck: Bytes): MemEntry | undefined {
    const entry = this.partition(pk, false)?.find(ck);
    return isLive(entry, Date.now()) ? entry : undefined;
  }

  private write(pk: Bytes, ck: Bytes, value: Bytes, ttlSeconds: number): void {
    this.partition(pk, true).set(copyBytes(ck), copyBytes(value), expiryFromTtl(ttlSeconds));
  }

  put(pk: Bytes, ck: Bytes, value: Bytes): Promise<void> {
    return run(() => {
      this.assertOpen();
      checkItem(this.limits, pk, ck, value);
      this.write(pk, ck, value, 0);
    });
  }

  putBatch(items: readonly Item[]): Promise<void> {
    return run(() => {
      this.assertOpen();
      checkBatch(this.limits, items);
      // All checks passed before the first write, so the batch is all-or-nothing.
      for (const item of dedupeBatch(items)) this.write(item.pk, item.ck, item.value, 0);
    });
  }

  get(pk: Bytes, ck: Bytes): Promise<Bytes | undefined> {
    return run(() => {
      this.assertOpen();
      checkKey(this.limits, pk, ck);
      const entry = this.live(pk, ck);
      return entry === undefined ? undefined : copyBytes(entry.value);
    });
  }

  getBatch(keys: readonly Key[]): Promise<(Bytes | undefined)[]> {
    return run(() => {
      this.assertOpen();
      checkKeys(this.limits, keys);
      return keys.map(({ pk, ck }) => {
        const entry = this.live(pk, ck);
        return entry === undefined ? undefined : copyBytes(entry.value);
      });
    });
  }

  read(pk: Bytes, fromCk?: Bytes, toCk?: Bytes, options?: ReadOptions): AsyncIterable<Entry> {
    return this.scan(pk, fromCk, toCk, options, (e) => ({ ck: copyBytes(e.ck), value: copyBytes(e.value) }));
  }

  ttlRead(pk: Bytes, fromCk?: Bytes, toCk?: Bytes, options?: ReadOptions): AsyncIterable<TtlEntry> {
    return this.scan(pk, fromCk, toCk, options, (e) => ({
      ck: copyBytes(e.ck),
      value: copyBytes(e.value),
      ttlSeconds: remainingTtlSeconds(e.expiresAt),
    }));
  }

  /** Validates eagerly, then yields a snapshot taken when iteration starts. */
  private scan<T>(
    pk: Bytes,
    fromCk: Bytes | undefined,
    toCk: Bytes | undefined,
    options: ReadOptions | undefined,
    map: (e: MemEntry) => T,
  ): AsyncIterable<T> {
    this.assertOpen();
    const { limit, reverse, empty } = checkRead(this.limits, pk, fromCk, toCk, options);
    const pkCopy = copyBytes(pk);
    const from = fromCk && copyBytes(fromCk);
    const to = toCk && copyBytes(toCk);
    const partition = (): Partition | undefined => this.partition(pkCopy, false);
    return {
      async *[Symbol.asyncIterator]() {
        const p = empty ? undefined : partition();
        if (p === undefined) return;
        const now = Date.now();
        const entries = p.slice(from, to).filter((e) => isLive(e, now));
        if (reverse) entries.reverse();
        const picked = limit === undefined ? entries : entries.slice(0, limit);
        const mapped = picked.map(map);
        // Yield through the event loop like a real backend, so callers cannot rely on sync delivery.
        await Promise.resolve();
        for (const item of mapped) yield item;
      },
    };
  }

  insertIfNotExists(pk: Bytes, ck: Bytes, value: Bytes, ttlSeconds?: number): Promise<boolean> {
    return run(() => {
      this.assertOpen();
      checkItem(this.limits, pk, ck, value);
      const ttl = checkTtl(ttlSeconds);
      if (this.live(pk, ck) !== undefined) return false;
      this.write(pk, ck, value, ttl);
      return true;
    });
  }

  insertIfNotExistsWithBatch(pk: Bytes, ck: Bytes, value: Bytes, items: readonly Item[]): Promise<boolean> {
    return run(() => {
      this.assertOpen();
      checkInsertWithBatch(this.limits, pk, ck, value, items);
      if (this.live(pk, ck) !== undefined) return false;
      this.write(pk, ck, value, 0);
      for (const item of dedupeBatch(items)) this.write(item.pk, item.ck, item.value, 0);
      return true;
    });
  }

  compareAndSwap(pk: Bytes, ck: Bytes, expected: Bytes, next: Bytes, ttlSeconds?: number): Promise<boolean> {
    return run(() => {
      this.assertOpen();
      checkItem(this.limits, pk, ck, next);
      assertBytes(expected, 'expected value');
      const ttl = checkTtl(ttlSeconds);
      const entry = this.live(pk, ck);
      if (entry === undefined || !equalBytes(entry.value, expected)) return false;
      this.write(pk, ck, next, ttl);
      return true;
    });
  }

  compareAndDelete(pk: Bytes, ck: Bytes, expected: Bytes): Promise<boolean> {
    return run(() => {
      this.assertOpen();
      checkKey(this.limits, pk, ck);
      assertBytes(expected, 'expected value');
      const entry = this.live(pk, ck);
      if (entry === undefined || !equalBytes(entry.value, expected)) return false;
      this.partition(pk, false)?.delete(ck);
      return true;
    });
  }

  ttlGet(pk: Bytes, ck: Bytes): Promise<TtlValue | undefined> {
    return run(() => {
      this.assertOpen();
      checkKey(this.limits, pk, ck);
      const entry = this.live(pk, ck);
      if (entry === undefined) return undefined;
      return { value: copyBytes(entry.value), ttlSeconds: remainingTtlSeconds(entry.expiresAt) };
    });
  }
}
