import { beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../contract.js';
import { arr, b, collect, newPk, patterned, putAll, readCks, s, u32, type ContractContext } from './context.js';

export function describeRanges(ctx: ContractContext): void {
  describe('ranges', () => {
    // cks [0] .. [9] plus [3, 5] between [3] and [4].
    const pk = newPk('range');
    const cks = [...Array.from({ length: 10 }, (_, i) => [i]), [3, 5]];
    const sorted = [[0], [1], [2], [3], [3, 5], [4], [5], [6], [7], [8], [9]];

    beforeAll(async () => {
      await ctx.app().putBatch(cks.map((ck) => ({ pk, ck: Uint8Array.from(ck), value: s(`v${ck.join('.')}`) })));
    });

    it('reads the whole partition in ascending order with values', async () => {
      const entries = await collect(() => ctx.app().read(pk));
      expect(entries.map((e) => Array.from(e.ck))).toEqual(sorted);
      expect(entries.map((e) => new TextDecoder().decode(e.value))).toEqual(sorted.map((c) => `v${c.join('.')}`));
    });

    it('is half-open: fromCk included, toCk excluded', async () => {
      expect(await readCks(ctx.app(), pk, b(3), b(6))).toEqual([[3], [3, 5], [4], [5]]);
    });

    it('open start and open end', async () => {
      expect(await readCks(ctx.app(), pk, undefined, b(2))).toEqual([[0], [1]]);
      expect(await readCks(ctx.app(), pk, b(8))).toEqual([[8], [9]]);
    });

    it('bounds that fall between stored keys', async () => {
      expect(await readCks(ctx.app(), pk, b(3, 0), b(4, 0))).toEqual([[3, 5], [4]]);
      expect(await readCks(ctx.app(), pk, b(9, 0))).toEqual([]);
      expect(await readCks(ctx.app(), pk, undefined, b(0))).toEqual([]);
    });

    it('fromCk >= toCk yields nothing; an empty toCk yields nothing', async () => {
      expect(await readCks(ctx.app(), pk, b(5), b(5))).toEqual([]);
      expect(await readCks(ctx.app(), pk, b(7), b(3))).toEqual([]);
      expect(await readCks(ctx.app(), pk, undefined, new Uint8Array(0))).toEqual([]);
      expect(await readCks(ctx.app(), pk, b(7), b(3), { reverse: true })).toEqual([]);
    });

    it('an empty fromCk starts at the first key', async () => {
      expect(await readCks(ctx.app(), pk, new Uint8Array(0), b(1))).toEqual([[0]]);
    });

    it('an absent partition yields nothing', async () => {
      expect(await readCks(ctx.app(), newPk('absent'))).toEqual([]);
      expect(await readCks(ctx.app(), newPk('absent'), undefined, undefined, { reverse: true })).toEqual([]);
    });

    it('limit caps the entries', async () => {
      expect(await readCks(ctx.app(), pk, undefined, undefined, { limit: 3 })).toEqual([[0], [1], [2]]);
      expect(await readCks(ctx.app(), pk, b(3), b(9), { limit: 2 })).toEqual([[3], [3, 5]]);
      expect(await readCks(ctx.app(), pk, b(8), undefined, { limit: 100 })).toEqual([[8], [9]]);
      expect(await readCks(ctx.app(), pk, undefined, undefined, { limit: 1 })).toEqual([[0]]);
    });

    it('reverse walks the same range from its end', async () => {
      expect(await readCks(ctx.app(), pk, undefined, undefined, { reverse: true })).toEqual([...sorted].reverse());
      expect(await readCks(ctx.app(), pk, b(3), b(6), { reverse: true })).toEqual([[5], [4], [3, 5], [3]]);
      expect(await readCks(ctx.app(), pk, undefined, b(2), { reverse: true })).toEqual([[1], [0]]);
      expect(await readCks(ctx.app(), pk, b(8), undefined, { reverse: true })).toEqual([[9], [8]]);
      expect(await readCks(ctx.app(), pk, b(3, 0), b(4, 0), { reverse: true })).toEqual([[4], [3, 5]]);
    });

    it('reverse with limit takes from the end', async () => {
      expect(await readCks(ctx.app(), pk, undefined, undefined, { reverse: true, limit: 2 })).toEqual([[9], [8]]);
      expect(await readCks(ctx.app(), pk, b(2), b(5), { reverse: true, limit: 3 })).toEqual([[4], [3, 5], [3]]);
    });

    it('an early break stops the iteration cleanly', async () => {
      const seen: number[][] = [];
      for await (const e of ctx.app().read(pk)) {
        seen.push(Array.from(e.ck));
        if (seen.length === 2) break;
      }
      expect(seen).toEqual([[0], [1]]);
      // The storage still works after an abandoned iterator.
      expect(await readCks(ctx.app(), pk, b(9))).toEqual([[9]]);
    });

    it('reads only the given partition, never a neighbour', async () => {
      const app = ctx.app();
      const p = newPk('nb');
      const longer = new Uint8Array([...p, 0x00]);
      const next = new Uint8Array([...p.subarray(0, p.length - 1), p[p.length - 1]! + 1]);
      await app.putBatch([
        { pk: p, ck: b(1), value: s('mine') },
        { pk: longer, ck: b(0), value: s('longer') },
        { pk: next, ck: b(0), value: s('next') },
      ]);
      expect(await readCks(app, p)).toEqual([[1]]);
      expect(await readCks(app, p, undefined, undefined, { reverse: true })).toEqual([[1]]);
      expect(await readCks(app, longer)).toEqual([[0]]);
    });

    it('reads ranges larger than one backend page (≈1.5 MB), in both directions', async () => {
      const app = ctx.app();
      const big = newPk('big');
      const n = 1500;
      const size = Math.min(1024, app.limits.maxValueBytes);
      const items: Item[] = Array.from({ length: n }, (_, i) => ({
        pk: big,
        ck: u32(i),
        value: patterned(size, i + 1),
      }));
      await putAll(app, items);
      const all = await collect(() => app.read(big));
      expect(all.length).toBe(n);
      all.forEach((e, i) => expect(arr(e.ck)).toEqual(arr(u32(i))));
      expect(arr(all[777]!.value)).toEqual(arr(items[777]!.value));
      const rev = await collect(() => app.read(big, u32(100), undefined, { reverse: true }));
      expect(rev.length).toBe(n - 100);
      expect(arr(rev[0]!.ck)).toEqual(arr(u32(n - 1)));
      expect(arr(rev[rev.length - 1]!.ck)).toEqual(arr(u32(100)));
      const limited = await collect(() => app.read(big, u32(10), undefined, { limit: 1200 }));
      expect(limited.length).toBe(1200);
      expect(arr(limited[1199]!.ck)).toEqual(arr(u32(1209)));
    }, 120_000);
  });
}
