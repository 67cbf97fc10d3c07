import { describe, expect, it } from 'vitest';
import { StorageNotFoundError } from '../errors.js';
import { MISSING_APP, arr, b, newPk, s, type ContractContext } from './context.js';

export function describePointOps(ctx: ContractContext): void {
  describe('point operations', () => {
    it('states sane limits, the same on the driver and its apps', () => {
      const { limits } = ctx.driver();
      for (const n of [limits.maxValueBytes, limits.maxKeyBytes, limits.maxBatchItems]) {
        expect(Number.isInteger(n) && n > 0).toBe(true);
      }
      expect(['all', 'per-partition', 'none']).toContain(limits.batchAtomicity);
      expect(ctx.app().limits).toEqual(limits);
      expect(ctx.driver().name).toMatch(/^[a-z][a-z0-9-]*$/);
    });

    it('get of an absent key is undefined', async () => {
      expect(await ctx.app().get(newPk(), s('nothing'))).toBeUndefined();
    });

    it('put then get round-trips the value; put overwrites', async () => {
      const app = ctx.app();
      const pk = newPk();
      await app.put(pk, s('k'), s('v1'));
      expect(arr(await app.get(pk, s('k')))).toEqual(arr(s('v1')));
      await app.put(pk, s('k'), s('second value'));
      expect(arr(await app.get(pk, s('k')))).toEqual(arr(s('second value')));
    });

    it('stores an empty value, distinct from an absent one', async () => {
      const app = ctx.app();
      const pk = newPk();
      await app.put(pk, s('empty'), new Uint8Array(0));
      const got = await app.get(pk, s('empty'));
      expect(got).toBeInstanceOf(Uint8Array);
      expect(got!.length).toBe(0);
    });

    it('stores every byte value unchanged', async () => {
      const app = ctx.app();
      const pk = newPk();
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      await app.put(pk, b(0), all);
      expect(arr(await app.get(pk, b(0)))).toEqual(arr(all));
    });

    it('accepts an empty clustering key, distinct from other keys', async () => {
      const app = ctx.app();
      const pk = newPk();
      await app.put(pk, new Uint8Array(0), s('root'));
      await app.put(pk, b(0), s('zero'));
      expect(arr(await app.get(pk, new Uint8Array(0)))).toEqual(arr(s('root')));
      expect(arr(await app.get(pk, b(0)))).toEqual(arr(s('zero')));
    });

    it('keys that are prefixes of each other are distinct, in partition and clustering keys', async () => {
      const app = ctx.app();
      const base = newPk();
      const longer = new Uint8Array([...base, 0]);
      await app.put(base, b(1), s('short pk'));
      await app.put(longer, b(1), s('long pk'));
      await app.put(base, b(1, 0), s('long ck'));
      expect(arr(await app.get(base, b(1)))).toEqual(arr(s('short pk')));
      expect(arr(await app.get(longer, b(1)))).toEqual(arr(s('long pk')));
      expect(arr(await app.get(base, b(1, 0)))).toEqual(arr(s('long ck')));
      // The partition-key boundary must not leak: pk [..] + ck [0, 1] vs pk [.., 0] + ck [1].
      expect(await app.get(base, b(0, 1))).toBeUndefined();
      expect(await app.get(longer, b(1, 0))).toBeUndefined();
    });

    it('does not alias buffers: caller may reuse inputs and own outputs', async () => {
      const app = ctx.app();
      const pk = newPk();
      const ck = s('alias');
      const value = s('original');
      await app.put(pk, ck, value);
      value.fill(0x21);
      ck.fill(0x21);
      const got = await app.get(pk, s('alias'));
      expect(arr(got)).toEqual(arr(s('original')));
      got!.fill(0x22);
      expect(arr(await app.get(pk, s('alias')))).toEqual(arr(s('original')));
      const [entry] = await collectRead(ctx, pk);
      entry!.value.fill(0x23);
      entry!.ck.fill(0x23);
      expect(arr(await app.get(pk, s('alias')))).toEqual(arr(s('original')));
    });

    it('a returned Uint8Array is exactly the value (no extra bytes in view)', async () => {
      const app = ctx.app();
      const pk = newPk();
      await app.put(pk, s('x'), s('abc'));
      const got = await app.get(pk, s('x'));
      expect(got!.byteLength).toBe(3);
      expect(arr(new Uint8Array(got!.buffer, got!.byteOffset, got!.byteLength))).toEqual(arr(s('abc')));
    });

    it('openApp of an app never created throws StorageNotFoundError', async () => {
      await expect(ctx.driver().openApp(MISSING_APP)).rejects.toBeInstanceOf(StorageNotFoundError);
    });

    it('openApp twice gives storages over the same data; createApp again keeps data', async () => {
      const pk = newPk();
      await ctx.app().put(pk, s('k'), s('shared'));
      await ctx.driver().createApp('contract_a');
      const again = await ctx.driver().openApp('contract_a');
      expect(arr(await again.get(pk, s('k')))).toEqual(arr(s('shared')));
    });
  });
}

async function collectRead(ctx: ContractContext, pk: Uint8Array) {
  const out = [];
  for await (const e of ctx.app().read(pk)) out.push(e);
  return out;
}
