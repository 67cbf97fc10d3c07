import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLmdbDriver } from '@stoa/storage-lmdb';
import type { OpenedBackend } from './types.js';

/** A durable LMDB store in a temp dir (set STOA_BENCH_LMDB_DIR to bench a real disk path). */
export function open(): Promise<OpenedBackend> {
  const base = process.env.STOA_BENCH_LMDB_DIR ?? tmpdir();
  const dir = mkdtempSync(join(base, 'stoa-bench-lmdb-'));
  const driver = createLmdbDriver({ path: dir, overlappingSync: process.env.STOA_BENCH_LMDB_OVERLAP === '1' });
  return Promise.resolve({
    driver,
    async stop() {
      await driver.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}
