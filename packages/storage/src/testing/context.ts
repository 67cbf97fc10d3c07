import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import type { AppStorage, Bytes, Entry, Item, StorageDriver } from '../contract.js';

export interface ContractTarget {
  /** Suite title, e.g. 'lmdb'. */
  name: string;
  /** When set, every contract test is registered as skipped and the reason appears in the suite title: `cassandra (skipped: <reason>)`. */
  skip?: string;
  /** Creates a fresh driver connected to the backend (called once per test file in beforeAll). */
  createDriver(): Promise<StorageDriver>;
  /** Optional cleanup after the suite (e.g. stop a server the test file started). */
  afterAll?(): Promise<void>;
  /** Seconds to wait in TTL expiry tests; backends with 1 s TTL granularity need ~2. */
  ttlWaitSeconds?: number;
  /** Concurrency for the conditional-ops race tests (default 20). */
  concurrency?: number;
  /** Whether the backend offers the optional `insertIfNotExistsWithBatch` (tested either way). */
  insertWithBatch: boolean;
}

/**
 * App safe names the kit uses. Server backends pay seconds per created keyspace/table, so the kit
 * reuses this fixed set (createApp is idempotent) and isolates tests by random partition keys.
 */
export const CONTRACT_APPS = ['contract_a', 'contract_b', 'contract_c'] as const;
export type ContractApp = (typeof CONTRACT_APPS)[number];
export const MANY_APPS = ['contract_m0', 'contract_m1', 'contract_m2', 'contract_m3', 'contract_m4'] as const;
export const MISSING_APP = 'contract_never_created';

/** Generous hook/test timeout: creating keyspaces on Cassandra takes seconds each. */
export const SLOW_MS = 180_000;

export interface ContractContext {
  readonly target: ContractTarget;
  readonly ttlWaitSeconds: number;
  readonly concurrency: number;
  driver(): StorageDriver;
  app(name?: ContractApp): AppStorage;
}

export function setUpContext(target: ContractTarget): ContractContext {
  let driver: StorageDriver | undefined;
  const apps = new Map<string, AppStorage>();

  beforeAll(async () => {
    driver = await target.createDriver();
    for (const name of CONTRACT_APPS) {
      await driver.createApp(name);
      apps.set(name, await driver.openApp(name));
    }
  }, SLOW_MS);

  afterAll(async () => {
    try {
      await driver?.close();
    } finally {
      await target.afterAll?.();
    }
  }, SLOW_MS);

  return {
    target,
    ttlWaitSeconds: target.ttlWaitSeconds ?? 1.5,
    concurrency: target.concurrency ?? 20,
    driver() {
      if (driver === undefined) throw new Error('driver not created (beforeAll failed?)');
      return driver;
    },
    app(name = 'contract_a') {
      const app = apps.get(name);
      if (app === undefined) throw new Error(`app ${name} not opened (beforeAll failed?)`);
      return app;
    },
  };
}

/** A random partition key unique to one test, so tests never see each other's data. */
export function newPk(label = 'pk'): Uint8Array {
  return concat(new TextEncoder().encode(`${label}:`), randomBytes(12));
}

export function b(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

export function s(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function concat(...parts: Bytes[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Plain arrays compare clearly in assertion diffs and ignore Buffer vs Uint8Array. */
export function arr(bytes: Bytes | undefined): number[] | undefined {
  return bytes === undefined ? undefined : Array.from(bytes);
}

/** Consumes an iterable from a thunk, so a synchronous throw by `read` also becomes a rejection. */
export async function collect<T>(open: () => AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const entry of open()) out.push(entry);
  return out;
}

export async function readCks(
  app: AppStorage,
  pk: Bytes,
  fromCk?: Bytes,
  toCk?: Bytes,
  options?: { limit?: number; reverse?: boolean },
): Promise<number[][]> {
  const entries: Entry[] = await collect(() => app.read(pk, fromCk, toCk, options));
  return entries.map((e) => Array.from(e.ck));
}

/** Writes items in chunks the backend accepts. */
export async function putAll(app: AppStorage, items: readonly Item[]): Promise<void> {
  const size = Math.min(app.limits.maxBatchItems, 500);
  for (let i = 0; i < items.length; i += size) await app.putBatch(items.slice(i, i + size));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Deterministic pseudo-random bytes (values whose corruption a test would notice). */
export function patterned(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

export function readU32(bytes: Bytes): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}
