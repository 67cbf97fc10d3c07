import { describe, expect, it } from 'vitest';
import { b, newPk, readCks, s, type ContractContext } from './context.js';

export function describeBinaryKeys(ctx: ContractContext): void {
  describe('binary keys', () => {
    const ordered = [
      [],
      [0x00],
      [0x00, 0x00],
      [0x00, 0x01],
      [0x01],
      [0x7f],
      [0x80],
      [0xfe, 0xff],
      [0xff],
      [0xff, 0x00],
      [0xff, 0xff],
    ];

    it('orders clustering keys by unsigned bytes, empty key first', async () => {
      const app = ctx.app();
      const pk = newPk();
      const shuffled = [...ordered].sort(() => Math.random() - 0.5);
      await app.putBatch(shuffled.map((ck, i) => ({ pk, ck: Uint8Array.from(ck), value: s(`v${i}`) })));
      expect(await readCks(app, pk)).toEqual(ordered);
      expect(await readCks(app, pk, undefined, undefined, { reverse: true })).toEqual([...ordered].reverse());
      expect(await readCks(app, pk, b(0x00), b(0xff))).toEqual(ordered.slice(1, 8));
      expect(await readCks(app, pk, b(0x80), undefined, { reverse: true, limit: 3 })).toEqual([
        [0xff, 0xff],
        [0xff, 0x00],
        [0xff],
      ]);
      expect(await readCks(app, pk, b(0xff, 0x00))).toEqual([
        [0xff, 0x00],
        [0xff, 0xff],
      ]);
    });

    it('partition keys with 0x00/0xFF bytes are distinct partitions', async () => {
      const app = ctx.app();
      const base = newPk();
      const pks = [[0x00], [0x00, 0x00], [0xff], [0xff, 0xff], [0x00, 0xff]].map((tail) =>
        Uint8Array.from([...base, ...tail]),
      );
      await Promise.all(pks.map((pk, i) => app.put(pk, b(0xff), s(`p${i}`))));
      for (const [i, pk] of pks.entries()) {
        expect(await readCks(app, pk)).toEqual([[0xff]]);
        expect(new TextDecoder().decode(await app.get(pk, b(0xff)))).toBe(`p${i}`);
      }
      // A single-byte partition key of 0x00 or 0xFF also works.
      await app.put(b(0x00), b(1), s('zero pk'));
      await app.put(b(0xff), b(1), s('ff pk'));
      expect(new TextDecoder().decode(await app.get(b(0x00), b(1)))).toBe('zero pk');
      expect(new TextDecoder().decode(await app.get(b(0xff), b(1)))).toBe('ff pk');
    });
  });
}
