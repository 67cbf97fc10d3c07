import { compareBytes } from '@stoa/storage';
import { describe, expect, it } from 'vitest';
import { KeyWriter, encodeKeyValue, type KeyFieldKind } from './key-codec.js';
import { decodeValue, encodeValue } from './value-codec.js';

// A small deterministic PRNG so failures reproduce.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cmp<T>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkOrder<T>(kind: KeyFieldKind, values: T[], compare: (a: T, b: T) => number): void {
  const byValue = [...values].sort(compare);
  const byBytes = [...values]
    .map((v) => ({ v, k: encodeKeyValue(kind, v) }))
    .sort((a, b) => compareBytes(a.k, b.k))
    .map((x) => x.v);
  expect(byBytes.map(String)).toEqual(byValue.map(String));
  for (let i = 1; i < byValue.length; i++) {
    const c = compareBytes(encodeKeyValue(kind, byValue[i - 1]), encodeKeyValue(kind, byValue[i]));
    expect(c).toBe(Math.sign(compare(byValue[i - 1]!, byValue[i]!)));
  }
}

describe('order-preserving key codec', () => {
  const r = rng(42);
  const ints = (bits: number, n: number): number[] => {
    const span = 2 ** bits;
    const out = [0, -1, 1, -(span / 2), span / 2 - 1];
    for (let i = 0; i < n; i++) out.push(Math.floor(r() * span) - span / 2);
    return out;
  };

  it('sorts int8, int16 and int32 including negatives', () => {
    checkOrder('int8', ints(8, 200), cmp);
    checkOrder('int16', ints(16, 500), cmp);
    checkOrder('int32', ints(32, 1000), cmp);
  });

  it('sorts int64 (numbers and decimal strings beyond 2^53) including negatives', () => {
    const values: bigint[] = [0n, -1n, 1n, -(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n, -(2n ** 53n)];
    for (let i = 0; i < 1000; i++) {
      const hi = BigInt(Math.floor(r() * 2 ** 31)) * (r() < 0.5 ? -1n : 1n);
      values.push(hi * 2n ** 32n + BigInt(Math.floor(r() * 2 ** 32)));
    }
    checkOrder('int64', values, cmp);
    expect(encodeKeyValue('int64', '9007199254740993')).toEqual(encodeKeyValue('int64', 9007199254740993n));
    expect(encodeKeyValue('timestamp', -5)).toEqual(encodeKeyValue('int64', -5n));
  });

  it('sorts float64 and float32 including negatives, zero and infinities', () => {
    const f64 = [0, -0.5, 0.5, -Infinity, Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE];
    for (let i = 0; i < 1000; i++) f64.push((r() - 0.5) * 10 ** Math.floor(r() * 40 - 20));
    checkOrder('float64', f64, cmp);
    const f32 = f64.map((x) => Math.fround(x));
    checkOrder('float32', [...new Set(f32)], cmp);
    expect(encodeKeyValue('float64', -0)).toEqual(encodeKeyValue('float64', 0));
    // NaN sorts after +Infinity, with one encoding for every NaN.
    expect(compareBytes(encodeKeyValue('float64', NaN), encodeKeyValue('float64', Infinity))).toBe(1);
  });

  it('sorts varchar by code point with prefixes first and zero bytes escaped', () => {
    const alphabet = ['a', 'b', 'z', '\u0000', '\u0001', '\u00ff', 'é', '日', '😀', 'A'];
    const values = ['', 'a', 'ab', 'a\u0000', 'a\u0000b', 'a\u0001'];
    for (let i = 0; i < 800; i++) {
      let s = '';
      const n = Math.floor(r() * 6);
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(r() * alphabet.length)]!;
      values.push(s);
    }
    const byCodePoint = (a: string, b: string): number =>
      cmp(Buffer.from(a, 'utf8').toString('hex'), Buffer.from(b, 'utf8').toString('hex'));
    checkOrder('varchar', [...new Set(values)], (a, b) => {
      // UTF-8 byte order is code point order; compare hex strings of the raw bytes.
      const x = Buffer.from(a, 'utf8');
      const y = Buffer.from(b, 'utf8');
      return compareBytes(x, y) || byCodePoint(a, b);
    });
  });

  it('keeps multi-column keys ordered when a string column comes first', () => {
    const rows: [string, number][] = [];
    for (let i = 0; i < 500; i++)
      rows.push([['', 'a', 'ab', 'a\u0000', 'b'][Math.floor(r() * 5)]!, Math.floor(r() * 200) - 100]);
    const enc = (row: [string, number]): Uint8Array =>
      new KeyWriter().field('varchar', row[0]).field('int32', row[1]).finish();
    const sorted = [...rows].sort((a, b) => compareBytes(Buffer.from(a[0]), Buffer.from(b[0])) || a[1] - b[1]);
    const byBytes = [...rows].sort((a, b) => compareBytes(enc(a), enc(b)));
    expect(byBytes).toEqual(sorted);
  });

  it('orders bools, refs and bytes', () => {
    checkOrder('bool', [true, false], (a, b) => Number(a) - Number(b));
    checkOrder('ref', [0, 1, 4095, 4096, 2 ** 32, 2 ** 53 - 1, 200_001], cmp);
    const bytes = [
      new Uint8Array([]),
      new Uint8Array([0]),
      new Uint8Array([0, 0]),
      new Uint8Array([0, 1]),
      new Uint8Array([1]),
      new Uint8Array([255]),
    ];
    checkOrder('bytes', bytes, (a, b) => compareBytes(a, b));
  });
});

describe('value codec', () => {
  it('round-trips records with bytes and a version byte', () => {
    const value = { 'sys.ID': 200_001, Title: 'x', Data: new Uint8Array([0, 1, 2]), N: -5.5, Big: '9007199254740993' };
    const bytes = encodeValue(value);
    expect(bytes[0]).toBe(1);
    const back = decodeValue<Record<string, unknown>>(bytes);
    expect(back.Title).toBe('x');
    expect(Array.from(back.Data as Uint8Array)).toEqual([0, 1, 2]);
    expect(back.Big).toBe('9007199254740993');
    expect(() => decodeValue(new Uint8Array([9, 0]))).toThrow(/version 9/);
  });
});
