/**
 * The LMDB backend: ONE environment per data dir, ONE named sub-database per app, plus a
 * `__apps` registry sub-database recording which apps were created (safe names start with a
 * letter, so the registry name never clashes).
 *
 * Durability: `overlappingSync: false`, so the commit of every write transaction is fsynced
 * before its promise resolves — a resolved write survives a crash. With lmdb's default
 * (overlappingSync) a resolved write is only visible; durability would need `await db.flushed`
 * per caller, which measured no faster here (see README, "Durability choice").
 */
import { mkdirSync } from 'node:fs';
import { open, type RootDatabase } from 'lmdb';
import {
  StorageNotFoundError,
  StorageUnavailableError,
  checkSafeName,
  type AppStorage,
  type StorageDriver,
  type StorageLimits,
} from '@stoa/storage';
import { MAX_PART_BYTES } from './keys.js';
import { LmdbAppStorage, type BinaryDb } from './lmdb-app.js';
import { lockDataDir } from './lock.js';

export const LMDB_LIMITS: StorageLimits = Object.freeze({
  // Values are events and records; BLOBs are chunked above the contract. Large values live in
  // LMDB overflow pages, which need contiguous free pages and are copied whole on every read.
  maxValueBytes: 4 * 1024 * 1024,
  maxKeyBytes: MAX_PART_BYTES,
  maxBatchItems: 10_000,
  batchAtomicity: 'all',
});

const REGISTRY = '__apps';

export interface LmdbDriverOptions {
  /** The data dir (created if missing). One process per data dir. */
  readonly path: string;
  /** Most app storages in this environment (LMDB's `maxDbs`, fixed per open). Default 1000. */
  readonly maxApps?: number;
  /**
   * `false` (default) fsyncs each commit before resolving. `true` uses lmdb's overlapping sync:
   * resolved = committed and visible, durable only after `flushed()` (benchmarks only).
   */
  readonly overlappingSync?: boolean;
  /** Skip the pid lock (tests that deliberately open one dir twice). */
  readonly noLock?: boolean;
}

export interface LmdbDriver extends StorageDriver {
  readonly path: string;
  /** Resolves when every commit so far is on disk (already true unless `overlappingSync`). */
  flushed(): Promise<void>;
  /** Id of the last committed write transaction (diagnostics; tests prove group commit with it). */
  lastTxnId(): number;
}

export function createLmdbDriver(options: LmdbDriverOptions): LmdbDriver {
  mkdirSync(options.path, { recursive: true });
  const unlock = options.noLock ? () => undefined : lockDataDir(options.path);
  let env: RootDatabase;
  try {
    env = open({
      path: options.path,
      maxDbs: (options.maxApps ?? 1000) + 1,
      overlappingSync: options.overlappingSync ?? false,
      // By default lmdb runs queued transaction callbacks (our conditional ops, putBatch) after
      // all single puts of the same batch; strict order applies operations in the order issued.
      strictAsyncOrder: true,
    });
  } catch (error) {
    unlock();
    throw new StorageUnavailableError('lmdb', `cannot open ${options.path}: ${(error as Error).message}`, error);
  }
  const registry = env.openDB<string, string>(REGISTRY, { encoding: 'string' });
  const dbs = new Map<string, BinaryDb>();
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new StorageUnavailableError('lmdb', 'driver is closed');
  };
  const subDb = (safeName: string): BinaryDb => {
    let db = dbs.get(safeName);
    if (db === undefined) {
      db = env.openDB<Buffer, Buffer>(safeName, { encoding: 'binary', keyEncoding: 'binary' });
      dbs.set(safeName, db);
    }
    return db;
  };

  return {
    name: 'lmdb',
    limits: LMDB_LIMITS,
    path: options.path,
    async createApp(safeName) {
      assertOpen();
      checkSafeName(safeName);
      if (registry.get(safeName) !== undefined) return;
      subDb(safeName);
      await registry.put(safeName, new Date().toISOString());
    },
    openApp(safeName): Promise<AppStorage> {
      return new Promise((resolve) => {
        assertOpen();
        checkSafeName(safeName);
        if (registry.get(safeName) === undefined) throw new StorageNotFoundError(safeName);
        resolve(new LmdbAppStorage(LMDB_LIMITS, subDb(safeName), assertOpen));
      });
    },
    lastTxnId() {
      return (env.getStats() as { lastTxnId: number }).lastTxnId;
    },
    async flushed() {
      await env.flushed;
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await env.close();
      } finally {
        unlock();
      }
    },
  };
}
