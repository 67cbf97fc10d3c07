// assembly/inputs.ts `event()` reads the event straight from the MessagePack (the msgpack.ts cursor)
// instead of decoding a whole Obj tree and reading it with Obj's getters. This checks that the two
// agree — same Event, or the same failure — on well-formed, odd and malformed events: `Ref` below is
// the Obj-based reading event() had before. Also: the decoder's interning caches keep memory flat
// when every call brings new strings (cached objects are pinned, and unpinned when evicted).
import { beforeAll, describe, expect, it } from 'vitest';
import { compileGuest } from './asc.test-util.js';
import { Guest, packr } from './guest-harness.test-util.js';

const GUEST = `
import * as stoa from '@stoa/extension-sdk/assembly/stoa';
import { Cud, Encoder, Event, Obj, ObjBuilder, Value, ValueKind, arg, decodeAt, event, result } from '@stoa/extension-sdk/assembly';

function refEvent(): Event | null {
  const n = stoa.event();
  if (n < 0) return null;
  const buf = new ArrayBuffer(n);
  stoa.take(changetype<usize>(buf));
  const v = decodeAt(changetype<usize>(buf), n);
  if (v.kind != ValueKind.Map) throw new Error('event: expected a map');
  const o = v.asObj();
  const e = new Event();
  e.qname = o.getString('qname');
  e.wsid = o.getI64('wsid');
  e.plogOffset = o.getI64('plogOffset');
  e.wlogOffset = o.getI64('wlogOffset');
  e.registeredAt = o.getI64('registeredAt');
  e.arg = o.getObj('arg');
  if (!o.isNull('error')) e.error = o.getString('error');
  const cuds = o.getArray('cuds');
  if (cuds != null) {
    const out = new Array<Cud>(cuds.length);
    for (let i = 0; i < cuds.length; i++) out[i] = refCud(cuds[i]);
    e.cuds = out;
  }
  return e;
}

function refCud(v: Value): Cud {
  if (v.kind != ValueKind.Map) throw new Error('event: a cud is not a map');
  const o = v.asObj();
  const c = new Cud();
  c.table = o.getString('table');
  c.id = o.getI64('id');
  c.isNew = o.getBool('isNew');
  const fields = o.getObj('fields');
  if (fields != null) c.fields = fields;
  c.oldFields = o.getObj('oldFields');
  c.record = o.getObj('record');
  return c;
}

function obj(b: ObjBuilder, name: string, o: Obj | null): void {
  if (o == null) b.nil(name);
  else b.copy(name, Value.fromObj(o));
}

function describe(e: Event | null): void {
  if (e == null) {
    result(new ObjBuilder().nil('event'));
    return;
  }
  const cuds: ObjBuilder[] = [];
  for (let i = 0; i < e.cuds.length; i++) {
    const c = e.cuds[i];
    const b = new ObjBuilder().str('table', c.table).i64('id', c.id).bool('isNew', c.isNew);
    obj(b, 'fields', c.fields);
    obj(b, 'oldFields', c.oldFields);
    obj(b, 'record', c.record);
    cuds.push(b);
  }
  const r = new ObjBuilder()
    .str('qname', e.qname)
    .i64('wsid', e.wsid)
    .i64('plogOffset', e.plogOffset)
    .i64('wlogOffset', e.wlogOffset)
    .i64('registeredAt', e.registeredAt)
    .arr('cuds', cuds);
  obj(r, 'arg', e.arg);
  const err = e.error;
  if (err == null) r.nil('error');
  else r.str('error', err);
  result(r);
}

export function Cursor(): void {
  describe(event());
}

export function Ref(): void {
  describe(refEvent());
}

/** Decodes the argument and re-encodes it (the interning caches at work). */
export function Echo(): void {
  const e = new Encoder(64);
  e.writeValue(Value.fromObj(arg()!));
  stoa.result(e.dataStart, e.length);
}
`;

let wasm: Uint8Array;

beforeAll(async () => {
  wasm = await compileGuest({ 'index.ts': GUEST }, 'index.ts');
}, 60_000);

/**
 * A failed call leaves the instance as the abort found it (the engine discards it; this harness
 * does not), and AssemblyScript's shadow stack does not unwind: each call runs on a fresh instance.
 */
async function call(name: string, inputs: Parameters<Guest['call']>[1]): Promise<ReturnType<Guest['call']>> {
  return (await Guest.load(wasm)).call(name, inputs);
}

/** The abort message without its source location (the two readers live on different lines). */
function failure(error: string | undefined): string | undefined {
  return error?.replace(/ at \S+:\d+:\d+$/, '');
}

async function both(event: unknown): Promise<{ cursor: ReturnType<Guest['call']>; ref: ReturnType<Guest['call']> }> {
  const input = event === undefined ? {} : { event: event instanceof Uint8Array ? event : packr.pack(event) };
  return { cursor: await call('Cursor', input), ref: await call('Ref', input) };
}

async function expectSame(event: unknown): Promise<ReturnType<Guest['call']>> {
  const { cursor, ref } = await both(event);
  expect(failure(cursor.error)).toEqual(failure(ref.error));
  expect(cursor.results).toEqual(ref.results);
  return cursor;
}

/** A map with keys in this order, duplicates allowed (msgpackr cannot write duplicate keys). */
function rawMap(entries: [string, unknown][]): Uint8Array {
  const parts = entries.flatMap(([k, v]) => [packr.pack(k), v instanceof Uint8Array ? v : packr.pack(v)]);
  return Buffer.concat([Uint8Array.of(0x80 | entries.length), ...parts]);
}

const FIELDS = { 'sys.QName': 'app.T', 'sys.ID': 322_000_000_001, 'sys.IsActive': true, Title: 'x', Done: false };
const INSERT = {
  qname: 'sys.CUD',
  wsid: 140_000_000_001,
  plogOffset: 10,
  wlogOffset: 4,
  registeredAt: 1_700_000_000_000,
  cuds: [{ table: 'app.T', id: 322_000_000_001, isNew: true, fields: FIELDS, record: FIELDS }],
};
const UPDATE = {
  qname: 'app.Do',
  wsid: 5,
  plogOffset: '9007199254740993',
  wlogOffset: -3,
  registeredAt: 1.7e12,
  arg: { a: 1, b: [1, 2] },
  cuds: [
    { table: 'app.T', id: '9007199254740995', isNew: false, fields: { Done: true }, oldFields: { Done: false } },
    { table: 'app.T', id: 7, isNew: false, fields: { Done: true }, oldFields: { Done: false }, record: FIELDS },
  ],
  error: 'bad',
};

describe('event(): read with the cursor, as Obj getters read the decoded map', () => {
  it('agrees on well-formed events: insert (record = fields), update, no event', async () => {
    const insert = await expectSame(INSERT);
    expect(insert.error).toBeUndefined();
    expect(insert.results[0]).toMatchObject({ qname: 'sys.CUD', cuds: [{ fields: FIELDS, record: FIELDS }] });
    const update = await expectSame(UPDATE);
    expect(update.error).toBeUndefined();
    expect(update.results[0]).toMatchObject({ plogOffset: 9007199254740993n, wlogOffset: -3, error: 'bad' });
    expect((await expectSame(undefined)).results).toEqual([{ event: null }]);
  });

  it('agrees on absent and nil fields, unknown keys and duplicate keys (the first counts)', async () => {
    await expectSame({});
    await expectSame({ qname: null, wsid: null, arg: null, cuds: null, error: null });
    await expectSame({ ...INSERT, cuds: [{}, { table: null, id: null, isNew: null, fields: null, oldFields: null }] });
    await expectSame({ ...INSERT, future: { x: [1, 2] }, cuds: [{ ...INSERT.cuds[0], extra: 'y' }] });
    const dup = await expectSame(
      rawMap([
        ['qname', 'first'],
        ['wsid', 1],
        ['qname', 'second'],
        ['wsid', 'not an int'],
        ['error', null],
        ['error', 'late'],
        [
          'cuds',
          Buffer.concat([
            Uint8Array.of(0x91),
            rawMap([
              ['table', 'a.B'],
              ['table', 5],
              ['isNew', true],
            ]),
          ]),
        ],
        ['cuds', 'not an array'],
      ]),
    );
    expect(dup.results[0]).toMatchObject({ qname: 'first', wsid: 1, error: null });
  });

  it('agrees on ints in every encoding and on the conversions of getI64', async () => {
    for (const wsid of [0, 127, 128, 255, 256, 65_536, 2 ** 32, -1, -33, -129, -40_000, -(2 ** 31) - 1, '42']) {
      await expectSame({ ...INSERT, wsid });
    }
    const float2 = Uint8Array.of(0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0); // 2.0 as a float64
    expect((await expectSame(rawMap([['wsid', float2]]))).results[0]).toMatchObject({ wsid: 2 });
    await expectSame({ ...INSERT, wsid: 2n ** 63n - 1n });
    await expectSame({ ...INSERT, wsid: -(2n ** 63n) });
  });

  it('fails the same way on fields of the wrong kind', async () => {
    const cases: [unknown, string][] = [
      [5, 'event: expected a map'],
      [{ qname: 5 }, 'field qname: expected a string, got int'],
      [{ wsid: true }, 'field wsid: expected an integer, got bool'],
      [{ wsid: 'abc' }, 'field wsid: expected an integer, got string "abc"'],
      [{ wsid: 2.5 }, 'value: expected an integer, got float 2.5'],
      [{ arg: [1] }, 'field arg: expected a map, got array'],
      [{ error: 5 }, 'field error: expected a string, got int'],
      [{ cuds: {} }, 'field cuds: expected an array, got map'],
      [{ cuds: [5] }, 'event: a cud is not a map'],
      [{ cuds: [{ isNew: 1 }] }, 'field isNew: expected a bool, got int'],
      [{ cuds: [{ fields: [] }] }, 'field fields: expected a map, got array'],
      [{ cuds: [{ id: {} }] }, 'field id: expected an integer, got map'],
    ];
    for (const [event, message] of cases) {
      const { cursor, ref } = await both(event);
      expect(failure(ref.error)).toContain(message);
      expect(failure(cursor.error)).toContain(message);
    }
  });

  it('fails the same way on every truncation of an event and on nesting beyond 64', async () => {
    const bytes = packr.pack(UPDATE);
    for (let n = 0; n < bytes.length; n++) {
      const { cursor, ref } = await both(bytes.subarray(0, n));
      expect(ref.error).toMatch(/^abort: msgpack: /);
      expect(failure(cursor.error)).toEqual(failure(ref.error));
    }
    expect((await both(Buffer.concat([bytes, Uint8Array.of(0xc0)]))).cursor.error).toContain('1 trailing bytes');
    // Event, cuds and the CUD are three levels: `fields` 61 maps deep reaches 64 exactly.
    const nested = (levels: number): unknown => (levels === 0 ? 1 : { n: nested(levels - 1) });
    const deep = (levels: number) => ({ cuds: [{ fields: nested(levels) }] });
    expect((await expectSame(deep(61))).error).toBeUndefined();
    expect((await expectSame(deep(62))).error).toContain('nesting deeper than 64');
  });
});

describe('the decoder’s interning caches', () => {
  it('stay correct and keep memory flat when every call brings new keys and values', async () => {
    const arg = (n: number) => Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${n}.${i}`, `v${n}.${i}`]));
    const guest = await Guest.load(wasm);
    for (let n = 0; n < 200; n++) guest.call('Echo', { arg: arg(n) });
    const before = guest.memoryBytes;
    for (let n = 200; n < 1_200; n++) {
      const out = guest.call('Echo', { arg: arg(n) });
      if (n % 100 === 0) expect([out.error, out.results]).toEqual([undefined, [arg(n)]]);
    }
    expect(guest.memoryBytes).toBe(before);
  });
});
