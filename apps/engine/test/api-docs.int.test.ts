// API v2 over real HTTP, part 1: workspaces, documents, collections, CUD batches and the statuses
// they answer (201, 400, 404, 405, 409, 410, 413), on the in-memory backend and on LMDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, Backend, TestEngine } from './support/harness.js';
import { LAB_DIR, TODO_DIR, expectError, newIds, startTestEngine, unique } from './support/harness.js';

const BIG = '9007199254740993'; // 2^53 + 1: not representable as a JSON number
const NEG_BIG = '-9223372036854775808'; // int64 min

describe.each<Backend>(['mem', 'lmdb'])('API v2 docs and workspaces over HTTP (%s)', (storage) => {
  let engine: TestEngine;
  let lab: ApiClient;
  let ws: number;
  const item = (path = ''): string => `/workspaces/${ws}/docs/lab.Item${path}`;

  beforeAll(async () => {
    engine = await startTestEngine({ storage, apps: [TODO_DIR, LAB_DIR], limits: { maxBodyBytes: 64 * 1024 } });
    lab = await engine.client('lab');
    ws = await lab.createWorkspace('lab.LabWS', { Title: 'docs' });
  });
  afterAll(async () => {
    await engine?.close();
  });

  describe('workspaces', () => {
    it('answers 201 only once the workspace is usable and lists it with the roles', async () => {
      const client = await engine.client('todo');
      const name = `board-${unique()}`;
      const created = await client.post('/workspaces', { kind: 'todo.TodoWS', name, descriptor: { Title: 'B' } });
      expect(created.status).toBe(201);
      expect(Object.keys(created.json)).toEqual(['wsid']);
      const wsid = created.json['wsid'] as number;
      expect(Number.isSafeInteger(wsid)).toBe(true);
      // The very next request works: no 404, no 503 while "initialising".
      const inserted = await client.post(`/workspaces/${wsid}/docs/todo.Task`, {
        Title: 'first',
        Done: false,
        Priority: 1,
      });
      expect(inserted.status, inserted.text).toBe(201);

      const list = await client.get('/workspaces');
      expect(list.status).toBe(200);
      expect(list.json['results']).toEqual([
        {
          wsid,
          kind: 'todo.TodoWS',
          name,
          roles: expect.arrayContaining(['sys.WorkspaceOwner', 'todo.Member']) as unknown,
          active: true,
        },
      ]);
      // Another principal sees none of it.
      const other = await engine.client('todo');
      expect((await other.get('/workspaces')).json['results']).toEqual([]);
    });

    it('validates the body: unknown kind, abstract/sys kinds, descriptor fields, unknown body fields', async () => {
      const client = await engine.client('todo');
      expectError(await client.post('/workspaces', { kind: 'todo.Nope', name: 'x', descriptor: {} }), 400, {
        field: 'kind',
      });
      expectError(await client.post('/workspaces', { kind: 'sys.AppWorkspaceWS', name: 'x', descriptor: {} }), 400, {
        field: 'kind',
      });
      expectError(await client.post('/workspaces', { kind: 'todo.TodoWS', name: 'x', descriptor: {} }), 400, {
        message: 'Title',
      });
      expectError(await client.post('/workspaces', { kind: 'todo.TodoWS', name: 'x', descriptor: { Title: 1 } }), 400, {
        message: 'Title',
      });
      expectError(await client.post('/workspaces', { kind: 'todo.TodoWS', name: 'x', descriptor: {}, x: 1 }), 400, {
        message: 'x',
      });
      expectError(await client.call('POST', '/workspaces', { rawBody: '{"kind":' }), 400, {
        message: 'malformed JSON',
      });
    });

    it('deactivates a workspace (owner only): then every request to it answers 410', async () => {
      const owner = await engine.client('lab');
      const wsid = await owner.createWorkspace('lab.LabWS', { Title: 'doomed' });
      const inserted = await owner.post(`/workspaces/${wsid}/docs/lab.Item`, { Sku: 'D1', Name: 'doomed' });
      expect(inserted.status).toBe(201);
      const id = newIds(inserted)[0]!;

      const stranger = await engine.client('lab');
      expectError(await stranger.delete(`/workspaces/${wsid}`), 403);
      expectError(await owner.delete(`/workspaces/${wsid}`, { token: null }), 401);

      const gone = await owner.delete(`/workspaces/${wsid}`);
      expect(gone.status, gone.text).toBe(204);
      expect(gone.text).toBe('');

      const w = `/workspaces/${wsid}`;
      for (const reply of [
        await owner.delete(w),
        await owner.get(`${w}/docs/lab.Item/${id}`),
        await owner.patch(`${w}/docs/lab.Item/${id}`, { Name: 'x' }),
        await owner.delete(`${w}/docs/lab.Item/${id}`),
        await owner.post(`${w}/docs/lab.Item`, { Sku: 'D2', Name: 'late' }),
        await owner.get(`${w}/cdocs/lab.Item`),
        await owner.post(`${w}/cuds`, {
          cuds: [{ fields: { 'sys.ID': 1, 'sys.QName': 'lab.Item', Sku: 'D3', Name: 'n' } }],
        }),
        await owner.post(`${w}/commands/lab.Echo`, { args: { N: 1 } }),
        await owner.get(`${w}/queries/lab.Range?args=${encodeURIComponent('{"From":1,"Till":2}')}`),
        await owner.get(`${w}/views/lab.Sales?where=${encodeURIComponent('{"Year":2024,"Month":1}')}`),
      ]) {
        expectError(reply, 410, { message: 'inactive' });
      }
      const listed = await owner.get('/workspaces');
      expect(listed.json['results']).toEqual([expect.objectContaining({ wsid, active: false })]);
    });
  });

  describe('documents', () => {
    it('inserts a document with nested containers (201 + newIDs) and reads it back with them', async () => {
      const res = await lab.post(item(), {
        'sys.ID': 7,
        Sku: `N-${unique()}`,
        Name: 'nested',
        Qty: 3,
        Parts: [
          { Label: 'left', Notes: [{ Text: 'a' }, { Text: 'b' }] },
          { 'sys.ID': 8, Label: 'right' },
        ],
      });
      expect(res.status, res.text).toBe(201);
      expect(res.json['currentWLogOffset']).toEqual(expect.any(Number));
      const ids = res.json['newIDs'] as Record<string, number>;
      expect(Object.keys(ids).sort()).toEqual(['7', '8']);
      const id = ids['7']!;

      const doc = await lab.get(item(`/${id}`));
      expect(doc.status).toBe(200);
      expect(doc.json).toMatchObject({
        'sys.ID': id,
        'sys.QName': 'lab.Item',
        'sys.IsActive': true,
        Name: 'nested',
        Qty: 3,
        Parts: [
          { Label: 'left', Notes: [{ Text: 'a' }, { Text: 'b' }] },
          { 'sys.ID': ids['8'], Label: 'right', Notes: [] },
        ],
      });
      // keys projects the answer.
      const projected = await lab.get(item(`/${id}?keys=Name,Qty`));
      expect(projected.json).toEqual({ Name: 'nested', Qty: 3 });
      // A nested record is readable by its own id and table.
      const part = await lab.get(`/workspaces/${ws}/docs/lab.ItemPart/${ids['8']}`);
      expect(part.status).toBe(200);
      expect(part.json).toMatchObject({ Label: 'right', 'sys.ParentID': id });
    });

    it('updates with PATCH, deactivates with DELETE and re-activates through cuds', async () => {
      const sku = `U-${unique()}`;
      const id = newIds(await lab.post(item(), { Sku: sku, Name: 'before', Qty: 1 }))[0]!;
      const patched = await lab.patch(item(`/${id}`), { Name: 'after', Qty: 2 });
      expect(patched.status, patched.text).toBe(200);
      expect(patched.json['currentWLogOffset']).toEqual(expect.any(Number));
      expect((await lab.get(item(`/${id}`))).json).toMatchObject({ Name: 'after', Qty: 2, Sku: sku });

      const deleted = await lab.delete(item(`/${id}`));
      expect(deleted.status, deleted.text).toBe(200);
      expect((await lab.get(item(`/${id}`))).json['sys.IsActive']).toBe(false);
      const listed = await lab.get(
        `/workspaces/${ws}/cdocs/lab.Item?where=${encodeURIComponent(JSON.stringify({ Sku: sku }))}`,
      );
      expect(listed.json['results']).toEqual([]);

      const reactivated = await lab.post(`/workspaces/${ws}/cuds`, {
        cuds: [{ 'sys.ID': id, fields: { 'sys.IsActive': true } }],
      });
      expect(reactivated.status, reactivated.text).toBe(200);
      expect((await lab.get(item(`/${id}`))).json['sys.IsActive']).toBe(true);
      const again = await lab.get(
        `/workspaces/${ws}/cdocs/lab.Item?where=${encodeURIComponent(JSON.stringify({ Sku: sku }))}`,
      );
      expect(again.json['results']).toEqual([expect.objectContaining({ 'sys.ID': id, Name: 'after' })]);
    });

    it('answers 400 naming the field for bad input', async () => {
      expectError(await lab.post(item(), { Sku: 'x', Name: 'n', Nope: 1 }), 400, { field: 'Nope' });
      expectError(await lab.post(item(), { Sku: 'x', Name: 'n', Qty: 'three' }), 400, { field: 'Qty' });
      expectError(await lab.post(item(), { Sku: 'x' }), 400, { field: 'Name' });
      expectError(await lab.post(item(), { Sku: 'x'.repeat(21), Name: 'n' }), 400, { field: 'Sku' });
      expectError(await lab.post(item(), { Sku: 'x', Name: 'n', Code: 'lower' }), 400, { field: 'Code' });
      expectError(await lab.post(item(), { Sku: 'x', Name: 'n', Qty: 2 ** 31 }), 400, { field: 'Qty' });
      expectError(await lab.post(item(), { Sku: 'x', Name: 'n', Big: '12x' }), 400, { field: 'Big' });
      expectError(await lab.post(item(), { Sku: 'x', Name: 'n', Parts: [{ Label: 'l', Bad: 1 }] }), 400, {
        field: 'Bad',
      });
      expectError(await lab.patch(item('/200001'), { 'sys.ID': 5 }), 400, { field: 'sys.ID' });
      expectError(await lab.call('POST', item(), { rawBody: '{"Sku":' }), 400, { message: 'malformed JSON' });
      expectError(await lab.call('POST', item(), { rawBody: '{}', headers: { 'content-type': 'text/plain' } }), 400);
      expectError(await lab.get(`/workspaces/${ws}/docs/lab.Item/abc`), 400, { field: 'id' });
      expectError(await lab.get(`/workspaces/x1/cdocs/lab.Item`), 400, { field: 'wsid' });
      // A ref to a record that does not exist.
      expectError(await lab.post(`/workspaces/${ws}/docs/lab.Note`, { ItemID: 999_999_999 }), 400, {
        field: 'ItemID',
      });
    });

    it('answers 404 for unknown tables, ids and workspaces', async () => {
      expectError(await lab.post(`/workspaces/${ws}/docs/lab.Nope`, { A: 1 }), 404, { qname: 'lab.Nope' });
      expectError(await lab.get(`/workspaces/${ws}/docs/lab.Nope/1`), 404, { qname: 'lab.Nope' });
      expectError(await lab.get(item('/987654321')), 404, { message: 'not found' });
      expectError(await lab.patch(item('/987654321'), { Name: 'x' }), 404);
      expectError(await lab.delete(item('/987654321')), 404);
      expectError(await lab.get(`/workspaces/${ws}/cdocs/lab.Nope`), 404);
      expectError(await lab.get(`/workspaces/987654321/cdocs/lab.Item`), 404, { message: 'workspace' });
      // A todo table does not exist in a lab workspace (another app).
      expectError(await lab.post(`/workspaces/${ws}/docs/todo.Task`, { Title: 't' }), 404);
    });

    it('answers 405 for an ODoc through /docs and /cuds (ODocs are command arguments)', async () => {
      expectError(await lab.post(`/workspaces/${ws}/docs/lab.Receipt`, { Total: 1 }), 405, { qname: 'lab.Receipt' });
      expectError(
        await lab.post(`/workspaces/${ws}/cuds`, {
          cuds: [{ fields: { 'sys.ID': 1, 'sys.QName': 'lab.Receipt', Total: 1 } }],
        }),
        405,
      );
    });

    it('answers 409 for a UNIQUE violation, also within one request', async () => {
      const sku = `S-${unique()}`;
      expect((await lab.post(item(), { Sku: sku, Name: 'one' })).status).toBe(201);
      expectError(await lab.post(item(), { Sku: sku, Name: 'two' }), 409, { message: 'Sku' });
      const sku2 = `S-${unique()}`;
      expectError(
        await lab.post(`/workspaces/${ws}/cuds`, {
          cuds: [
            { fields: { 'sys.ID': 1, 'sys.QName': 'lab.Item', Sku: sku2, Name: 'a' } },
            { fields: { 'sys.ID': 2, 'sys.QName': 'lab.Item', Sku: sku2, Name: 'b' } },
          ],
        }),
        409,
      );
      // Nothing of the failed batch was written.
      const listed = await lab.get(
        `/workspaces/${ws}/cdocs/lab.Item?where=${encodeURIComponent(JSON.stringify({ Sku: sku2 }))}`,
      );
      expect(listed.json['results']).toEqual([]);
    });

    it('takes int64 beyond 2^53 as decimal strings and answers them as strings (numbers within)', async () => {
      const ids = newIds(
        await lab.post(`/workspaces/${ws}/cuds`, {
          cuds: [
            { fields: { 'sys.ID': 1, 'sys.QName': 'lab.Item', Sku: `B1-${unique()}`, Name: 'big', Big: BIG } },
            { fields: { 'sys.ID': 2, 'sys.QName': 'lab.Item', Sku: `B2-${unique()}`, Name: 'min', Big: NEG_BIG } },
            { fields: { 'sys.ID': 3, 'sys.QName': 'lab.Item', Sku: `B3-${unique()}`, Name: 'small', Big: '42' } },
          ],
        }),
      );
      expect(ids).toHaveLength(3);
      expect((await lab.get(item(`/${ids[0]}`))).json['Big']).toBe(BIG);
      expect((await lab.get(item(`/${ids[1]}`))).json['Big']).toBe(NEG_BIG);
      expect((await lab.get(item(`/${ids[2]}`))).json['Big']).toBe(42);
      // The raw JSON carries the digits exactly.
      expect((await lab.get(item(`/${ids[0]}`))).text).toContain(`"Big":"${BIG}"`);
      // Filtering by the string form finds it.
      const found = await lab.get(
        `/workspaces/${ws}/cdocs/lab.Item?where=${encodeURIComponent(JSON.stringify({ Big: BIG }))}`,
      );
      expect((found.json['results'] as unknown[]).length).toBe(1);
      expectError(await lab.post(item(), { Sku: 'x', Name: 'n', Big: '9223372036854775808' }), 400, { field: 'Big' });
      expectError(await lab.post(item(), { Sku: 'x', Name: 'n', Big: 2 ** 53 }), 400, { field: 'Big' });
    });

    it('answers 413 for a body over the cap (and the connection is closed)', async () => {
      const res = await lab.post(item(), { Sku: 'x', Name: 'x'.repeat(100 * 1024) });
      expectError(res, 413);
      expect(res.headers.get('connection')).toBe('close');
      // The engine still serves the next request.
      expect((await lab.get(`/workspaces/${ws}/cdocs/lab.Item?limit=1`)).status).toBe(200);
    });
  });

  describe('collections', () => {
    let listWs: number;
    beforeAll(async () => {
      listWs = await lab.createWorkspace('lab.LabWS', { Title: 'lists' });
      const cuds = ['c', 'a', 'e', 'b', 'd'].map((name, i) => ({
        fields: { 'sys.ID': i + 1, 'sys.QName': 'lab.Item', Sku: `L-${name}`, Name: name, Qty: i % 2 },
      }));
      const res = await lab.post(`/workspaces/${listWs}/cuds`, { cuds });
      expect(res.status, res.text).toBe(200);
    });
    const list = async (params: Record<string, string>): Promise<Record<string, unknown>[]> => {
      const res = await lab.get(`/workspaces/${listWs}/cdocs/lab.Item?${new URLSearchParams(params).toString()}`);
      expect(res.status, res.text).toBe(200);
      return res.json['results'] as Record<string, unknown>[];
    };

    it('lists with where, order, limit, skip and keys', async () => {
      expect((await list({})).length).toBe(5);
      expect((await list({ order: 'Name' })).map((r) => r['Name'])).toEqual(['a', 'b', 'c', 'd', 'e']);
      expect((await list({ order: '-Name', limit: '2' })).map((r) => r['Name'])).toEqual(['e', 'd']);
      expect((await list({ order: 'Name', skip: '3' })).map((r) => r['Name'])).toEqual(['d', 'e']);
      expect((await list({ where: '{"Qty":1}', order: 'Name' })).map((r) => r['Name'])).toEqual(['a', 'b']);
      expect((await list({ where: '{"Name":{"$in":["a","e","zz"]}}', order: 'Name' })).map((r) => r['Name'])).toEqual([
        'a',
        'e',
      ]);
      expect(await list({ where: '{"Name":"c"}', keys: 'Name,Sku' })).toEqual([{ Name: 'c', Sku: 'L-c' }]);
      // Qty 0: c, e, d; Qty 1: a, b — each by Name descending.
      expect((await list({ order: 'Qty,-Name' })).map((r) => r['Name'])).toEqual(['e', 'd', 'c', 'b', 'a']);
    });

    it('answers 400 naming the parameter or field for bad read parameters', async () => {
      const bad = (q: string) => lab.get(`/workspaces/${listWs}/cdocs/lab.Item?${q}`);
      expectError(await bad('where=%7B'), 400, { field: 'where' });
      expectError(await bad(`where=${encodeURIComponent('{"Nope":1}')}`), 400, { field: 'where', message: 'Nope' });
      expectError(await bad(`where=${encodeURIComponent('{"Qty":"x"}')}`), 400, { field: 'where.Qty' });
      expectError(await bad('limit=0'), 400, { field: 'limit' });
      expectError(await bad('skip=-1'), 400, { field: 'skip' });
      expectError(await bad('bogus=1'), 400, { field: 'bogus' });
      expectError(await bad('limit=1&limit=2'), 400, { field: 'limit' });
    });
  });

  describe('cuds', () => {
    it('maps raw ids to new ids and resolves refs to raw ids of the same batch', async () => {
      const res = await lab.post(`/workspaces/${ws}/cuds`, {
        cuds: [
          { fields: { 'sys.ID': 1, 'sys.QName': 'lab.Item', Sku: `R-${unique()}`, Name: 'target' } },
          { fields: { 'sys.ID': 2, 'sys.QName': 'lab.Note', ItemID: 1, Text: 'points at raw 1' } },
        ],
      });
      expect(res.status, res.text).toBe(200);
      const ids = res.json['newIDs'] as Record<string, number>;
      expect(Object.keys(ids).sort()).toEqual(['1', '2']);
      expect(ids['1']).not.toBe(ids['2']);
      const note = await lab.get(`/workspaces/${ws}/docs/lab.Note/${ids['2']}`);
      expect(note.json['ItemID']).toBe(ids['1']);
      // include expands the ref.
      const withItem = await lab.get(`/workspaces/${ws}/docs/lab.Note/${ids['2']}?include=ItemID`);
      expect(withItem.json['ItemID']).toMatchObject({ 'sys.ID': ids['1'], Name: 'target' });
    });

    it('updates and inserts in one event', async () => {
      const id = newIds(await lab.post(item(), { Sku: `M-${unique()}`, Name: 'old' }))[0]!;
      const res = await lab.post(`/workspaces/${ws}/cuds`, {
        cuds: [
          { 'sys.ID': id, fields: { Name: 'new' } },
          { fields: { 'sys.ID': 9, 'sys.QName': 'lab.Note', ItemID: id } },
        ],
      });
      expect(res.status, res.text).toBe(200);
      expect(Object.keys(res.json['newIDs'] as object)).toEqual(['9']);
      expect((await lab.get(item(`/${id}`))).json['Name']).toBe('new');
    });

    it('answers 409 for a duplicate raw id and 400 beyond 100 CUDs or for an empty batch', async () => {
      expectError(
        await lab.post(`/workspaces/${ws}/cuds`, {
          cuds: [
            { fields: { 'sys.ID': 5, 'sys.QName': 'lab.Item', Sku: `D-${unique()}`, Name: 'a' } },
            { fields: { 'sys.ID': 5, 'sys.QName': 'lab.Item', Sku: `D-${unique()}`, Name: 'b' } },
          ],
        }),
        409,
        { field: 'sys.ID' },
      );
      const many = Array.from({ length: 101 }, (_, i) => ({
        fields: { 'sys.ID': i + 1, 'sys.QName': 'lab.Item', Sku: `X${i}`, Name: 'n' },
      }));
      expectError(await lab.post(`/workspaces/${ws}/cuds`, { cuds: many }), 400, { field: 'cuds' });
      expectError(await lab.post(`/workspaces/${ws}/cuds`, { cuds: [] }), 400, { field: 'cuds' });
      expectError(
        await lab.post(`/workspaces/${ws}/cuds`, { cuds: [{ fields: { 'sys.ID': 1, Sku: 'q', Name: 'n' } }] }),
        400,
        { field: 'sys.QName' },
      );
      expectError(
        await lab.post(`/workspaces/${ws}/cuds`, {
          cuds: [{ fields: { 'sys.ID': 70_000, 'sys.QName': 'lab.Item', Sku: 'q', Name: 'n' } }],
        }),
        400,
        { field: 'sys.ID' },
      );
      // 100 is fine.
      const hundred = Array.from({ length: 100 }, (_, i) => ({
        fields: { 'sys.ID': i + 1, 'sys.QName': 'lab.Item', Sku: `H${i}-${unique()}`, Name: 'n' },
      }));
      const ok = await lab.post(`/workspaces/${ws}/cuds`, { cuds: hundred });
      expect(ok.status, ok.text).toBe(200);
      expect(Object.keys(ok.json['newIDs'] as object)).toHaveLength(100);
    });
  });
});
