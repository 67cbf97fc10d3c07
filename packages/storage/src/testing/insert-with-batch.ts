import { describe, expect, it } from 'vitest';
import type { AppStorage, Item } from '../contract.js';
import { StorageArgumentError, StorageLimitError } from '../errors.js';
import { arr, b, newPk, s, u32, type ContractContext } from './context.js';

type WithBatch = Required<Pick<AppStorage, 'insertIfNotExistsWithBatch'>> & AppStorage;

/** The app, whose backend declared the optional capability (checked by the first test). */
function capable(ctx: ContractContext): WithBatch {
  const app = ctx.app();
  expect(typeof app.insertIfNotExistsWithBatch).toBe('function');
  return app as WithBatch;
}

/**
 * The optional `insertIfNotExistsWithBatch` capability. A target declares whether its backend
 * offers it (`ContractTarget.insertWithBatch`): then its behaviour is tested; else that the method
 * is absent, so callers take the two-step path instead of calling something half there.
 */
export function describeInsertWithBatch(ctx: ContractContext, offered: boolean): void {
  if (!offered) {
    it('leaves the optional insertIfNotExistsWithBatch out (callers write in two steps)', () => {
      expect(typeof ctx.app().insertIfNotExistsWithBatch).toBe('undefined');
    });
    return;
  }
  describe('insertIfNotExistsWithBatch (optional)', () => {
    it('writes the conditional item and every batch item when the key is absent', async () => {
      const app = capable(ctx);
      const pk = newPk();
      const other = newPk('other');
      const items: Item[] = [
        { pk, ck: b(2), value: s('two') },
        { pk: other, ck: new Uint8Array(0), value: s('root') },
        { pk, ck: b(2), value: s('two-later') },
      ];
      expect(await app.insertIfNotExistsWithBatch(pk, b(1), s('row'), items)).toBe(true);
      const got = await app.getBatch([
        { pk, ck: b(1) },
        { pk, ck: b(2) },
        { pk: other, ck: new Uint8Array(0) },
      ]);
      expect(got.map(arr)).toEqual([arr(s('row')), arr(s('two-later')), arr(s('root'))]);
    });

    it('writes nothing when the key is taken', async () => {
      const app = capable(ctx);
      const pk = newPk();
      await app.put(pk, b(1), s('first'));
      expect(await app.insertIfNotExistsWithBatch(pk, b(1), s('second'), [{ pk, ck: b(2), value: s('x') }])).toBe(
        false,
      );
      expect(arr(await app.get(pk, b(1)))).toEqual(arr(s('first')));
      expect(await app.get(pk, b(2))).toBeUndefined();
    });

    it('accepts an empty batch (a plain conditional insert)', async () => {
      const app = capable(ctx);
      const pk = newPk();
      expect(await app.insertIfNotExistsWithBatch(pk, b(1), s('only'), [])).toBe(true);
      expect(await app.insertIfNotExistsWithBatch(pk, b(1), s('again'), [])).toBe(false);
      expect(arr(await app.get(pk, b(1)))).toEqual(arr(s('only')));
    });

    it('N concurrent calls for one key: exactly one winner, and only its batch is written', async () => {
      const app = capable(ctx);
      const pk = newPk();
      const n = ctx.concurrency;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          app.insertIfNotExistsWithBatch(pk, s('race'), u32(i), [{ pk, ck: u32(1000 + i), value: u32(i) }]),
        ),
      );
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners.length).toBe(1);
      expect(arr(await app.get(pk, s('race')))).toEqual(arr(u32(winners[0]!)));
      const batch = await app.getBatch(Array.from({ length: n }, (_, i) => ({ pk, ck: u32(1000 + i) })));
      expect(batch.flatMap((v, i) => (v === undefined ? [] : [i]))).toEqual(winners);
    }, 120_000);

    it('counts as items.length + 1 against maxBatchItems and refuses bad items before writing', async () => {
      const app = capable(ctx);
      const pk = newPk();
      const full: Item[] = Array.from({ length: app.limits.maxBatchItems }, (_, i) => ({
        pk,
        ck: u32(i + 10),
        value: b(1),
      }));
      await expect(app.insertIfNotExistsWithBatch(pk, b(1), s('row'), full)).rejects.toBeInstanceOf(StorageLimitError);
      const tooBig = new Uint8Array(app.limits.maxValueBytes + 1);
      await expect(
        app.insertIfNotExistsWithBatch(pk, b(1), s('row'), [{ pk, ck: b(2), value: tooBig }]),
      ).rejects.toBeInstanceOf(StorageLimitError);
      await expect(
        app.insertIfNotExistsWithBatch(pk, b(1), s('row'), [{ pk: new Uint8Array(0), ck: b(2), value: b(1) }]),
      ).rejects.toBeInstanceOf(StorageArgumentError);
      expect(await app.get(pk, b(1))).toBeUndefined();
      expect(await app.get(pk, u32(10))).toBeUndefined();
    });
  });
}
