// Field-level ACL over real HTTP (fixture field-acl): SELECT column lists filter every read (docs,
// cdocs, nested records, include, views; where/order on a hidden field → 403), INSERT/UPDATE column
// rules reject CUDs touching other fields with a 403 naming the field, REVOKE after GRANT; and the
// ACL explain route (owner only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, startTestEngine } from './support/harness.js';
import type { ApiClient, TestEngine } from './support/harness.js';
import { FIELD_ACL_DIR, joinWorkspace } from './support/membership.js';

function own(row: Record<string, unknown>): string[] {
  return Object.keys(row).filter((k) => !k.startsWith('sys.'));
}

describe('field-level ACL', () => {
  let engine: TestEngine;
  let owner: ApiClient;
  let reader: ApiClient;
  let editor: ApiClient;
  let auditor: ApiClient;
  let wsid: number;
  let noteId: number;
  let personId: number;

  beforeAll(async () => {
    engine = await startTestEngine({ storage: 'mem', apps: [FIELD_ACL_DIR] });
    owner = await engine.client('facl');
    wsid = await owner.createWorkspace('facl.NotesWS', { Title: 'book' });
    [reader, editor, auditor] = await Promise.all([
      engine.client('facl'),
      engine.client('facl'),
      engine.client('facl'),
    ]);
    await joinWorkspace(owner, reader, wsid, ['facl.Reader']);
    await joinWorkspace(owner, editor, wsid, ['facl.Editor']);
    await joinWorkspace(owner, auditor, wsid, ['facl.Auditor']);
    const person = await owner.post(`/workspaces/${wsid}/docs/facl.Person`, { Name: 'Ann', Phone: '+49 1' });
    expect(person.status, person.text).toBe(201);
    personId = Object.values(person.json['newIDs'] as Record<string, number>)[0]!;
    const note = await owner.post(`/workspaces/${wsid}/docs/facl.Note`, {
      Title: 'T',
      Body: 'B',
      Secret: 'S',
      Author: personId,
      Parts: [{ Text: 'p1', Hidden: 'h1' }],
    });
    expect(note.status, note.text).toBe(201);
    noteId = Object.values(note.json['newIDs'] as Record<string, number>)[0]!;
  });
  afterAll(async () => {
    await engine.close();
  });

  it('SELECT(cols) filters a document, its nested records and included refs', async () => {
    const doc = await reader.get(`/workspaces/${wsid}/docs/facl.Note/${noteId}?include=Author`);
    expect(doc.status, doc.text).toBe(200);
    expect(own(doc.json)).toEqual(['Title', 'Body', 'Author', 'Parts']);
    expect(doc.json['sys.ID']).toBe(noteId);
    const parts = doc.json['Parts'] as Record<string, unknown>[];
    expect(parts.map(own)).toEqual([['Text']]);
    expect(own(doc.json['Author'] as Record<string, unknown>)).toEqual(['Name']);
    const person = await reader.get(`/workspaces/${wsid}/docs/facl.Person/${personId}`);
    expect(own(person.json)).toEqual(['Name']);
    // The owner (Admin: every field) sees everything.
    const full = await owner.get(`/workspaces/${wsid}/docs/facl.Note/${noteId}`);
    expect(own(full.json)).toEqual(['Title', 'Body', 'Secret', 'Author', 'Parts']);
    expect(own((full.json['Parts'] as Record<string, unknown>[])[0]!)).toEqual(['Text', 'Hidden']);
  });

  it('SELECT(cols) filters collections, keys and refuses where/order on hidden fields', async () => {
    const list = await reader.get(`/workspaces/${wsid}/cdocs/facl.Note`);
    expect(list.status).toBe(200);
    for (const row of list.json['results'] as Record<string, unknown>[])
      expect(own(row)).toEqual(['Title', 'Body', 'Author']);
    const keyed = await reader.get(`/workspaces/${wsid}/cdocs/facl.Note?keys=Title,Secret`);
    expect(keyed.json['results']).toEqual([{ Title: 'T' }]);
    expectError(
      await reader.get(`/workspaces/${wsid}/cdocs/facl.Note?where=${encodeURIComponent('{"Secret":"S"}')}`),
      403,
      {
        field: 'Secret',
      },
    );
    expectError(await reader.get(`/workspaces/${wsid}/cdocs/facl.Note?order=-Secret`), 403, { field: 'Secret' });
    const byTitle = await reader.get(
      `/workspaces/${wsid}/cdocs/facl.Note?where=${encodeURIComponent('{"Title":"T"}')}`,
    );
    expect((byTitle.json['results'] as unknown[]).length).toBe(1);
  });

  it('SELECT(cols) on a view filters its rows', async () => {
    const where = encodeURIComponent('{"Day":1}');
    const rows = await reader.get(`/workspaces/${wsid}/views/facl.NoteStats?where=${where}`);
    expect(rows.status, rows.text).toBe(200);
    const results = rows.json['results'] as Record<string, unknown>[];
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(Object.keys(r).sort()).toEqual(['Count', 'Day', 'Kind']);
    const all = await owner.get(`/workspaces/${wsid}/views/facl.NoteStats?where=${where}`);
    expect((all.json['results'] as Record<string, unknown>[])[0]).toHaveProperty('Secret', 42);
    expectError(
      await reader.get(`/workspaces/${wsid}/views/facl.NoteStats?where=${encodeURIComponent('{"Day":1,"Secret":42}')}`),
      403,
      { field: 'Secret' },
    );
  });

  it('REVOKE SELECT(col) after GRANT SELECT hides just that column', async () => {
    const doc = await auditor.get(`/workspaces/${wsid}/docs/facl.Note/${noteId}`);
    expect(doc.status).toBe(200);
    expect(own(doc.json)).toEqual(['Title', 'Body', 'Author']);
    // No grant on NotePart: the container is not shown at all.
    expect(doc.json).not.toHaveProperty('Parts');
  });

  it('INSERT(cols) and UPDATE(cols) reject CUDs touching other fields, naming the field', async () => {
    const ok = await editor.post(`/workspaces/${wsid}/docs/facl.Note`, { Title: 'E', Body: 'b' });
    expect(ok.status, ok.text).toBe(201);
    const id = Object.values(ok.json['newIDs'] as Record<string, number>)[0]!;
    expectError(await editor.post(`/workspaces/${wsid}/docs/facl.Note`, { Title: 'E', Secret: 's' }), 403, {
      field: 'Secret',
      message: 'Secret',
    });
    expect((await editor.patch(`/workspaces/${wsid}/docs/facl.Note/${id}`, { Body: 'changed' })).status).toBe(200);
    expectError(await editor.patch(`/workspaces/${wsid}/docs/facl.Note/${id}`, { Title: 'new' }), 403, {
      field: 'Title',
      message: 'update of field Title of facl.Note',
    });
    expectError(await editor.patch(`/workspaces/${wsid}/docs/facl.Note/${id}`, { Body: 'x', Secret: 'y' }), 403, {
      field: 'Secret',
    });
    expectError(
      await editor.post('/workspaces/' + wsid + '/cuds', {
        cuds: [{ 'sys.ID': id, fields: { Author: personId } }],
      }),
      403,
      { field: 'Author' },
    );
    // Nested records need their own grant.
    expectError(await editor.post(`/workspaces/${wsid}/docs/facl.Note`, { Title: 'E', Parts: [{ Text: 't' }] }), 403, {
      qname: 'facl.NotePart',
    });
    // The Reader has no INSERT at all: a plain 403 without a field.
    expectError(await reader.post(`/workspaces/${wsid}/docs/facl.Note`, { Title: 'R' }), 403);
    expect((await editor.get(`/workspaces/${wsid}/docs/facl.Note/${id}`)).json['Body']).toBe('changed');
  });

  it('anonymous callers get 401 on everything here', async () => {
    const anon = owner.withToken(null);
    expectError(await anon.get(`/workspaces/${wsid}/docs/facl.Note/${noteId}`), 401);
    expectError(await anon.get(`/workspaces/${wsid}/cdocs/facl.Note`), 401);
  });
});

describe('ACL explain', () => {
  let engine: TestEngine;
  let owner: ApiClient;
  let wsid: number;

  beforeAll(async () => {
    engine = await startTestEngine({ storage: 'mem', apps: [FIELD_ACL_DIR] });
    owner = await engine.client('facl');
    wsid = await owner.createWorkspace('facl.NotesWS', { Title: 'book' });
  });
  afterAll(async () => {
    await engine.close();
  });

  const explain = (client: ApiClient, q: string): ReturnType<ApiClient['get']> =>
    client.get(`/workspaces/${wsid}/acl/explain?${q}`);

  it('explains a field-level denial with the deciding rule', async () => {
    const res = await explain(owner, 'roles=facl.Editor&privilege=update&resource=facl.Note&fields=Title');
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      allowed: false,
      fields: [],
      rule: {
        op: 'grant',
        privileges: ['update'],
        columns: ['Body'],
        principal: 'facl.Editor',
        workspace: 'facl.NotesWS',
        on: { kind: 'table', qnames: ['facl.Note'] },
      },
    });
    expect(res.json['reason']).toContain('Title');
    const rule = res.json['rule'] as { loc: { file: string; line: number }; text: string };
    expect(rule.loc.file).toContain('facl.vsql');
    expect(rule.text).toContain('GRANT UPDATE');
    expect(res.json['roles']).toContain('facl.Editor');
  });

  it('explains a REVOKE after a GRANT and an allowed field list', async () => {
    const res = await explain(owner, 'roles=facl.Auditor&privilege=select&resource=facl.Note');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ allowed: true, rule: { op: 'revoke', principal: 'facl.Auditor' } });
    expect(res.json['fields']).toEqual(expect.arrayContaining(['Title', 'Body', 'Author']));
    expect(res.json['fields']).not.toContain('Secret');
  });

  it('defaults to the caller’s own roles (expanded) and explains a missing rule', async () => {
    const mine = await explain(owner, 'privilege=deactivate&resource=facl.Person');
    expect(mine.json).toMatchObject({ allowed: true, fields: 'all', rule: { principal: 'facl.Admin' } });
    expect(mine.json['roles']).toEqual(expect.arrayContaining(['sys.WorkspaceOwner', 'facl.Admin']));
    const none = await explain(owner, 'roles=facl.Bot&privilege=insert&resource=facl.Note');
    expect(none.json).toMatchObject({ allowed: false, rule: null });
    expect(none.json['reason']).toContain('no rule');
  });

  it('is for the owner only and validates its parameters', async () => {
    const member = await engine.client('facl');
    await joinWorkspace(owner, member, wsid, ['facl.Reader']);
    expectError(await explain(member, 'privilege=select&resource=facl.Note'), 403);
    expectError(await explain(owner.withToken(null), 'privilege=select&resource=facl.Note'), 401);
    expectError(await explain(owner, 'privilege=drop&resource=facl.Note'), 400, { field: 'privilege' });
    expectError(await explain(owner, 'privilege=select'), 400, { field: 'resource' });
    expectError(await explain(owner, 'privilege=select&resource=facl.Note&roles=facl.Nope'), 400, {
      field: 'roles[0]',
    });
    expectError(await explain(owner, 'privilege=select&resource=facl.Note&bogus=1'), 400, { field: 'bogus' });
    expectError(await explain(owner, 'privilege=select&privilege=insert&resource=facl.Note'), 400);
  });
});
