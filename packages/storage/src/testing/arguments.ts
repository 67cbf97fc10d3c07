import { describe, expect, it } from 'vitest';
import type { Bytes, ReadOptions } from '../contract.js';
import { StorageArgumentError } from '../errors.js';
import { b, collect, newPk, s, type ContractContext } from './context.js';

const notBytes = ['text', 42, null, undefined, [1, 2], { length: 1 }] as unknown as Bytes[];

export function describeArguments(ctx: ContractContext): void {
  describe('argument validation', () => {
    it('refuses keys and values that are not Uint8Array', async () => {
      const app = ctx.app();
      const pk = newPk();
      for (const bad of notBytes) {
        await expect(app.put(bad, b(1), s('v'))).rejects.toBeInstanceOf(StorageArgumentError);
        await expect(app.put(pk, bad, s('v'))).rejects.toBeInstanceOf(StorageArgumentError);
        await expect(app.put(pk, b(1), bad)).rejects.toBeInstanceOf(StorageArgumentError);
        await expect(app.get(bad, b(1))).rejects.toBeInstanceOf(StorageArgumentError);
        await expect(app.insertIfNotExists(pk, bad, s('v'))).rejects.toBeInstanceOf(StorageArgumentError);
        await expect(app.compareAndSwap(pk, b(1), bad, s('v'))).rejects.toBeInstanceOf(StorageArgumentError);
        await expect(app.compareAndDelete(pk, b(1), bad)).rejects.toBeInstanceOf(StorageArgumentError);
        await expect(app.putBatch([{ pk, ck: b(1), value: bad }])).rejects.toBeInstanceOf(StorageArgumentError);
        await expect(app.getBatch([{ pk, ck: bad }])).rejects.toBeInstanceOf(StorageArgumentError);
        await expect(collect(() => app.read(bad))).rejects.toBeInstanceOf(StorageArgumentError);
        if (bad !== undefined) {
          await expect(collect(() => app.read(pk, bad))).rejects.toBeInstanceOf(StorageArgumentError);
          await expect(collect(() => app.ttlRead(pk, undefined, bad))).rejects.toBeInstanceOf(StorageArgumentError);
        }
      }
      expect(await collect(() => app.read(pk))).toEqual([]);
    });

    it('accepts Buffer (a Uint8Array subclass) and subarray views', async () => {
      const app = ctx.app();
      const pk = newPk();
      const backing = Uint8Array.from([9, 9, 1, 2, 3, 9]);
      await app.put(Buffer.from(pk), Buffer.from([1]), backing.subarray(2, 5));
      expect(Array.from((await app.get(pk, b(1)))!)).toEqual([1, 2, 3]);
    });

    it('refuses an empty partition key', async () => {
      const app = ctx.app();
      const empty = new Uint8Array(0);
      await expect(app.put(empty, b(1), s('v'))).rejects.toBeInstanceOf(StorageArgumentError);
      await expect(app.get(empty, b(1))).rejects.toBeInstanceOf(StorageArgumentError);
      await expect(collect(() => app.read(empty))).rejects.toBeInstanceOf(StorageArgumentError);
    });

    it('refuses negative, fractional, NaN and infinite TTLs', async () => {
      const app = ctx.app();
      const pk = newPk();
      await app.put(pk, b(2), s('cur'));
      for (const ttl of [-1, 0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
        await expect(app.insertIfNotExists(pk, b(1), s('v'), ttl)).rejects.toBeInstanceOf(StorageArgumentError);
        await expect(app.compareAndSwap(pk, b(2), s('cur'), s('v'), ttl)).rejects.toBeInstanceOf(StorageArgumentError);
      }
      expect(await app.get(pk, b(1))).toBeUndefined();
      expect(Array.from((await app.get(pk, b(2)))!)).toEqual(Array.from(s('cur')));
    });

    it('refuses read limits that are not positive integers', async () => {
      const app = ctx.app();
      const pk = newPk();
      for (const limit of [0, -1, 1.5, Number.NaN, '3' as unknown as number]) {
        const options: ReadOptions = { limit };
        await expect(collect(() => app.read(pk, undefined, undefined, options))).rejects.toBeInstanceOf(
          StorageArgumentError,
        );
        await expect(collect(() => app.ttlRead(pk, undefined, undefined, options))).rejects.toBeInstanceOf(
          StorageArgumentError,
        );
      }
    });
  });
}
