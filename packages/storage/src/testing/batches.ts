import { describe, expect, it } from 'vitest';
import type { Item, Key } from '../contract.js';
import { arr, b, newPk, patterned, s, u32, type ContractContext } from './context.js';

export function describeBatches(ctx: ContractContext): void {
  describe('batches', () => {
    it('putBatch writes items across partitions; getBatch returns them in key order', async () => {
      const app = ctx.app();
      const p1 = newPk('p1');
      const p2 = newPk('p2');
      const items: Item[] = [
        { pk: p1, ck: b(1), value: s('one') },
        { pk: p2, ck: b(2), value: s('two') },
        { pk: p1, ck: new Uint8Array(0), value: s('root') },
      ];
      await app.putBatch(items);
      const keys: Key[] = [
        { pk: p2, ck: b(2) },
        { pk: p1, ck: b(9) },
        { pk: p1, ck: b(1) },
        { pk: p1, ck: new Uint8Array(0) },
        { pk: p2, ck: b(2) },
      ];
      const got = await app.getBatch(keys);
      expect(got.map(arr)).toEqual([arr(s('two')), undefined, arr(s('one')), arr(s('root')), arr(s('two'))]);
    });

    it('empty batches are no-ops', async () => {
      const app = ctx.app();
      await app.putBatch([]);
      expect(await app.getBatch([])).toEqual([]);
    });

    it('a later item for the same key wins within one batch', async () => {
      const app = ctx.app();
      const pk = newPk();
      // 'zz' > 'aa' byte-wise: a backend breaking ties by value would keep 'zz'.
      await app.putBatch([
        { pk, ck: b(1), value: s('zz') },
        { pk, ck: b(2), value: s('x') },
        { pk, ck: b(1), value: s('aa') },
      ]);
      expect(
        (
          await app.getBatch([
            { pk, ck: b(1) },
            { pk, ck: b(2) },
          ])
        ).map(arr),
      ).toEqual([arr(s('aa')), arr(s('x'))]);
    });

    it('putBatch overwrites existing values', async () => {
      const app = ctx.app();
      const pk = newPk();
      await app.put(pk, b(1), s('old'));
      await app.putBatch([{ pk, ck: b(1), value: s('new') }]);
      expect(arr(await app.get(pk, b(1)))).toEqual(arr(s('new')));
    });

    it('accepts a batch of exactly maxBatchItems items, and getBatch of as many keys', async () => {
      const app = ctx.app();
      const n = Math.min(app.limits.maxBatchItems, 10_000);
      const pk = newPk();
      const items: Item[] = Array.from({ length: n }, (_, i) => ({ pk, ck: u32(i), value: patterned(16, i + 1) }));
      await app.putBatch(items);
      const got = await app.getBatch(items.map(({ pk: p, ck }) => ({ pk: p, ck })));
      expect(got.length).toBe(n);
      for (let i = 0; i < n; i += Math.max(1, Math.floor(n / 50))) expect(arr(got[i])).toEqual(arr(items[i]!.value));
      expect(arr(got[n - 1])).toEqual(arr(items[n - 1]!.value));
    }, 120_000);

    it('does not alias batch buffers', async () => {
      const app = ctx.app();
      const pk = newPk();
      const value = s('batch-original');
      await app.putBatch([{ pk, ck: b(7), value }]);
      value.fill(0);
      const [got] = await app.getBatch([{ pk, ck: b(7) }]);
      expect(arr(got)).toEqual(arr(s('batch-original')));
      got!.fill(1);
      expect(arr(await app.get(pk, b(7)))).toEqual(arr(s('batch-original')));
    });
  });
}
