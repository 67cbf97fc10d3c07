import { describe, expect, it } from 'vitest';
import { arr, newPk, readU32, s, u32, type ContractContext } from './context.js';

export function describeConditional(ctx: ContractContext): void {
  describe('conditional operations', () => {
    it('insertIfNotExists writes only when absent', async () => {
      const app = ctx.app();
      const pk = newPk();
      expect(await app.insertIfNotExists(pk, s('k'), s('first'))).toBe(true);
      expect(await app.insertIfNotExists(pk, s('k'), s('second'))).toBe(false);
      expect(arr(await app.get(pk, s('k')))).toEqual(arr(s('first')));
    });

    it('insertIfNotExists fails over a value written by put, and works on an empty clustering key', async () => {
      const app = ctx.app();
      const pk = newPk();
      await app.put(pk, new Uint8Array(0), s('put'));
      expect(await app.insertIfNotExists(pk, new Uint8Array(0), s('ins'))).toBe(false);
      expect(await app.insertIfNotExists(pk, s('other'), new Uint8Array(0))).toBe(true);
      expect((await app.get(pk, s('other')))!.length).toBe(0);
    });

    it('compareAndSwap swaps only on an equal current value', async () => {
      const app = ctx.app();
      const pk = newPk();
      expect(await app.compareAndSwap(pk, s('k'), s('a'), s('b'))).toBe(false);
      expect(await app.get(pk, s('k'))).toBeUndefined();
      await app.put(pk, s('k'), s('a'));
      expect(await app.compareAndSwap(pk, s('k'), s('x'), s('b'))).toBe(false);
      expect(await app.compareAndSwap(pk, s('k'), s('a0'), s('b'))).toBe(false);
      expect(await app.compareAndSwap(pk, s('k'), new Uint8Array(0), s('b'))).toBe(false);
      expect(arr(await app.get(pk, s('k')))).toEqual(arr(s('a')));
      expect(await app.compareAndSwap(pk, s('k'), s('a'), s('b'))).toBe(true);
      expect(arr(await app.get(pk, s('k')))).toEqual(arr(s('b')));
    });

    it('compareAndSwap matches an empty value exactly', async () => {
      const app = ctx.app();
      const pk = newPk();
      await app.put(pk, s('k'), new Uint8Array(0));
      expect(await app.compareAndSwap(pk, s('k'), s('x'), s('y'))).toBe(false);
      expect(await app.compareAndSwap(pk, s('k'), new Uint8Array(0), s('y'))).toBe(true);
      expect(arr(await app.get(pk, s('k')))).toEqual(arr(s('y')));
    });

    it('compareAndDelete deletes only on an equal current value', async () => {
      const app = ctx.app();
      const pk = newPk();
      expect(await app.compareAndDelete(pk, s('k'), s('a'))).toBe(false);
      await app.put(pk, s('k'), s('a'));
      expect(await app.compareAndDelete(pk, s('k'), s('b'))).toBe(false);
      expect(arr(await app.get(pk, s('k')))).toEqual(arr(s('a')));
      expect(await app.compareAndDelete(pk, s('k'), s('a'))).toBe(true);
      expect(await app.get(pk, s('k'))).toBeUndefined();
      expect(await app.compareAndDelete(pk, s('k'), s('a'))).toBe(false);
      // A deleted key can be inserted again.
      expect(await app.insertIfNotExists(pk, s('k'), s('again'))).toBe(true);
    });

    it('N concurrent insertIfNotExists: exactly one winner, whose value is stored', async () => {
      const app = ctx.app();
      const pk = newPk();
      const n = ctx.concurrency;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => app.insertIfNotExists(pk, s('race'), s(`writer-${i}`))),
      );
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners.length).toBe(1);
      expect(arr(await app.get(pk, s('race')))).toEqual(arr(s(`writer-${winners[0]!}`)));
    }, 120_000);

    it('N concurrent compareAndSwap from the same value: exactly one winner', async () => {
      const app = ctx.app();
      const pk = newPk();
      await app.put(pk, s('k'), s('base'));
      const n = ctx.concurrency;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => app.compareAndSwap(pk, s('k'), s('base'), s(`w${i}`))),
      );
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      expect(winners.length).toBe(1);
      expect(arr(await app.get(pk, s('k')))).toEqual(arr(s(`w${winners[0]!}`)));
    }, 120_000);

    it('N concurrent compareAndDelete: exactly one winner', async () => {
      const app = ctx.app();
      const pk = newPk();
      await app.put(pk, s('k'), s('doomed'));
      const results = await Promise.all(
        Array.from({ length: ctx.concurrency }, () => app.compareAndDelete(pk, s('k'), s('doomed'))),
      );
      expect(results.filter(Boolean).length).toBe(1);
      expect(await app.get(pk, s('k'))).toBeUndefined();
    }, 120_000);

    it('concurrent compare-and-swap increments never lose an update', async () => {
      const app = ctx.app();
      const pk = newPk();
      const ck = s('counter');
      await app.put(pk, ck, u32(0));
      const workers = ctx.concurrency;
      const perWorker = 3;
      let attempts = 0;
      const increment = async (): Promise<void> => {
        for (let tries = 0; tries < 10_000; tries++) {
          attempts++;
          const current = await app.get(pk, ck);
          if (await app.compareAndSwap(pk, ck, current!, u32(readU32(current!) + 1))) return;
        }
        throw new Error('increment did not succeed in 10 000 tries');
      };
      await Promise.all(
        Array.from({ length: workers }, async () => {
          for (let i = 0; i < perWorker; i++) await increment();
        }),
      );
      expect(readU32((await app.get(pk, ck))!)).toBe(workers * perWorker);
      expect(attempts).toBeGreaterThanOrEqual(workers * perWorker);
    }, 180_000);

    it('concurrent insertIfNotExists on distinct keys all succeed', async () => {
      const app = ctx.app();
      const pk = newPk();
      const n = ctx.concurrency;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => app.insertIfNotExists(pk, u32(i), u32(i))));
      expect(results.every(Boolean)).toBe(true);
      const got = await app.getBatch(Array.from({ length: n }, (_, i) => ({ pk, ck: u32(i) })));
      expect(got.map((v) => readU32(v!))).toEqual(Array.from({ length: n }, (_, i) => i));
    }, 120_000);
  });
}
