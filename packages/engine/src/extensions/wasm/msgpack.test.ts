import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeGuestMap, MessagePackError } from './msgpack-decode.js';
import { encodeForGuest } from './msgpack-encode.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const numbers = new Packr({ useRecords: false, int64AsType: 'number' });

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

describe('decodeGuestMap', () => {
  it('decodes maps to plain objects with every ABI type', () => {
    const value = {
      nil: null,
      t: true,
      f: false,
      small: 5,
      neg: -200,
      float: 1.5,
      str: 'héllo ✓',
      bin: new Uint8Array([1, 2, 3]),
      f32: 0.5,
      i8: -100,
      i16: -30_000,
      i32: -2_000_000_000,
      u32: 4_000_000_000,
      long: 'x'.repeat(300),
      unicode: 'é'.repeat(20),
      list: [1, 'a', { nested: true }],
      map: { a: { b: {} } },
    };
    expect(decodeGuestMap(packr.pack(value))).toEqual(value);
    const f32 = new Uint8Array([0x81, 0xa1, 0x66, 0xca, 0x3f, 0xc0, 0, 0]); // {"f": float32 1.5}
    expect(decodeGuestMap(f32)).toEqual({ f: 1.5 });
  });

  it('decodes a range of a larger array (the guest memory) without reading outside it', () => {
    const memory = new Uint8Array(64).fill(0xc1);
    const value = packr.pack({ a: 1 });
    memory.set(value, 10);
    expect(decodeGuestMap(memory, 10, 10 + value.length)).toEqual({ a: 1 });
    expect(() => decodeGuestMap(memory, 10, 10 + value.length - 1)).toThrow('value truncated at byte 3');
  });

  it('int64 beyond ±(2^53 - 1) becomes a BigInt; within it a number; uint64 above int64 is refused', () => {
    // {"n": int64 2^60}, {"n": int64 42}, {"n": uint64 2^63}
    const int64 = (hi: number[]): Uint8Array => bytes(0x81, 0xa1, 0x6e, 0xd3, ...hi);
    expect(decodeGuestMap(int64([0x10, 0, 0, 0, 0, 0, 0, 0]))).toEqual({ n: 2n ** 60n });
    expect(decodeGuestMap(int64([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]))).toEqual({ n: -2 });
    expect(decodeGuestMap(bytes(0x81, 0xa1, 0x6e, 0xcf, 0, 0, 0, 0, 0, 0, 0, 42))).toEqual({ n: 42 });
    const edge = (n: bigint): unknown => decodeGuestMap(packr.pack({ n })).n;
    expect(edge(2n ** 53n - 1n)).toBe(2 ** 53 - 1);
    expect(edge(-(2n ** 53n) + 1n)).toBe(-(2 ** 53) + 1);
    expect(edge(2n ** 53n)).toBe(2n ** 53n);
    expect(edge(-(2n ** 53n))).toBe(-(2n ** 53n));
    expect(edge(-(2n ** 63n))).toBe(-(2n ** 63n));
    expect(() => decodeGuestMap(bytes(0x81, 0xa1, 0x6e, 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0))).toThrow(
      "uint64 at byte 3 exceeds int64's range",
    );
  });

  it('copies bin out of the input (guest memory may change after the call)', () => {
    const input = packr.pack({ b: new Uint8Array([7, 8]) });
    const decoded = decodeGuestMap(input) as { b: Uint8Array };
    input.fill(0);
    expect(decoded.b).toEqual(new Uint8Array([7, 8]));
  });

  it('refuses invalid UTF-8 in keys and values, non-str keys, ext types', () => {
    expect(() => decodeGuestMap(bytes(0x81, 0xa1, 0xff, 0xc0))).toThrow('invalid UTF-8 in the str at byte 2');
    expect(() => decodeGuestMap(bytes(0x81, 0xa1, 0x6b, 0xa1, 0xe9))).toThrow('invalid UTF-8 in the str at byte 4');
    expect(() => decodeGuestMap(bytes(0x81, 0x01, 0xc0))).toThrow('map key at byte 1 is not a str (token 0x01)');
    expect(() => decodeGuestMap(bytes(0x81, 0xa1, 0x6b, 0xd4, 0x00, 0x00))).toThrow(
      'unsupported MessagePack token 0xd4 at byte 3',
    );
    expect(() => decodeGuestMap(bytes(0x81, 0xa1, 0x6b, 0xc1))).toThrow('unsupported MessagePack token 0xc1 at byte 3');
  });

  it('allows 32 levels of nesting and refuses 33', () => {
    const nest = (levels: number): unknown => {
      let v: unknown = 0;
      for (let i = 1; i < levels; i++) v = i % 2 === 0 ? [v] : { d: v };
      return { top: v };
    };
    expect(() => decodeGuestMap(packr.pack(nest(32)))).not.toThrow();
    expect(() => decodeGuestMap(packr.pack(nest(33)))).toThrow(/^nested deeper than 32 levels at byte \d+$/);
    // A deep array of empty arrays: refused without recursing through all of it.
    const deep = new Uint8Array(100_000).fill(0x91);
    deep[0] = 0x81;
    expect(() => decodeGuestMap(new Uint8Array([0x81, 0xa1, 0x6b, ...deep]))).toThrow(MessagePackError);
  });

  it('refuses truncation, trailing bytes, huge counts over few bytes, and non-maps', () => {
    expect(() => decodeGuestMap(bytes(0x82, 0xa1, 0x6b, 0xc0))).toThrow('value truncated at byte 1');
    expect(() => decodeGuestMap(bytes(0x81, 0xa1, 0x6b, 0xcb, 0, 0))).toThrow('value truncated at byte 4');
    expect(() => decodeGuestMap(bytes(0x80, 0xc0))).toThrow('1 extra bytes after the value');
    expect(() => decodeGuestMap(bytes(0xdf, 0x7f, 0xff, 0xff, 0xff, 0xa1))).toThrow('value truncated at byte 5');
    expect(() => decodeGuestMap(bytes(0x81, 0xa1, 0x6b, 0xdb, 0xff, 0xff, 0xff, 0xff))).toThrow(
      'value truncated at byte 8',
    );
    expect(() => decodeGuestMap(bytes(0x92, 1, 2))).toThrow('expected a MessagePack map, found token 0x92');
    expect(() => decodeGuestMap(bytes())).toThrow('expected a MessagePack map, found nothing (0 bytes)');
  });

  it('keeps a __proto__ key as an own property (no prototype change, no pollution)', () => {
    const decoded = decodeGuestMap(packr.pack(JSON.parse('{"__proto__": {"polluted": true}}') as object));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).toEqual({ polluted: true });
  });
});

describe('GuestEncoder (encodeForGuest)', () => {
  it('writes plain maps, leaves undefined properties out, keeps null, bytes as bin', () => {
    const encoded = encodeForGuest({ a: 1, gone: undefined, none: null, b: new Uint8Array([9]) });
    expect(packr.unpack(encoded)).toEqual({ a: 1, none: null, b: new Uint8Array([9]) });
    expect(encoded[0]).toBe(0x83); // a fixmap of 3 entries
  });

  it('round-trips every type and size boundary through a standard decoder', () => {
    const ints = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
    const value = {
      ints: [
        ...ints,
        ...ints.filter((i) => i > 0).map((i) => -i),
        -31,
        -32,
        -33,
        -128,
        -129,
        -32_768,
        -32_769,
        -(2 ** 31),
        -(2 ** 31) - 1,
      ],
      floats: [0.5, -1.25, 1e300, 2 ** 53, Number.MAX_VALUE],
      strings: ['', 'a', 'x'.repeat(31), 'x'.repeat(32), 'é', 'héllo ✓ 𝄞', 'é'.repeat(100), 'y'.repeat(70_000)],
      bins: [new Uint8Array(0), new Uint8Array(255).fill(1), new Uint8Array(256).fill(2), new Uint8Array(70_000)],
      arrays: [[], Array.from({ length: 15 }, (_, i) => i), Array.from({ length: 16 }, (_, i) => i)],
      bools: [true, false, null],
      wide: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
      nested: { a: { b: { c: [{ d: 'e' }] } } },
    };
    expect(numbers.unpack(encodeForGuest(value))).toEqual(value);
    // BigInt within int64 as int64, beyond it as its decimal str; a Date as ms.
    expect(packr.unpack(encodeForGuest({ big: 2n ** 60n, huge: 2n ** 70n, at: new Date(5) }))).toEqual({
      big: 2n ** 60n,
      huge: (2n ** 70n).toString(),
      at: 5,
    });
  });

  it('refuses what has no MessagePack form and cycles', () => {
    expect(() => encodeForGuest({ f: () => 1 })).toThrow('cannot encode a function for a guest');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => encodeForGuest(cycle)).toThrow('value nested deeper than 64 levels');
  });
});
