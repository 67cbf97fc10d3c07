import { describe, expect, it } from 'vitest';
import type { Item } from '../contract.js';
import { StorageLimitError } from '../errors.js';
import { arr, b, collect, newPk, patterned, s, u32, type ContractContext } from './context.js';

/** The kit writes at most this much in one value, so backends with big limits stay fast to test. */
const MAX_TESTED_VALUE = 4 * 1024 * 1024;

export function describeLimits(ctx: ContractContext): void {
  describe('limits', () => {
    it('accepts a value of maxValueBytes (or 4 MiB if larger) unchanged', async () => {
      const app = ctx.app();
      const pk = newPk();
      const size = Math.min(app.limits.maxValueBytes, MAX_TESTED_VALUE);
      const value = patterned(size, 42);
      await app.put(pk, b(1), value);
      const got = await app.get(pk, b(1));
      expect(got!.length).toBe(size);
      expect(Buffer.compare(got!, value)).toBe(0);
    }, 60_000);

    it('accepts a value of exactly maxValueBytes through conditional ops when within 4 MiB', async () => {
      const app = ctx.app();
      const pk = newPk();
      const size = Math.min(app.limits.maxValueBytes, MAX_TESTED_VALUE);
      const value = patterned(size, 7);
      expect(await app.insertIfNotExists(pk, b(1), value)).toBe(true);
      expect(await app.compareAndSwap(pk, b(1), value, s('small'))).toBe(true);
      expect(arr(await app.get(pk, b(1)))).toEqual(arr(s('small')));
    }, 60_000);

    it('refuses maxValueBytes + 1 with StorageLimitError and writes nothing', async () => {
      const app = ctx.app();
      const pk = newPk();
      const tooBig = new Uint8Array(app.limits.maxValueBytes + 1);
      await expect(app.put(pk, b(1), tooBig)).rejects.toBeInstanceOf(StorageLimitError);
      await expect(app.insertIfNotExists(pk, b(2), tooBig)).rejects.toBeInstanceOf(StorageLimitError);
      await app.put(pk, b(3), s('current'));
      await expect(app.compareAndSwap(pk, b(3), s('current'), tooBig)).rejects.toBeInstanceOf(StorageLimitError);
      await expect(
        app.putBatch([
          { pk, ck: b(4), value: s('fine') },
          { pk, ck: b(5), value: tooBig },
        ]),
      ).rejects.toBeInstanceOf(StorageLimitError);
      expect(await app.getBatch([1, 2, 4, 5].map((i) => ({ pk, ck: b(i) })))).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      expect(arr(await app.get(pk, b(3)))).toEqual(arr(s('current')));
      const err = await app.put(pk, b(1), tooBig).catch((e: unknown) => e);
      expect((err as StorageLimitError).data).toMatchObject({
        what: 'value',
        size: tooBig.length,
        limit: app.limits.maxValueBytes,
      });
    }, 60_000);

    it('accepts partition and clustering keys of maxKeyBytes together', async () => {
      const app = ctx.app();
      const pk = patterned(app.limits.maxKeyBytes, Date.now() % 100_000);
      const ck = patterned(app.limits.maxKeyBytes, 3);
      await app.put(pk, ck, s('long keys'));
      expect(arr(await app.get(pk, ck))).toEqual(arr(s('long keys')));
      expect((await collect(() => app.read(pk))).length).toBe(1);
    });

    it('refuses keys longer than maxKeyBytes with StorageLimitError and writes nothing', async () => {
      const app = ctx.app();
      const pk = newPk();
      const long = new Uint8Array(app.limits.maxKeyBytes + 1).fill(0x41);
      await expect(app.put(long, b(1), s('x'))).rejects.toBeInstanceOf(StorageLimitError);
      await expect(app.put(pk, long, s('x'))).rejects.toBeInstanceOf(StorageLimitError);
      await expect(app.insertIfNotExists(pk, long, s('x'))).rejects.toBeInstanceOf(StorageLimitError);
      await expect(
        app.putBatch([
          { pk, ck: b(1), value: s('x') },
          { pk, ck: long, value: s('x') },
        ]),
      ).rejects.toBeInstanceOf(StorageLimitError);
      expect(await app.get(pk, b(1))).toBeUndefined();
      expect(await collect(() => app.read(pk))).toEqual([]);
    });

    it('refuses a batch over maxBatchItems with StorageLimitError and writes nothing', async () => {
      const app = ctx.app();
      const pk = newPk();
      const n = app.limits.maxBatchItems + 1;
      const items: Item[] = Array.from({ length: n }, (_, i) => ({ pk, ck: u32(i), value: b(1) }));
      await expect(app.putBatch(items)).rejects.toBeInstanceOf(StorageLimitError);
      await expect(app.getBatch(items.map(({ ck }) => ({ pk, ck })))).rejects.toBeInstanceOf(StorageLimitError);
      expect(await app.get(pk, u32(0))).toBeUndefined();
      expect(await collect(() => app.read(pk, undefined, undefined, { limit: 1 }))).toEqual([]);
    }, 60_000);
  });
}
