import { createMemDriver, createStorageProvider } from '@stoa/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppStore } from '../store/app-store.js';
import { createEngineCore, type EngineCoreHandle } from './engine-core.js';
import type { AppService, CudInput } from './service.js';
import { asUser, memResources, todoBundle } from './test-kit.test-util.js';

let core: EngineCoreHandle;
let app: AppService;
let wsid: number;
let other: number;
const alice = asUser('alice');
const task = { Title: 't', Done: false, Priority: 1 };

const provider = createStorageProvider(createMemDriver());

beforeAll(async () => {
  core = await createEngineCore(memResources({ storage: provider }), { extensionTimeoutMs: 200 });
  app = await core.loadApp(todoBundle());
  wsid = (await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'v', descriptor: { Title: 'V' } })).wsid;
  other = (await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'w', descriptor: { Title: 'W' } })).wsid;
});
afterAll(() => core.close());

const cud = (cuds: CudInput[]) => app.executeCommand(alice, wsid, 'sys.CUD', { cuds });

describe('CUD validation', () => {
  it.each([
    ['unknown field', { Title: 't', Done: false, Priority: 1, Nope: 1 }, 'Nope'],
    ['wrong type', { Title: 't', Done: 'yes', Priority: 1 }, 'Done'],
    ['required missing', { Title: 't', Done: false }, 'Priority'],
    ['varchar too long', { Title: 'x'.repeat(201), Done: false, Priority: 1 }, 'Title'],
    ['pattern', { ...task, Code: 'abc' }, 'Code'],
    ['int32 out of range', { ...task, Priority: 2 ** 31 }, 'Priority'],
    ['int64 not integer', { ...task, DueAt: 1.5 }, 'DueAt'],
    ['int64 beyond range', { ...task, DueAt: '99999999999999999999' }, 'DueAt'],
    ['ref to missing record', { ...task, Ref: 999_999 }, 'Ref'],
    ['ref to undefined raw id', { ...task, Ref: 77 }, 'Ref'],
    ['nested unknown field', { ...task, Tags: [{ Name: 'a', X: 1 }] }, 'X'],
  ])('rejects %s with 400 naming the field', async (_name, fields, field) => {
    const err = await app.insertDoc(alice, wsid, 'todo.Task', fields).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', data: { field } });
    expect((err as Error).message).toContain(field);
  });

  it('rejects int8 range per kind and accepts int64 as decimal strings, returning numbers when safe', async () => {
    await expect(app.insertDoc(alice, wsid, 'todo.Note', { Text: 'n', Small: 128 })).rejects.toMatchObject({
      data: { field: 'Small' },
    });
    const r = await app.insertDoc(alice, wsid, 'todo.Task', { ...task, DueAt: '1700000000000' });
    const big = await app.insertDoc(alice, wsid, 'todo.Task', { ...task, DueAt: '9007199254740993' });
    expect((await app.getDoc(alice, wsid, 'todo.Task', r.newIDs!['1']!, {})).DueAt).toBe(1_700_000_000_000);
    expect((await app.getDoc(alice, wsid, 'todo.Task', big.newIDs!['1']!, {})).DueAt).toBe('9007199254740993');
  });

  it('rejects a ref to a record of the wrong table', async () => {
    const note = await app.insertDoc(alice, wsid, 'todo.Note', { Text: 'n' });
    await expect(app.insertDoc(alice, wsid, 'todo.Task', { ...task, Ref: note.newIDs!['1']! })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      data: { field: 'Ref' },
    });
  });

  it('maps raw ids, rewrites refs to them and rejects duplicates with 409', async () => {
    const r = await cud([
      { fields: { 'sys.ID': 1, 'sys.QName': 'todo.Task', ...task } },
      { fields: { 'sys.ID': 2, 'sys.QName': 'todo.Task', ...task, Ref: 1 } },
      { fields: { 'sys.ID': 3, 'sys.QName': 'todo.TaskTag', 'sys.ParentID': 1, 'sys.Container': 'Tags', Name: 'x' } },
    ]);
    const ids = r.newIDs!;
    expect(Object.keys(ids).sort()).toEqual(['1', '2', '3']);
    expect((await app.getDoc(alice, wsid, 'todo.Task', ids['2']!, {})).Ref).toBe(ids['1']);
    expect((await app.getDoc(alice, wsid, 'todo.Task', ids['1']!, {})).Tags).toEqual([
      expect.objectContaining({ Name: 'x', 'sys.ParentID': ids['1'] }),
    ]);
    await expect(
      cud([
        { fields: { 'sys.ID': 5, 'sys.QName': 'todo.Task', ...task } },
        { fields: { 'sys.ID': 5, 'sys.QName': 'todo.Task', ...task } },
      ]),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(cud([{ fields: { 'sys.ID': 70_000, 'sys.QName': 'todo.Task', ...task } }])).rejects.toMatchObject({
      data: { field: 'sys.ID' },
    });
  });

  it('rejects a second singleton with 409 and a bad container link with 400', async () => {
    await expect(cud([{ fields: { 'sys.ID': 1, 'sys.QName': 'todo.Board', Title: 'again' } }])).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(cud([{ fields: { 'sys.ID': 1, 'sys.QName': 'todo.TaskTag', Name: 'orphan' } }])).rejects.toMatchObject(
      { data: { field: 'sys.ParentID' } },
    );
  });

  it('enforces UNIQUE with 409, also within one request, and frees the value when it changes', async () => {
    const a = await app.insertDoc(alice, wsid, 'todo.Task', { ...task, Code: 'ABC' });
    await expect(app.insertDoc(alice, wsid, 'todo.Task', { ...task, Code: 'ABC' })).rejects.toMatchObject({
      code: 'CONFLICT',
      data: { field: 'Code' },
    });
    await expect(
      cud([
        { fields: { 'sys.ID': 1, 'sys.QName': 'todo.Task', ...task, Code: 'DUP' } },
        { fields: { 'sys.ID': 2, 'sys.QName': 'todo.Task', ...task, Code: 'DUP' } },
      ]),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await app.updateDoc(alice, wsid, 'todo.Task', a.newIDs!['1']!, { Code: 'XYZ' });
    await app.insertDoc(alice, wsid, 'todo.Task', { ...task, Code: 'ABC' });
    // Another workspace has its own unique index.
    await app.insertDoc(alice, other, 'todo.Task', { ...task, Code: 'XYZ' });
  });

  it('answers 404 for unknown records and tables, 405 for ODocs through docs/CUDs', async () => {
    await expect(app.updateDoc(alice, wsid, 'todo.Task', 999_999, { Title: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(app.insertDoc(alice, wsid, 'todo.Nope', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(app.getDoc(alice, wsid, 'todo.Task', 999_999, {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(app.insertDoc(alice, wsid, 'todo.Receipt', { TaskID: 1, Amount: 1 })).rejects.toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
    });
    await expect(
      cud([{ fields: { 'sys.ID': 1, 'sys.QName': 'todo.Receipt', TaskID: 1, Amount: 1 } }]),
    ).rejects.toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    const note = await app.insertDoc(alice, wsid, 'todo.Note', { Text: 'n' });
    await expect(app.updateDoc(alice, wsid, 'todo.Task', note.newIDs!['1']!, { Title: 'x' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('rejects activation combined with other changes, and more than 100 CUDs', async () => {
    const a = await app.insertDoc(alice, wsid, 'todo.Task', task);
    await expect(
      cud([{ 'sys.ID': a.newIDs!['1']!, fields: { 'sys.IsActive': false, Title: 'x' } }]),
    ).rejects.toMatchObject({ data: { field: 'sys.IsActive' } });
    const many = Array.from({ length: 101 }, (_, i) => ({
      fields: { 'sys.ID': i + 1, 'sys.QName': 'todo.Note', Text: 'n' },
    }));
    await expect(cud(many)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('rejects CUDs on other commands and args on void commands', async () => {
    await expect(app.executeCommand(alice, wsid, 'todo.Boom', { cuds: [{ fields: {} }] })).rejects.toMatchObject({
      data: { field: 'cuds' },
    });
    await expect(app.executeCommand(alice, wsid, 'todo.Boom', { args: { a: 1 } })).rejects.toMatchObject({
      data: { field: 'args' },
    });
    await expect(app.executeCommand(alice, wsid, 'todo.Nope', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('commands and extensions', () => {
  it('completes a task; 404 from the extension for a missing one; 400 for a ref of the wrong table', async () => {
    const a = await app.insertDoc(alice, wsid, 'todo.Task', task);
    await app.executeCommand(alice, wsid, 'todo.CompleteTask', { args: { TaskID: a.newIDs!['1']! } });
    expect((await app.getDoc(alice, wsid, 'todo.Task', a.newIDs!['1']!, {})).Done).toBe(true);
    await expect(
      app.executeCommand(alice, wsid, 'todo.CompleteTask', { args: { TaskID: 888_888 } }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const note = await app.insertDoc(alice, wsid, 'todo.Note', { Text: 'n' });
    await expect(
      app.executeCommand(alice, wsid, 'todo.CompleteTask', { args: { TaskID: note.newIDs!['1']! } }),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      data: { field: 'TaskID' },
    });
    await expect(app.executeCommand(alice, wsid, 'todo.CompleteTask', { args: {} })).rejects.toMatchObject({
      data: { field: 'TaskID' },
    });
  });

  it('fails with 500 naming the extension: throws, undeclared state, timeouts', async () => {
    await expect(app.executeCommand(alice, wsid, 'todo.Boom', {})).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'extension todo.Boom failed: kaboom',
    });
    await expect(app.executeCommand(alice, wsid, 'todo.Sneaky', {})).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'todo.Sneaky may not read sys.View(todo.TaskStats): not in its STATE',
    });
    await expect(app.executeCommand(alice, wsid, 'todo.Hang', {})).rejects.toMatchObject({
      code: 'INTERNAL',
      message: 'extension todo.Hang timed out after 200 ms',
    });
    // The partition keeps working after a timed-out extension.
    await app.insertDoc(alice, wsid, 'todo.Note', { Text: 'after' });
  });

  it('never stores unlogged args in clear', async () => {
    const a = await app.insertDoc(alice, wsid, 'todo.Task', task);
    const r = await app.executeCommand(alice, wsid, 'todo.Pay', {
      args: { TaskID: a.newIDs!['1']! },
      unloggedArgs: { Pin: 'S3CRET-PIN' },
    });
    expect(r.result).toEqual({ pinLength: 10 });
    const store = new AppStore(await provider.openApp('test/todo'));
    let events = 0;
    for await (const e of store.readWLog(wsid, 1)) {
      events++;
      if (e.qname === 'todo.Pay') expect(e.unlogged).toEqual({ Pin: '***' });
    }
    expect(events).toBeGreaterThan(3);
    for (let p = 0; p < app.partitions; p++) {
      for await (const row of store.readPLog(p, 1)) {
        for (const bytes of row.events) expect(Buffer.from(bytes).includes('S3CRET-PIN')).toBe(false);
      }
    }
  });

  it('stores an ODoc command argument with its records and fires WITH PARAM projectors', async () => {
    const a = await app.insertDoc(alice, wsid, 'todo.Task', task);
    const r = await app.executeCommand(alice, wsid, 'todo.AddReceipt', {
      args: { 'sys.ID': 1, TaskID: a.newIDs!['1']!, Amount: 5, Lines: [{ Qty: 1 }, { Qty: 2 }] },
    });
    const id = r.newIDs!['1']!;
    const doc = await app.getDoc(alice, wsid, 'todo.Receipt', id, {});
    expect(doc).toMatchObject({ Amount: 5, TaskID: a.newIDs!['1'] });
    expect((doc.Lines as unknown[]).length).toBe(2);
    await app.executeCommand(alice, wsid, 'todo.AddReceipt', { args: { TaskID: a.newIDs!['1']!, Amount: 7 } });
    expect((await app.readView(alice, wsid, 'todo.Receipts', { where: { Board: 0 } })).results).toEqual([
      { Board: 0, K: 0, Total: 12 },
    ]);
  });

  it('requires the full partition key on view reads and supports $in, order, skip, limit, keys', async () => {
    await expect(app.readView(alice, other, 'todo.TaskStats', { where: {} })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      data: { field: 'Board' },
    });
    for (const p of [-5, 3, 0, -1]) await app.insertDoc(alice, other, 'todo.Task', { ...task, Priority: p });
    const rows = await app.readView(alice, other, 'todo.TaskStats', { where: { Board: { $in: [0, 1] } } });
    expect(rows.results.map((r) => r.Priority)).toEqual([-5, -1, 0, 1, 3]);
    const page = await app.readView(alice, other, 'todo.TaskStats', {
      where: { Board: 0 },
      order: ['-Priority'],
      skip: 1,
      limit: 2,
      keys: ['Priority'],
    });
    expect(page.results).toEqual([{ Priority: 1 }, { Priority: 0 }]);
    const one = await app.readView(alice, other, 'todo.TaskStats', { where: { Board: 0, Priority: -1 } });
    expect(one.results).toEqual([{ Board: 0, Priority: -1, Open: 1, Done: 0 }]);
  });
});
