import { describe, expect, it } from 'vitest';
import { MANY_APPS, SLOW_MS, arr, collect, newPk, s, type ContractContext } from './context.js';

export function describeIsolation(ctx: ContractContext): void {
  describe('app isolation', () => {
    it('the same key in two apps holds two values; reads never cross apps', async () => {
      const a = ctx.app('contract_a');
      const b = ctx.app('contract_b');
      const pk = newPk();
      await a.put(pk, s('k'), s('in a'));
      expect(await b.get(pk, s('k'))).toBeUndefined();
      expect(await collect(() => b.read(pk))).toEqual([]);
      expect(await b.insertIfNotExists(pk, s('k'), s('in b'))).toBe(true);
      expect(arr(await a.get(pk, s('k')))).toEqual(arr(s('in a')));
      expect(arr(await b.get(pk, s('k')))).toEqual(arr(s('in b')));
      expect(await ctx.app('contract_c').compareAndDelete(pk, s('k'), s('in a'))).toBe(false);
      expect(arr(await a.get(pk, s('k')))).toEqual(arr(s('in a')));
    });

    it(
      'many apps keep their own data',
      async () => {
        const driver = ctx.driver();
        const pk = newPk('many');
        const apps = [];
        for (const name of MANY_APPS) {
          await driver.createApp(name);
          apps.push(await driver.openApp(name));
        }
        await Promise.all(apps.map((app, i) => app.put(pk, s('k'), s(`app ${i}`))));
        await Promise.all(apps.map((app, i) => app.putBatch([{ pk, ck: s(`only-${i}`), value: s('x') }])));
        for (const [i, app] of apps.entries()) {
          expect(arr(await app.get(pk, s('k')))).toEqual(arr(s(`app ${i}`)));
          const cks = (await collect(() => app.read(pk))).map((e) => new TextDecoder().decode(e.ck));
          expect(cks).toEqual(['k', `only-${i}`]);
        }
      },
      SLOW_MS,
    );
  });
}
