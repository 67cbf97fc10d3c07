import { describe, expect, it } from 'vitest';
import { arr, collect, newPk, s, sleep, type ContractContext } from './context.js';

export function describeTtl(ctx: ContractContext): void {
  describe('TTL', () => {
    it('ttlGet reports whole remaining seconds; undefined for no TTL and for absent keys', async () => {
      const app = ctx.app();
      const pk = newPk();
      expect(await app.insertIfNotExists(pk, s('t'), s('v'), 100)).toBe(true);
      await app.put(pk, s('plain'), s('p'));
      const got = await app.ttlGet(pk, s('t'));
      expect(arr(got?.value)).toEqual(arr(s('v')));
      expect(Number.isInteger(got!.ttlSeconds)).toBe(true);
      expect(got!.ttlSeconds).toBeGreaterThanOrEqual(95);
      expect(got!.ttlSeconds).toBeLessThanOrEqual(100);
      const plain = await app.ttlGet(pk, s('plain'));
      expect(arr(plain?.value)).toEqual(arr(s('p')));
      expect(plain!.ttlSeconds).toBeUndefined();
      expect(await app.ttlGet(pk, s('absent'))).toBeUndefined();
      // ttlSeconds 0 means no expiry.
      expect(await app.insertIfNotExists(pk, s('zero'), s('z'), 0)).toBe(true);
      expect((await app.ttlGet(pk, s('zero')))!.ttlSeconds).toBeUndefined();
    });

    it('ttlRead reports entries with their TTLs, honouring range options', async () => {
      const app = ctx.app();
      const pk = newPk();
      await app.put(pk, s('a'), s('1'));
      expect(await app.insertIfNotExists(pk, s('b'), s('2'), 50)).toBe(true);
      await app.put(pk, s('c'), s('3'));
      expect(await app.compareAndSwap(pk, s('c'), s('3'), s('33'), 70)).toBe(true);
      const all = await collect(() => app.ttlRead(pk));
      expect(all.map((e) => [new TextDecoder().decode(e.ck), new TextDecoder().decode(e.value)])).toEqual([
        ['a', '1'],
        ['b', '2'],
        ['c', '33'],
      ]);
      expect(all[0]!.ttlSeconds).toBeUndefined();
      expect(all[1]!.ttlSeconds).toBeGreaterThanOrEqual(45);
      expect(all[1]!.ttlSeconds).toBeLessThanOrEqual(50);
      expect(all[2]!.ttlSeconds).toBeGreaterThanOrEqual(65);
      expect(all[2]!.ttlSeconds).toBeLessThanOrEqual(70);
      const rev = await collect(() => app.ttlRead(pk, s('a'), s('c'), { reverse: true, limit: 1 }));
      expect(rev.map((e) => Array.from(e.ck))).toEqual([Array.from(s('b'))]);
    });

    it('expired entries vanish from every read; a write without TTL clears the TTL', async () => {
      const app = ctx.app();
      const pk = newPk();
      const k = (name: string) => s(name);
      // Short-lived entries written by both TTL-capable operations.
      await app.put(pk, k('cas'), s('x'));
      const [ins, cas] = await Promise.all([
        app.insertIfNotExists(pk, k('ins'), s('short'), 1),
        app.compareAndSwap(pk, k('cas'), s('x'), s('y'), 1),
        app.insertIfNotExists(pk, k('del'), s('d'), 1),
        app.insertIfNotExists(pk, k('cleared-put'), s('c1'), 1),
        app.insertIfNotExists(pk, k('cleared-cas'), s('c2'), 1),
        app.insertIfNotExists(pk, k('long'), s('stays'), 100),
      ]);
      expect(ins && cas).toBe(true);
      await app.put(pk, k('cleared-put'), s('c1-new'));
      expect(await app.compareAndSwap(pk, k('cleared-cas'), s('c2'), s('c2-new'))).toBe(true);
      expect(await app.ttlGet(pk, k('cleared-put'))).toEqual({
        value: expect.anything() as unknown,
        ttlSeconds: undefined,
      });
      expect((await app.ttlGet(pk, k('cleared-cas')))!.ttlSeconds).toBeUndefined();

      // Visible before expiry.
      expect(arr(await app.get(pk, k('ins')))).toEqual(arr(s('short')));
      expect(arr((await app.getBatch([{ pk, ck: k('cas') }]))[0])).toEqual(arr(s('y')));
      expect((await app.ttlGet(pk, k('ins')))!.ttlSeconds).toBe(1);

      await sleep(ctx.ttlWaitSeconds * 1000);

      // Invisible to every read after expiry.
      expect(await app.get(pk, k('ins'))).toBeUndefined();
      expect(await app.ttlGet(pk, k('ins'))).toBeUndefined();
      expect(
        await app.getBatch([
          { pk, ck: k('ins') },
          { pk, ck: k('cas') },
        ]),
      ).toEqual([undefined, undefined]);
      const names = (entries: { ck: Uint8Array }[]) => entries.map((e) => new TextDecoder().decode(e.ck));
      expect(names(await collect(() => app.read(pk)))).toEqual(['cleared-cas', 'cleared-put', 'long']);
      expect(names(await collect(() => app.read(pk, undefined, undefined, { reverse: true, limit: 3 })))).toEqual([
        'long',
        'cleared-put',
        'cleared-cas',
      ]);
      expect(names(await collect(() => app.ttlRead(pk)))).toEqual(['cleared-cas', 'cleared-put', 'long']);
      // Conditional ops treat expired entries as absent.
      expect(await app.compareAndSwap(pk, k('cas'), s('y'), s('z'))).toBe(false);
      expect(await app.compareAndDelete(pk, k('del'), s('d'))).toBe(false);
      expect(await app.insertIfNotExists(pk, k('ins'), s('reborn'))).toBe(true);
      expect(await app.ttlGet(pk, k('ins'))).toEqual({ value: expect.anything() as unknown, ttlSeconds: undefined });
      expect(arr(await app.get(pk, k('ins')))).toEqual(arr(s('reborn')));
      // Cleared TTLs and long TTLs survive.
      expect(arr(await app.get(pk, k('cleared-put')))).toEqual(arr(s('c1-new')));
      expect(arr(await app.get(pk, k('cleared-cas')))).toEqual(arr(s('c2-new')));
      expect(arr(await app.get(pk, k('long')))).toEqual(arr(s('stays')));
    }, 60_000);

    it('insertIfNotExists succeeds over an expired entry and can set a new TTL', async () => {
      const app = ctx.app();
      const pk = newPk();
      expect(await app.insertIfNotExists(pk, s('k'), s('old'), 1)).toBe(true);
      await sleep(ctx.ttlWaitSeconds * 1000);
      expect(await app.insertIfNotExists(pk, s('k'), s('new'), 100)).toBe(true);
      const got = await app.ttlGet(pk, s('k'));
      expect(arr(got?.value)).toEqual(arr(s('new')));
      expect(got!.ttlSeconds).toBeGreaterThan(90);
    }, 60_000);
  });
}
