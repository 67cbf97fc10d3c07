import { describe, expect, it } from 'vitest';
import type { StorageLimits } from './contract.js';
import { StorageArgumentError, StorageLimitError } from './errors.js';
import {
  MAX_TTL_SECONDS,
  checkBatch,
  checkKey,
  checkKeys,
  checkRead,
  checkSafeName,
  checkTtl,
  checkValue,
  dedupeBatch,
  remainingTtlSeconds,
} from './validate.js';

const limits: StorageLimits = { maxValueBytes: 10, maxKeyBytes: 4, maxBatchItems: 2, batchAtomicity: 'all' };
const b = (...x: number[]) => Uint8Array.from(x);

describe('validate', () => {
  it('checks key sizes and types', () => {
    expect(() => checkKey(limits, b(1, 2, 3, 4), b(1, 2, 3, 4))).not.toThrow();
    expect(() => checkKey(limits, b(1, 2, 3, 4, 5), b())).toThrow(StorageLimitError);
    expect(() => checkKey(limits, b(1), b(1, 2, 3, 4, 5))).toThrow(/clustering key of 5 bytes exceeds the limit of 4/);
    expect(() => checkKey(limits, b(), b(1))).toThrow(StorageArgumentError);
    expect(() => checkKey(limits, 'x', b(1))).toThrow(/partition key must be a Uint8Array, got string/);
  });

  it('checks values', () => {
    expect(() => checkValue(limits, new Uint8Array(10))).not.toThrow();
    expect(() => checkValue(limits, new Uint8Array(11))).toThrow(StorageLimitError);
    expect(() => checkValue(limits, [1])).toThrow(/value must be a Uint8Array, got Array/);
  });

  it('checks TTLs', () => {
    expect(checkTtl(undefined)).toBe(0);
    expect(checkTtl(0)).toBe(0);
    expect(checkTtl(MAX_TTL_SECONDS)).toBe(MAX_TTL_SECONDS);
    for (const bad of [-1, 1.5, Number.NaN, Infinity, MAX_TTL_SECONDS + 1, '1', null]) {
      expect(() => checkTtl(bad)).toThrow(StorageArgumentError);
    }
  });

  it('checks read options and detects empty ranges', () => {
    expect(checkRead(limits, b(1), undefined, undefined, undefined)).toEqual({
      limit: undefined,
      reverse: false,
      empty: false,
    });
    expect(checkRead(limits, b(1), b(2), b(2), { reverse: true, limit: 1 })).toEqual({
      limit: 1,
      reverse: true,
      empty: true,
    });
    expect(checkRead(limits, b(1), b(3), b(2), undefined).empty).toBe(true);
    expect(checkRead(limits, b(1), undefined, b(), undefined).empty).toBe(true);
    expect(checkRead(limits, b(1), b(), b(0), undefined).empty).toBe(false);
    // Bounds may be longer than maxKeyBytes: they still order correctly.
    expect(checkRead(limits, b(1), new Uint8Array(9), undefined, undefined).empty).toBe(false);
    for (const limit of [0, -1, 2.5, Number.NaN]) {
      expect(() => checkRead(limits, b(1), undefined, undefined, { limit })).toThrow(StorageArgumentError);
    }
  });

  it('checks batches before anything is written', () => {
    expect(() => checkBatch(limits, [{ pk: b(1), ck: b(), value: b() }])).not.toThrow();
    const item = { pk: b(1), ck: b(), value: b() };
    expect(() => checkBatch(limits, [item, item, item])).toThrow(/batch of 3 items exceeds the limit of 2/);
    expect(() => checkBatch(limits, [{ pk: b(1), ck: b(), value: new Uint8Array(11) }])).toThrow(StorageLimitError);
    expect(() => checkBatch(limits, 'nope')).toThrow(StorageArgumentError);
    expect(() => checkBatch(limits, [null])).toThrow(StorageArgumentError);
    expect(() => checkKeys(limits, [{ pk: b(1), ck: 'x' }])).toThrow(StorageArgumentError);
  });

  it('dedupeBatch keeps the last item per key at its first position', () => {
    const out = dedupeBatch([
      { pk: b(1), ck: b(1), value: b(1) },
      { pk: b(1), ck: b(2), value: b(2) },
      { pk: b(1), ck: b(1), value: b(3) },
      { pk: b(1, 1), ck: b(), value: b(4) },
    ]);
    expect(out.map((i) => i.value[0])).toEqual([3, 2, 4]);
  });

  it('checks safe names', () => {
    for (const ok of ['sys_meta', 'contract_a', 'local_todo_0a1b2c3d', 'a'.repeat(48)])
      expect(() => checkSafeName(ok)).not.toThrow();
    for (const bad of ['ab', '1abc', 'Abc', 'a-b', 'a'.repeat(49), 'a/b', '']) {
      expect(() => checkSafeName(bad)).toThrow(StorageArgumentError);
    }
  });

  it('reports remaining TTL in whole seconds rounded up', () => {
    expect(remainingTtlSeconds(0, 1000)).toBeUndefined();
    expect(remainingTtlSeconds(11_000, 1000)).toBe(10);
    expect(remainingTtlSeconds(10_001, 1000)).toBe(10);
    expect(remainingTtlSeconds(1001, 1000)).toBe(1);
  });
});
