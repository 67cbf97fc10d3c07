// The guest SDK's host layer (assembly/inputs.ts, state.ts, intents.ts): each function against the
// test host's pending-value protocol. The guest imports the SDK by its bare name, through the shim a
// build step serves (asc 0.28 ignores `ascMain`).
import { beforeAll, describe, expect, it } from 'vitest';
import { compileGuest } from './asc.test-util.js';
import { Guest, packr } from './guest-harness.test-util.js';

const GUEST = `
import {
  ObjBuilder,
  arg,
  context,
  event,
  getRecord,
  getView,
  insertRecord,
  logError,
  logInfo,
  logWarn,
  putView,
  readView,
  respond,
  result,
  secret,
  unloggedArg,
  updateRecord,
} from '@stoa/extension-sdk';

export function Context(): void {
  const c = context();
  result(new ObjBuilder().str('qname', c.qname).str('kind', c.kind).i64('wsid', c.wsid).i32('partition', c.partition).i64('now', c.now));
}

export function Args(): void {
  const a = arg();
  const u = unloggedArg();
  result(new ObjBuilder().bool('arg', a != null).bool('unlogged', u != null).str('x', a == null ? '' : a.getString('x')));
}

export function Event(): void {
  const e = event();
  if (e == null) {
    result(new ObjBuilder().nil('event'));
    return;
  }
  const cuds: ObjBuilder[] = [];
  for (let i = 0; i < e.cuds.length; i++) {
    const c = e.cuds[i];
    const b = new ObjBuilder().str('table', c.table).i64('id', c.id).bool('isNew', c.isNew).i32('fields', c.fields.size);
    const old = c.oldFields;
    if (old != null) b.copy('oldDone', old.get('Done')!);
    const rec = c.record;
    if (rec != null) b.str('recordTitle', rec.getString('Title'));
    cuds.push(b);
  }
  const r = new ObjBuilder()
    .str('qname', e.qname)
    .i64('wsid', e.wsid)
    .i64('plogOffset', e.plogOffset)
    .i64('wlogOffset', e.wlogOffset)
    .i64('registeredAt', e.registeredAt)
    .bool('hasArg', e.arg != null)
    .arr('cuds', cuds);
  const err = e.error;
  if (err != null) r.str('error', err);
  result(r);
}

export function Records(): void {
  const id = arg()!.getI64('id');
  const rec = getRecord(id);
  if (rec == null) {
    respond(404, 'no record ' + id.toString() + ' – ✗');
    return;
  }
  const newId = insertRecord('app.Log', new ObjBuilder().i64('Of', id).str('Title', rec.getString('Title')));
  updateRecord(newId, new ObjBuilder().bool('Seen', true).nil('Note'));
  updateRecord(id, new ObjBuilder().str('Title', rec.getString('Title') + '!'));
  result(new ObjBuilder().i64('newId', newId));
}

/** One result row per view row read (a query), then the row count of a full-key lookup. */
export function Views(): void {
  const a = arg()!;
  const it = readView('app.Counts', new ObjBuilder().i32('Board', 0), a.getI32('limit', -1), a.getBool('reverse'));
  let row = it.next();
  while (row != null) {
    result(new ObjBuilder().str('K', row.getString('K')).i64('N', row.getI64('N')));
    row = it.next();
  }
  // After the end, next() keeps returning null without asking the host again.
  if (it.next() != null) respond(500, 'iterator restarted');
  const one = getView('app.Counts', new ObjBuilder().i32('Board', 0).str('K', 'b'));
  putView('app.Counts', new ObjBuilder().i32('Board', 0).str('K', 'b').i64('N', one == null ? -1 : one.getI64('N') + 1));
}

export function Secrets(): void {
  const s = secret(arg()!.getString('name'));
  result(new ObjBuilder().str('value', s == null ? '<none>' : s).bool('found', s != null));
}

export function Logs(): void {
  logInfo('info ü');
  logWarn('warn ' + String.fromCharCode(0xdc00));
  logError('');
}

/** Allocates like a typical command: decode an argument, build and send a result. */
export function Churn(): void {
  const a = arg()!;
  const b = new ObjBuilder();
  const items = a.getArray('items')!;
  for (let i = 0; i < items.length; i++) b.str('k' + i.toString(), items[i].asString() + '!');
  result(b);
}
`;

let guest: Guest;

beforeAll(async () => {
  guest = await Guest.load(await compileGuest({ 'index.ts': GUEST }, 'index.ts'));
}, 60_000);

describe('inputs', () => {
  it('context() decodes every field', () => {
    const context = { abi: 1, qname: 'app.Q', kind: 'query', wsid: 2 ** 47 + 1, partition: 3, now: 1_700_000_000_001 };
    const out = guest.call('Context', { context });
    expect(out.results).toEqual([
      { qname: 'app.Q', kind: 'query', wsid: 2 ** 47 + 1, partition: 3, now: 1_700_000_000_001 },
    ]);
  });

  it('arg() and unloggedArg() are null when the host has none', () => {
    expect(guest.call('Args').results).toEqual([{ arg: false, unlogged: false, x: '' }]);
    expect(guest.call('Args', { arg: { x: 'y' }, unloggedArg: {} }).results).toEqual([
      { arg: true, unlogged: true, x: 'y' },
    ]);
  });

  it('event() decodes the event and its cuds, optional parts included', () => {
    const event = {
      qname: 'app.Do',
      wsid: 5,
      plogOffset: '9007199254740993',
      wlogOffset: 4,
      registeredAt: 1_700_000_000_000,
      arg: { a: 1 },
      cuds: [
        { table: 'app.T', id: 1, isNew: true, fields: { Title: 'x', Done: false } },
        {
          table: 'app.T',
          id: '9007199254740995',
          isNew: false,
          fields: { Done: true },
          oldFields: { Done: false },
          record: { Title: 'x', Done: true },
        },
      ],
      error: 'bad',
    };
    const out = guest.call('Event', { event });
    expect(out.error).toBeUndefined();
    expect(out.results).toEqual([
      {
        qname: 'app.Do',
        wsid: 5,
        plogOffset: 9007199254740993n,
        wlogOffset: 4,
        registeredAt: 1_700_000_000_000,
        hasArg: true,
        cuds: [
          { table: 'app.T', id: 1, isNew: true, fields: 2 },
          { table: 'app.T', id: 9007199254740995n, isNew: false, fields: 1, oldDone: false, recordTitle: 'x' },
        ],
        error: 'bad',
      },
    ]);
    const { arg: _arg, error: _error, ...required } = event;
    const minimal = guest.call('Event', { event: { ...required, cuds: [] } });
    expect(minimal.error).toBeUndefined();
    expect(minimal.results).toEqual([{ ...(out.results[0] as object), hasArg: false, cuds: [], error: undefined }]);
    expect(guest.call('Event').results).toEqual([{ event: null }]);
  });
});

describe('state and intents', () => {
  it('getRecord → insertRecord (its id feeds the next intent) → updateRecord → result', () => {
    const out = guest.call('Records', { arg: { id: 7 }, records: new Map([[7, { 'sys.ID': 7, Title: 'T' }]]) });
    expect(out.error).toBeUndefined();
    expect(out.inserts).toEqual([{ table: 'app.Log', fields: { Of: 7, Title: 'T' } }]);
    expect(out.updates).toEqual([
      { id: 100_000n, fields: { Seen: true, Note: null } },
      { id: 7n, fields: { Title: 'T!' } },
    ]);
    expect(out.results).toEqual([{ newId: 100_000 }]);
  });

  it('respond() sends a status and a UTF-8 message', () => {
    const out = guest.call('Records', { arg: { id: 8 } });
    expect(out.response).toEqual({ status: 404, message: 'no record 8 – ✗' });
    expect(out.inserts).toEqual([]);
  });

  const rows = [
    { Board: 0, K: 'a', N: 1 },
    { Board: 0, K: 'b', N: 2 },
    { Board: 0, K: 'c', N: 3 },
    { Board: 1, K: 'z', N: 9 },
  ];

  it('readView() iterates by prefix, with limit and reverse; getView() and putView()', () => {
    const all = guest.call('Views', { arg: {}, views: { 'app.Counts': rows } });
    expect(all.error).toBeUndefined();
    expect(all.results).toEqual([
      { K: 'a', N: 1 },
      { K: 'b', N: 2 },
      { K: 'c', N: 3 },
    ]);
    expect(all.reads).toEqual(['read app.Counts {"Board":0} -1 0', 'view app.Counts {"Board":0,"K":"b"}']);
    expect(all.puts).toEqual([{ view: 'app.Counts', row: { Board: 0, K: 'b', N: 3 } }]);
    const last2 = guest.call('Views', { arg: { limit: 2, reverse: true }, views: { 'app.Counts': rows } });
    expect(last2.results).toEqual([
      { K: 'c', N: 3 },
      { K: 'b', N: 2 },
    ]);
    expect(last2.reads[0]).toBe('read app.Counts {"Board":0} 2 1');
    const empty = guest.call('Views', { arg: {} });
    expect([empty.results, empty.puts]).toEqual([[], [{ view: 'app.Counts', row: { Board: 0, K: 'b', N: -1 } }]]);
  });

  it('secret() returns the raw UTF-8 value, or null', () => {
    const secrets = { 'api-key': 'sk_ünï', empty: '' };
    expect(guest.call('Secrets', { arg: { name: 'api-key' }, secrets }).results).toEqual([
      { value: 'sk_ünï', found: true },
    ]);
    expect(guest.call('Secrets', { arg: { name: 'empty' }, secrets }).results).toEqual([{ value: '', found: true }]);
    expect(guest.call('Secrets', { arg: { name: 'nope' }, secrets }).results).toEqual([
      { value: '<none>', found: false },
    ]);
  });

  it('logInfo/logWarn/logError send levels 0/1/2 as valid UTF-8', () => {
    expect(guest.call('Logs').logs).toEqual([
      { level: 0, message: 'info ü' },
      { level: 1, message: 'warn \uFFFD' },
      { level: 2, message: '' },
    ]);
  });
});

describe('a warm instance', () => {
  it('does not grow its memory over many calls (the GC reclaims per-call garbage)', () => {
    // Packed once, so the loop measures the call rather than msgpackr.
    const arg = packr.pack({ items: Array.from({ length: 20 }, (_, i) => `item ${i}`) });
    for (let i = 0; i < 1_000; i++) guest.call('Churn', { arg });
    const before = guest.memoryBytes;
    const start = performance.now();
    const calls = 20_000;
    for (let i = 0; i < calls; i++) guest.call('Churn', { arg });
    const perCallUs = ((performance.now() - start) * 1000) / calls;
    expect(guest.memoryBytes).toBe(before);
    expect(guest.call('Churn', { arg }).results[0]).toMatchObject({ k0: 'item 0!', k19: 'item 19!' });
    // Generous bound (JS packing included); the figure is for the report, not a benchmark.
    expect(perCallUs).toBeLessThan(1_000);
    console.log(`Churn: ${perCallUs.toFixed(1)} µs/call, memory ${before / 65536} pages`);
  });
});
