// The guest's MessagePack codec (assembly/msgpack.ts, assembly/value.ts, assembly/builder.ts),
// exercised through a compiled guest: JS encodes with msgpackr, the guest decodes and re-encodes,
// JS decodes again.
import { beforeAll, describe, expect, it } from 'vitest';
import { compileGuest } from './asc.test-util.js';
import { Guest, packr } from './guest-harness.test-util.js';

const GUEST = `
import * as stoa from '@stoa/extension-sdk/assembly/stoa';
import { Encoder, ObjBuilder, Value, arg, decodeAt, parseI64, result } from '@stoa/extension-sdk/assembly';

function rawArg(): ArrayBuffer {
  const n = stoa.arg();
  const buf = new ArrayBuffer(n);
  stoa.take(changetype<usize>(buf));
  return buf;
}

function send(e: Encoder): void {
  stoa.result(e.dataStart, e.length);
}

/** Decodes the argument (any value) and re-encodes it. */
export function Echo(): void {
  const buf = rawArg();
  const v = decodeAt(changetype<usize>(buf), buf.byteLength);
  const e = new Encoder(16);
  e.writeValue(v);
  send(e);
}

/** Ints at every encoding boundary, as one array. */
export function EncodeInts(): void {
  const ints: i64[] = [0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -32, -33, -128, -129,
    -32768, -32769, -2147483648, -2147483649, i64.MAX_VALUE, i64.MIN_VALUE];
  const e = new Encoder(4);
  e.writeArrayHeader(ints.length);
  for (let i = 0; i < ints.length; i++) e.writeInt(ints[i]);
  send(e);
}

/** Reads the argument map with each typed getter and reports what it saw. */
export function Getters(): void {
  const a = arg()!;
  const keys = a.keys();
  const tags = a.getArray('tags')!;
  const r = new ObjBuilder()
    .i64('bigFromString', a.getI64('big'))
    .i64('negFromString', a.getI64('neg'))
    .i64('fromFloat', a.getI64('float'))
    .i32('i32', a.getI32('small'))
    .i64('i64max', a.getI64('max'))
    .i64('i64min', a.getI64('min'))
    .f64('f64FromInt', a.getF64('small'))
    .f64('f64', a.getF64('pi'))
    .str('str', a.getString('name'))
    .str('strDefault', a.getString('missing', 'dflt'))
    .i64('i64Default', a.getI64('missing', -7))
    .bool('bool', a.getBool('flag'))
    .bool('boolDefault', a.getBool('missing', true))
    .bool('nilIsNull', a.isNull('nothing'))
    .bool('absentIsNull', a.isNull('missing'))
    .bool('hasNothing', a.has('nothing'))
    .bool('bytesNull', a.getBytes('missing') == null)
    .bytes('bytes', a.getBytes('blob')!)
    .str('nested', a.getObj('inner')!.getString('x'))
    .i32('tagCount', tags.length)
    .str('tag1', tags[1].asString())
    .i32('size', a.size)
    .str('firstKey', keys[0])
    .copy('copied', a.get('inner')!);
  result(r);
}

/** A builder using every setter, nesting and a lone surrogate. */
export function Build(): void {
  const child = new ObjBuilder().str('name', 'child').i32('n', 1);
  const list: ObjBuilder[] = [new ObjBuilder().i32('i', 0), new ObjBuilder().i32('i', 1)];
  const r = new ObjBuilder(8)
    .str('s', 'héllo 日本 😀')
    .str('lone', String.fromCharCode(0xd800))
    .i64('i64', -9007199254740993)
    .i32('i32', -5)
    .f64('f64', 2.5)
    .bool('t', true)
    .bool('f', false)
    .bytes('b', Uint8Array.wrap(String.UTF8.encode('ab')))
    .nil('nil')
    .obj('child', child)
    .arr('list', list)
    .copy('copy', Value.fromString('c'));
  result(r);
  // The bytes encode() returns are the same as the ones sent.
  const copy = r.encode();
  stoa.result(copy.dataStart, copy.length);
}

/** A map with \`arg.n\` entries: exercises the map16/map32 headers written into the reserve. */
export function BigMap(): void {
  const n = arg()!.getI32('n');
  const r = new ObjBuilder();
  for (let i = 0; i < n; i++) r.i32('k' + i.toString(), i);
  result(r);
}

/** A builder reused after reset(). */
export function Reset(): void {
  const r = new ObjBuilder().str('a', 'x').str('b', 'y');
  r.reset().i32('c', 3);
  result(r);
}

/** Each case of arg.case is a conversion that must abort. */
export function BadConversion(): void {
  const a = arg()!;
  const c = a.getString('case');
  if (c == 'i32Range') a.getI32('v');
  if (c == 'wrongKind') a.getString('v');
  if (c == 'fraction') a.getI64('v');
  if (c == 'parse') parseI64(a.getString('v'), 'test');
  if (c == 'asObj') a.get('v')!.asObj();
}

/** parseI64 of each string in arg.items, as an array of ints. */
export function Parse(): void {
  const items = arg()!.getArray('items')!;
  const e = new Encoder();
  e.writeArrayHeader(items.length);
  for (let i = 0; i < items.length; i++) e.writeInt(parseI64(items[i].asString(), 'item'));
  send(e);
}
`;

let guest: Guest;

beforeAll(async () => {
  guest = await Guest.load(await compileGuest({ 'index.ts': GUEST }, 'index.ts'));
}, 60_000);

function echo(value: unknown): unknown {
  const out = guest.call('Echo', { arg: packr.pack(value) });
  expect(out.error).toBeUndefined();
  return out.results[0];
}

function echoRaw(bytes: number[]): { value?: unknown; error?: string } {
  const out = guest.call('Echo', { arg: Uint8Array.from(bytes) });
  return out.error === undefined ? { value: out.results[0] } : { error: out.error };
}

describe('guest msgpack decode → encode round trip', () => {
  it('keeps scalars: nil, bools, ints, floats, strings', () => {
    for (const v of [null, true, false, 0, 1, 127, 128, 255, 256, 65535, 65536, -1, -31, -32, -33, -128, -129]) {
      expect(echo(v)).toEqual(v);
    }
    expect(echo(-32768)).toBe(-32768);
    expect(echo(2 ** 31)).toBe(2 ** 31);
    expect(echo(-(2 ** 31) - 1)).toBe(-(2 ** 31) - 1);
    expect(echo(1.5)).toBe(1.5);
    expect(echo(-1e300)).toBe(-1e300);
    expect(Number.isNaN(echo(NaN))).toBe(true);
    expect(echo(Infinity)).toBe(Infinity);
    for (const s of ['', 'a', 'héllo', '日本語', '😀 emoji', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(300)]) {
      expect(echo(s)).toBe(s);
    }
    expect(echo('w'.repeat(70_000))).toBe('w'.repeat(70_000));
  });

  it('keeps int64 extremes and 64-bit encodings', () => {
    expect(echo(9223372036854775807n)).toBe(9223372036854775807n);
    expect(echo(-9223372036854775808n)).toBe(-9223372036854775808n);
    expect(echo(2n ** 53n + 1n)).toBe(2n ** 53n + 1n);
    // uint64 at int64's maximum is accepted.
    expect(echoRaw([0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).value).toBe(9223372036854775807n);
  });

  it('decodes every int width, float32 and non-minimal forms', () => {
    const cases: [number[], unknown][] = [
      [[0xcc, 0xff], 255],
      [[0xcd, 0xff, 0xff], 65535],
      [[0xce, 0xff, 0xff, 0xff, 0xff], 4294967295],
      [[0xcf, 0, 0, 0, 0, 0, 0, 0, 5], 5],
      [[0xd0, 0x80], -128],
      [[0xd1, 0x80, 0x00], -32768],
      [[0xd2, 0x80, 0, 0, 0], -2147483648],
      [[0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe], -2],
      [[0xd0, 0x05], 5],
      [[0xca, 0x3f, 0xc0, 0, 0], 1.5],
      [[0xd9, 1, 0x41], 'A'],
      [[0xda, 0, 1, 0x42], 'B'],
      [[0xdb, 0, 0, 0, 1, 0x43], 'C'],
      [[0xdc, 0, 1, 0x01], [1]],
      [[0xdd, 0, 0, 0, 1, 0x02], [2]],
      [[0xde, 0, 1, 0xa1, 0x6b, 0x03], { k: 3 }],
      [[0xdf, 0, 0, 0, 1, 0xa1, 0x6b, 0x04], { k: 4 }],
      [[0xc5, 0, 1, 0x09], Uint8Array.from([9])],
      [[0xc6, 0, 0, 0, 1, 0x0a], Uint8Array.from([10])],
    ];
    for (const [bytes, expected] of cases) expect(echoRaw(bytes).value, bytes.join(',')).toEqual(expected);
  });

  it('keeps bin, nested maps and arrays, and long collections', () => {
    const bin = Uint8Array.from([0, 1, 2, 255]);
    expect(echo(bin)).toEqual(bin);
    const nested = { a: [1, 'two', { three: [3.5, null, true] }], b: { c: { d: { e: 'deep' } } }, '': 0, ü: 'k' };
    expect(echo(nested)).toEqual(nested);
    const many = Array.from({ length: 70_000 }, (_, i) => i % 300);
    expect(echo(many)).toEqual(many);
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, i]));
    expect(echo(wide)).toEqual(wide);
  });
});

describe('guest msgpack decode of invalid input', () => {
  const cases: [string, number[], string][] = [
    ['empty input', [], 'unexpected end of input'],
    ['the unused byte 0xc1', [0xc1], 'unsupported type byte 0xc1'],
    ['an ext type', [0xd4, 0x01, 0x00], 'unsupported type byte 0xd4'],
    ['uint64 beyond int64', [0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0], 'uint64 9223372036854775808 is beyond int64'],
    ['a non-string map key', [0x81, 0x01, 0x02], 'map key is not a string'],
    ['an array longer than the input', [0xdd, 0xff, 0xff, 0xff, 0xff], 'array of 4294967295 items is truncated'],
    ['a map longer than the input', [0xdf, 0x7f, 0xff, 0xff, 0xff, 0xc0], 'map of 2147483647 entries is truncated'],
    ['a truncated string', [0xa5, 0x61], 'unexpected end of input'],
    ['a str32 longer than the input', [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61], 'unexpected end of input'],
    ['a bin32 longer than the input', [0xc6, 0x7f, 0xff, 0xff, 0xff], 'unexpected end of input'],
    ['a truncated int64', [0xd3, 0, 0, 0], 'unexpected end of input'],
    ['trailing bytes', [0xc0, 0xc0, 0xc0], '2 trailing bytes'],
    ['nesting deeper than 64', [...Array<number>(65).fill(0x91), 0xc0], 'nesting deeper than 64'],
  ];
  for (const [name, bytes, message] of cases) {
    it(`aborts on ${name}`, () => {
      const { error } = echoRaw(bytes);
      expect(error).toMatch(/^abort: msgpack: /);
      expect(error).toContain(message);
      expect(error).toContain('assembly/msgpack.ts');
    });
  }

  it('still works after an aborted call (fresh inputs)', () => {
    expect(echoRaw([0xc1]).error).toBeDefined();
    // The harness reuses the instance, like a warm pool slot would until the host discards it.
    expect(echo({ ok: true })).toEqual({ ok: true });
  });

  it('accepts nesting of exactly 64', () => {
    const bytes = [...Array<number>(64).fill(0x91), 0xc0];
    expect(echoRaw(bytes).error).toBeUndefined();
  });
});

describe('guest msgpack encode', () => {
  it('writes each int in its shortest form', () => {
    const out = guest.call('EncodeInts');
    expect(out.error).toBeUndefined();
    const ints = out.results[0];
    expect(ints).toEqual([
      0,
      127,
      128,
      255,
      256,
      65535,
      65536,
      4294967295,
      4294967296,
      -1,
      -32,
      -33,
      -128,
      -129,
      -32768,
      -32769,
      -2147483648,
      -2147483649,
      9223372036854775807n,
      -9223372036854775808n,
    ]);
    // Byte-exact: the shortest form of each.
    const expected = Buffer.from(
      'dc0014' +
        '00' +
        '7f' +
        'cc80' +
        'ccff' +
        'cd0100' +
        'cdffff' +
        'ce00010000' +
        'ceffffffff' +
        'cf0000000100000000' +
        'ff' +
        'e0' +
        'd0df' +
        'd080' +
        'd1ff7f' +
        'd18000' +
        'd2ffff7fff' +
        'd280000000' +
        'd3ffffffff7fffffff' +
        'cf7fffffffffffffff' +
        'd38000000000000000',
      'hex',
    );
    expect(Buffer.from(out.rawResults[0]!).toString('hex')).toBe(expected.toString('hex'));
  });

  it('builds maps with every setter, nested maps and arrays, and replaces lone surrogates', () => {
    const out = guest.call('Build');
    expect(out.error).toBeUndefined();
    expect(out.results).toHaveLength(2);
    expect(out.results[0]).toEqual({
      s: 'héllo 日本 😀',
      lone: '\uFFFD',
      i64: -9007199254740993n,
      i32: -5,
      f64: 2.5,
      t: true,
      f: false,
      b: Uint8Array.from([0x61, 0x62]),
      nil: null,
      child: { name: 'child', n: 1 },
      list: [{ i: 0 }, { i: 1 }],
      copy: 'c',
    });
    expect(out.results[1]).toEqual(out.results[0]);
  });

  it('writes map16 and map32 headers', () => {
    for (const n of [0, 15, 16, 65535, 65536]) {
      const out = guest.call('BigMap', { arg: { n } });
      expect(out.error).toBeUndefined();
      const map = out.results[0] as Record<string, number>;
      expect(Object.keys(map)).toHaveLength(n);
      if (n > 0) expect(map[`k${n - 1}`]).toBe(n - 1);
    }
  });

  it('reuses a builder after reset()', () => {
    expect(guest.call('Reset').results).toEqual([{ c: 3 }]);
  });
});

describe('guest Obj getters and Value conversions', () => {
  it('reads every kind, defaults, nil and decimal-string int64s', () => {
    const arg = {
      name: 'Zoë',
      big: '9007199254740993',
      neg: '-9223372036854775808',
      float: 1700000000000,
      small: 42,
      max: 9223372036854775807n,
      min: -9223372036854775808n,
      pi: 3.25,
      flag: true,
      nothing: null,
      blob: Uint8Array.from([7, 8]),
      inner: { x: 'in', y: [1, 2] },
      tags: ['a', 'b'],
    };
    const out = guest.call('Getters', { arg });
    expect(out.error).toBeUndefined();
    expect(out.results[0]).toEqual({
      bigFromString: 9007199254740993n,
      negFromString: -9223372036854775808n,
      fromFloat: 1700000000000,
      i32: 42,
      i64max: 9223372036854775807n,
      i64min: -9223372036854775808n,
      f64FromInt: 42,
      f64: 3.25,
      str: 'Zoë',
      strDefault: 'dflt',
      i64Default: -7,
      bool: true,
      boolDefault: true,
      nilIsNull: true,
      absentIsNull: true,
      hasNothing: true,
      bytesNull: true,
      bytes: Uint8Array.from([7, 8]),
      nested: 'in',
      tagCount: 2,
      tag1: 'b',
      size: 13,
      firstKey: 'name',
      copied: { x: 'in', y: [1, 2] },
    });
  });

  it('parses canonical decimal int64 strings', () => {
    const items = ['0', '-0', '7', '-7', '9223372036854775807', '-9223372036854775808', '00012'];
    const out = guest.call('Parse', { arg: { items } });
    expect(out.error).toBeUndefined();
    expect(out.results[0]).toEqual([0, 0, 7, -7, 9223372036854775807n, -9223372036854775808n, 12]);
  });

  const bad: [string, unknown, string][] = [
    ['i32Range', 2 ** 31, 'field v: integer out of int32 range: 2147483648'],
    ['wrongKind', 5, 'field v: expected a string, got int'],
    ['fraction', 1.5, 'value: expected an integer, got float 1.5'],
    ['parse', '9223372036854775808', 'test: integer out of int64 range: 9223372036854775808'],
    ['parse', '-9223372036854775809', 'test: integer out of int64 range'],
    ['parse', '12a', 'test: expected an integer, got string "12a"'],
    ['parse', '', 'test: expected an integer'],
    ['parse', '-', 'test: expected an integer'],
    ['asObj', [1], 'value: expected a map, got array'],
  ];
  for (const [kase, v, message] of bad) {
    it(`aborts on ${kase} of ${JSON.stringify(v)}`, () => {
      const out = guest.call('BadConversion', { arg: { case: kase, v } });
      expect(out.error).toContain(message);
    });
  }
});
