import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppDef } from './appdef.js';
import { compile, summariseAppDef } from './compile.js';

function loadTodo(): { path: string; source: string }[] {
  const candidates = [join(import.meta.dirname, '../../../examples/todo'), '/work/shared/vsql/todo'];
  const root = candidates.find((r) => existsSync(join(r, 'schema/todo.vsql')));
  if (!root) throw new Error('todo example not found');
  return [{ path: 'schema/todo.vsql', source: readFileSync(join(root, 'schema/todo.vsql'), 'utf8') }];
}

let appdef: AppDef;

beforeAll(() => {
  const r = compile(loadTodo());
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  appdef = r.appdef;
});

describe('todo example', () => {
  it('has workspace TodoWS with descriptor Board', () => {
    expect(appdef.name).toBe('todo');
    expect(appdef.workspaces['todo.TodoWS']).toMatchObject({
      abstract: false,
      descriptor: 'todo.Board',
      inherits: ['sys.Workspace'],
      ancestors: ['sys.Workspace'],
    });
    expect(appdef.tables['todo.Board']).toMatchObject({ kind: 'CDoc', singleton: true, descriptorOf: 'todo.TodoWS' });
  });

  it('has CDoc Task with a TaskTag CRecord container', () => {
    const task = appdef.tables['todo.Task']!;
    expect(task.kind).toBe('CDoc');
    expect(task.fields.filter((f) => !f.system).map((f) => [f.name, f.type.kind, f.required])).toEqual([
      ['Title', 'varchar', true],
      ['Done', 'bool', true],
      ['DueAt', 'timestamp', false],
      ['Priority', 'int32', true],
      ['Assignee', 'varchar', false],
    ]);
    expect(task.containers).toEqual([{ name: 'Tags', type: 'todo.TaskTag', minOccurs: 0, maxOccurs: 100 }]);
    expect(appdef.tables['todo.TaskTag']).toMatchObject({ kind: 'CRecord', parent: 'todo.Task' });
  });

  it('has types CompleteParams and StatsRow', () => {
    expect(appdef.objects['todo.CompleteParams']!.fields[0]).toMatchObject({
      name: 'TaskID',
      required: true,
      type: { kind: 'ref', refTargets: ['todo.Task'] },
    });
    expect(appdef.objects['todo.StatsRow']!.fields.map((f) => f.name)).toEqual(['Open', 'Done']);
  });

  it('has views TaskStats and AssigneeLoad with their keys', () => {
    expect(appdef.views['todo.TaskStats']).toMatchObject({
      partitionKey: ['Board'],
      clusteringColumns: ['Priority'],
      valueFields: ['Open', 'Done'],
      projector: 'todo.CountTasks',
    });
    expect(appdef.views['todo.AssigneeLoad']).toMatchObject({
      partitionKey: ['Board'],
      clusteringColumns: ['Assignee'],
      valueFields: ['OpenTasks'],
      projector: 'todo.CountByAssignee',
    });
  });

  it('has the WASM extensions (AssemblyScript in extensions/todo/)', () => {
    expect(appdef.extensions['todo.CompleteTask']).toMatchObject({
      kind: 'command',
      engine: 'wasm',
      param: 'todo.CompleteParams',
      result: 'void',
      state: [{ storage: 'sys.Record', entities: ['todo.Task'] }],
      intents: [{ storage: 'sys.Record', entities: ['todo.Task'] }],
    });
    expect(appdef.extensions['todo.Stats']).toMatchObject({ kind: 'query', param: 'void', result: 'todo.StatsRow' });
    expect(appdef.extensions['todo.CountTasks']).toMatchObject({
      kind: 'projector',
      sync: true,
      triggers: [
        { on: 'insert', targets: ['todo.Task'] },
        { on: 'update', targets: ['todo.Task'] },
      ],
      intents: [{ storage: 'sys.View', entities: ['todo.TaskStats'] }],
    });
    expect(appdef.extensions['todo.CountByAssignee']).toMatchObject({ kind: 'projector', sync: false });
  });

  it('has the ACL: Member inherited by sys.WorkspaceOwner, then six grants to Member', () => {
    const acl = appdef.workspaces['todo.TodoWS']!.acl;
    expect(acl).toHaveLength(7);
    expect(acl[0]).toMatchObject({
      op: 'grant',
      privileges: ['inherits'],
      on: { kind: 'role', qnames: ['todo.Member'] },
      principal: 'sys.WorkspaceOwner',
    });
    expect(acl[1]).toMatchObject({
      privileges: ['select', 'insert', 'update', 'activate', 'deactivate'],
      on: { kind: 'table', qnames: ['todo.Task'] },
      principal: 'todo.Member',
    });
    expect(acl[2]!.on.qnames).toEqual(['todo.TaskTag']);
    expect(acl.slice(3).map((r) => [r.privileges, r.on.kind, r.on.qnames])).toEqual([
      [['execute'], 'command', ['todo.CompleteTask']],
      [['execute'], 'query', ['todo.Stats']],
      [['select'], 'view', ['todo.TaskStats']],
      [['select'], 'view', ['todo.AssigneeLoad']],
    ]);
    expect(acl.every((r) => r.op === 'grant' && r.workspace === 'todo.TodoWS')).toBe(true);
  });

  it('summarises the app without sys', () => {
    const s = summariseAppDef(appdef);
    expect(s.counts).toEqual({ workspaces: 1, tables: 3, views: 2, extensions: 4, roles: 1 });
    expect(s.tables).toEqual(['todo.Board', 'todo.Task', 'todo.TaskTag']);
    expect(summariseAppDef(appdef, { includeSys: true }).counts.roles).toBeGreaterThan(5);
  });
});
