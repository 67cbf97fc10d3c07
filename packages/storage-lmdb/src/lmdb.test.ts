import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStorageContract } from '@stoa/storage/testing';
import { createLmdbDriver } from './lmdb-driver.js';

const dir = mkdtempSync(join(tmpdir(), 'stoa-lmdb-contract-'));

describeStorageContract({
  name: 'lmdb',
  insertWithBatch: true,
  createDriver: () => Promise.resolve(createLmdbDriver({ path: dir })),
  afterAll: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
});
