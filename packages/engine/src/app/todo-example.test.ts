// The todo example's WASM module (examples/todo/extensions/todo/, AssemblyScript) run by the WASM
// host against an in-memory ExtensionContext: checks BEHAVIOUR.md without the processing core.
import { join } from 'node:path';
import type { AppDef } from '@stoa/vsql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CudView, ExtensionContext, LoadedExtensions, RecordValue, ViewRow } from '../extensions/host.js';
import { createWasmHost } from '../extensions/wasm/wasm-host.js';
import { loadAppFromFolder } from './folder-loader.js';

let loaded: LoadedExtensions;
let appdef: AppDef;

beforeAll(async () => {
  const bundle = await loadAppFromFolder(join(import.meta.dirname, '../../../../examples/todo'));
  loaded = await createWasmHost().load(bundle);
  appdef = bundle.appdef;
}, 60_000);

afterAll(async () => {
  await loaded.dispose();
});

/** A tiny workspace: records by id, view rows by JSON key; intents applied after each call. */
class FakeWorkspace {
  readonly records = new Map<number, Record<string, unknown>>();
  readonly views = new Map<string, Map<string, ViewRow>>();
  nextId = 1000;

  insertTask(fields: Record<string, unknown>): CudView {
    const id = this.nextId++;
    this.records.set(id, { 'sys.ID': id, 'sys.QName': 'todo.Task', 'sys.IsActive': true, ...fields });
    return { table: 'todo.Task', id, isNew: true, fields: { 'sys.IsActive': true, ...fields } };
  }

  updateTask(id: number, fields: Record<string, unknown>): CudView {
    const record = this.records.get(id)!;
    const oldFields = Object.fromEntries(Object.keys(fields).map((k) => [k, record[k]]));
    Object.assign(record, fields);
    return { table: 'todo.Task', id, isNew: false, fields, oldFields };
  }

  viewRows(view: string): ViewRow[] {
    return [...(this.views.get(view)?.values() ?? [])];
  }

  async run(qname: string, options: { arg?: Record<string, unknown>; cuds?: CudView[] } = {}) {
    const results: Record<string, unknown>[] = [];
    const responses: { status: number; message: string }[] = [];
    const updates: { id: number; fields: Record<string, unknown> }[] = [];
    const puts: { view: string; row: ViewRow }[] = [];
    const keyOf = (view: string, row: Readonly<Record<string, unknown>>): string => {
      const def = appdef.views[view]!;
      return JSON.stringify([...def.partitionKey, ...def.clusteringColumns].map((k) => row[k]));
    };
    const ctx: ExtensionContext = {
      qname,
      kind: appdef.extensions[qname]!.kind,
      appdef,
      wsid: 1,
      partition: 1,
      arg: options.arg,
      unloggedArg: undefined,
      event:
        options.cuds === undefined
          ? undefined
          : {
              qname: 'sys.CUD',
              wsid: 1,
              plogOffset: 1,
              wlogOffset: 1,
              registeredAt: 0,
              arg: undefined,
              cuds: options.cuds,
            },
      now: 0,
      state: {
        getRecord: (id) => Promise.resolve<RecordValue | undefined>(this.records.get(id)),
        getView: (view, key) => Promise.resolve(this.views.get(view)?.get(keyOf(view, key))),
        readView: async function* (this: void, view, prefix) {
          await Promise.resolve();
          yield* [...(views.get(view)?.values() ?? [])].filter((row) =>
            Object.entries(prefix).every(([k, v]) => row[k] === v),
          );
        },
        getAppSecret: () => Promise.resolve(undefined),
      },
      intents: {
        insertRecord: () => {
          throw new Error('unexpected insertRecord');
        },
        updateRecord: (id, fields) => updates.push({ id, fields: { ...fields } }),
        putView: (view, row) => puts.push({ view, row }),
        result: (row) => results.push({ ...row }),
        response: (status, message) => responses.push({ status, message }),
      },
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    };
    const views = this.views;
    await loaded.invoke(qname, ctx);
    for (const { view, row } of puts) {
      let rows = this.views.get(view);
      if (rows === undefined) this.views.set(view, (rows = new Map<string, ViewRow>()));
      rows.set(keyOf(view, row), row);
    }
    return { results, responses, updates, puts };
  }

  /** Runs both projectors over one event, as the core would. */
  async project(...cuds: CudView[]): Promise<void> {
    await this.run('todo.CountTasks', { cuds });
    await this.run('todo.CountByAssignee', { cuds });
  }

  async stats(): Promise<Record<string, unknown>> {
    const { results } = await this.run('todo.Stats');
    expect(results).toHaveLength(1);
    return results[0]!;
  }
}

function byPriority(ws: FakeWorkspace): Record<number, [number, number]> {
  const out: Record<number, [number, number]> = {};
  for (const row of ws.viewRows('todo.TaskStats'))
    out[row['Priority'] as number] = [row['Open'] as number, row['Done'] as number];
  return out;
}

function byAssignee(ws: FakeWorkspace): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of ws.viewRows('todo.AssigneeLoad')) out[row['Assignee'] as string] = row['OpenTasks'] as number;
  return out;
}

describe('examples/todo WASM extensions', () => {
  it('CountTasks and CountByAssignee count inserts, also several in one event', async () => {
    const ws = new FakeWorkspace();
    await ws.project(
      ws.insertTask({ Title: 'a', Done: false, Priority: 1, Assignee: 'ann' }),
      ws.insertTask({ Title: 'b', Done: false, Priority: 1, Assignee: 'ann' }),
      ws.insertTask({ Title: 'c', Done: true, Priority: 2, Assignee: 'bob' }),
    );
    await ws.project(ws.insertTask({ Title: 'd', Done: false, Priority: 2 }));
    expect(byPriority(ws)).toEqual({ 1: [2, 0], 2: [1, 1] });
    expect(byAssignee(ws)).toEqual({ ann: 2 });
    expect(ws.viewRows('todo.TaskStats').every((r) => r['Board'] === 0)).toBe(true);
    expect(await ws.stats()).toEqual({ Open: 3, Done: 1 });
  });

  it('moves counts on updates of Done, Priority and Assignee using the old values', async () => {
    const ws = new FakeWorkspace();
    const a = ws.insertTask({ Title: 'a', Done: false, Priority: 1, Assignee: 'ann' });
    await ws.project(a);
    await ws.project(ws.updateTask(a.id, { Priority: 3 }));
    expect(byPriority(ws)).toEqual({ 1: [0, 0], 3: [1, 0] });
    await ws.project(ws.updateTask(a.id, { Assignee: 'bob' }));
    expect(byAssignee(ws)).toEqual({ ann: 0, bob: 1 });
    await ws.project(ws.updateTask(a.id, { Done: true }));
    expect(byPriority(ws)).toEqual({ 1: [0, 0], 3: [0, 1] });
    expect(byAssignee(ws)).toEqual({ ann: 0, bob: 0 });
    await ws.project(ws.updateTask(a.id, { Title: 'renamed' }));
    await ws.project(ws.updateTask(a.id, { Done: true }));
    expect(byPriority(ws)).toEqual({ 1: [0, 0], 3: [0, 1] });
    await ws.project(ws.updateTask(a.id, { Done: false, Priority: 2 }));
    expect(byPriority(ws)).toEqual({ 1: [0, 0], 2: [1, 0], 3: [0, 0] });
    expect(byAssignee(ws)).toEqual({ ann: 0, bob: 1 });
  });

  it('deactivation removes a task from the counts, re-activation adds it back', async () => {
    const ws = new FakeWorkspace();
    const a = ws.insertTask({ Title: 'a', Done: false, Priority: 1, Assignee: 'ann' });
    const b = ws.insertTask({ Title: 'b', Done: true, Priority: 1 });
    await ws.project(a, b);
    await ws.project(ws.updateTask(a.id, { 'sys.IsActive': false }));
    expect(byPriority(ws)).toEqual({ 1: [0, 1] });
    expect(byAssignee(ws)).toEqual({ ann: 0 });
    await ws.project(ws.updateTask(a.id, { 'sys.IsActive': true }));
    expect(byPriority(ws)).toEqual({ 1: [1, 1] });
    expect(byAssignee(ws)).toEqual({ ann: 1 });
    // Without old values recorded for sys.IsActive, a change of it is still a flip.
    ws.records.get(b.id)!['sys.IsActive'] = false;
    await ws.project({ table: 'todo.Task', id: b.id, isNew: false, fields: { 'sys.IsActive': false } });
    expect(byPriority(ws)).toEqual({ 1: [1, 0] });
  });

  it('ignores CUDs of other tables', async () => {
    const ws = new FakeWorkspace();
    await ws.project({ table: 'todo.TaskTag', id: 5, isNew: true, fields: { Name: 'x' } });
    expect(ws.viewRows('todo.TaskStats')).toEqual([]);
    expect(await ws.stats()).toEqual({ Open: 0, Done: 0 });
  });

  it('CompleteTask sets Done, is a no-op on a done task, 404 for a missing or non-Task record', async () => {
    const ws = new FakeWorkspace();
    const a = ws.insertTask({ Title: 'a', Done: false, Priority: 1 });
    expect((await ws.run('todo.CompleteTask', { arg: { TaskID: a.id } })).updates).toEqual([
      { id: a.id, fields: { Done: true } },
    ]);
    ws.records.get(a.id)!['Done'] = true;
    const again = await ws.run('todo.CompleteTask', { arg: { TaskID: a.id } });
    expect(again.updates).toEqual([]);
    expect(again.responses).toEqual([]);
    const missing = await ws.run('todo.CompleteTask', { arg: { TaskID: 999_999 } });
    expect(missing.responses).toEqual([{ status: 404, message: 'task 999999 not found' }]);
    expect(missing.updates).toEqual([]);
    ws.records.set(7, { 'sys.ID': 7, 'sys.QName': 'todo.TaskTag', Name: 'x' });
    expect((await ws.run('todo.CompleteTask', { arg: { TaskID: 7 } })).responses[0]?.status).toBe(404);
  });
});
