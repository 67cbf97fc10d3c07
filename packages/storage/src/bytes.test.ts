import { describe, expect, it } from 'vitest';
import { compareBytes, concatBytes, equalBytes, fromHex, nextKey, prefixEnd, toHex } from './bytes.js';

const b = (...x: number[]) => Uint8Array.from(x);

describe('compareBytes', () => {
  it('orders unsigned, shorter prefix first', () => {
    const sorted = [b(), b(0), b(0, 0), b(0, 1), b(1), b(0x7f), b(0x80), b(0xff), b(0xff, 0)];
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareBytes).map(toHex)).toEqual(sorted.map(toHex));
    expect(compareBytes(b(1, 2), b(1, 2))).toBe(0);
    expect(compareBytes(b(0x80), b(0x7f))).toBe(1);
  });
});

describe('equalBytes / concat / hex', () => {
  it('compares, joins and round-trips through hex', () => {
    expect(equalBytes(b(1, 2), b(1, 2))).toBe(true);
    expect(equalBytes(b(1, 2), b(1))).toBe(false);
    expect(Array.from(concatBytes(b(1), b(), b(2, 3)))).toEqual([1, 2, 3]);
    expect(toHex(b(0, 0xab, 0xff))).toBe('00abff');
    expect(Array.from(fromHex('00abFF'))).toEqual([0, 0xab, 0xff]);
    expect(toHex(Uint8Array.from([9, 1, 2, 9]).subarray(1, 3))).toBe('0102');
    expect(() => fromHex('abc')).toThrow(TypeError);
  });
});

describe('prefixEnd', () => {
  it('is the smallest key above every key with the prefix', () => {
    expect(Array.from(prefixEnd(b(1, 2))!)).toEqual([1, 3]);
    expect(Array.from(prefixEnd(b(1, 0xff))!)).toEqual([2]);
    expect(Array.from(prefixEnd(b(0, 0xff, 0xff))!)).toEqual([1]);
    expect(prefixEnd(b(0xff, 0xff))).toBeUndefined();
    expect(prefixEnd(b())).toBeUndefined();
    const prefix = b(5, 0xff);
    const end = prefixEnd(prefix)!;
    for (const inside of [b(5, 0xff), b(5, 0xff, 0xff, 0xff), b(5, 0xff, 0)])
      expect(compareBytes(inside, end)).toBe(-1);
    expect(compareBytes(b(6), end)).toBe(0);
  });

  it('does not mutate its input', () => {
    const prefix = b(1, 2);
    prefixEnd(prefix);
    expect(Array.from(prefix)).toEqual([1, 2]);
  });

  it('nextKey is the immediate successor', () => {
    expect(Array.from(nextKey(b(1)))).toEqual([1, 0]);
    expect(compareBytes(b(1), nextKey(b(1)))).toBe(-1);
  });
});
