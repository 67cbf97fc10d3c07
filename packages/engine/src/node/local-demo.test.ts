import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAppFromFolder } from '../app/folder-loader.js';
import type { AppService, CallContext, CreateWorkspaceInput, WorkspaceInfo } from '../core/service.js';
import type { DemoWorkspaceRecord } from './sys-store.js';
import {
  buildDescriptor,
  buildInsertExample,
  ensureLocalDemo,
  formatLocalDemo,
  pickDemoWorkspaceKind,
} from './local-demo.js';
import type { LocalDemoDeps } from './local-demo.js';

const TODO_DIR = join(import.meta.dirname, '../../../../examples/todo');
let appdef: AppService['appdef'];

beforeAll(async () => {
  appdef = (await loadAppFromFolder(TODO_DIR, { dev: true })).appdef;
});

/** Just enough of an AppService: workspaces per owner subject. */
function fakeService(): AppService & { created: { ctx: CallContext; input: CreateWorkspaceInput }[] } {
  const workspaces: (WorkspaceInfo & { owner: string })[] = [];
  const created: { ctx: CallContext; input: CreateWorkspaceInput }[] = [];
  const unused = (): never => {
    throw new Error('not used by the local demo');
  };
  return {
    owner: 'local',
    name: 'todo',
    appdef,
    partitions: 4,
    versionHash: 'x',
    created,
    createWorkspace(ctx, input) {
      created.push({ ctx, input });
      const wsid = 1000 + workspaces.length;
      workspaces.push({
        wsid,
        kind: input.kind,
        name: input.name,
        roles: ['sys.WorkspaceOwner'],
        active: true,
        owner: ctx.principal!.subject,
      });
      return Promise.resolve({ wsid });
    },
    listWorkspaces(ctx) {
      return Promise.resolve(workspaces.filter((w) => w.owner === ctx.principal?.subject));
    },
    executeCommand: unused,
    insertDoc: unused,
    updateDoc: unused,
    deactivateDoc: unused,
    getDoc: unused,
    listCDocs: unused,
    runQuery: unused,
    readView: unused,
    authorizeSubscription: unused,
  };
}

function fakeDeps(): LocalDemoDeps & { stored: Map<string, DemoWorkspaceRecord> } {
  const stored = new Map<string, DemoWorkspaceRecord>();
  let n = 0;
  return {
    stored,
    getDemoWorkspace: (app) => Promise.resolve(stored.get(app)),
    putDemoWorkspace: (app, record) => {
      stored.set(app, record);
      return Promise.resolve();
    },
    issueToken: (input) =>
      Promise.resolve({ token: `tok-${input.subject}-${++n}`, expiresInSeconds: input.ttlSeconds }),
    now: () => 1_700_000_000_000,
  };
}

describe('local demo', () => {
  it('picks todo.TodoWS with descriptor { Title: "Demo board" } and a Task example', () => {
    expect(pickDemoWorkspaceKind(appdef)).toBe('todo.TodoWS');
    expect(buildDescriptor(appdef, 'todo.TodoWS', 0)).toEqual({ Title: 'Demo board' });
    expect(buildInsertExample(appdef, 'todo.TodoWS', 0)).toEqual({
      table: 'todo.Task',
      body: { Title: 'Try Stoa', Done: false, Priority: 1 },
    });
  });

  it('creates the workspace as the dev principal once, then reuses it', async () => {
    const service = fakeService();
    const deps = fakeDeps();
    const first = await ensureLocalDemo(service, deps);
    expect(first).toMatchObject({
      app: 'local/todo',
      wsid: 1000,
      kind: 'todo.TodoWS',
      reused: false,
      token: 'tok-dev-1',
    });
    expect(service.created).toHaveLength(1);
    expect(service.created[0]!.ctx.principal).toMatchObject({ kind: 'user', subject: 'dev', app: 'local/todo' });
    expect(service.created[0]!.input).toEqual({
      kind: 'todo.TodoWS',
      name: 'demo',
      descriptor: { Title: 'Demo board' },
    });
    expect(deps.stored.get('local/todo')).toEqual({ wsid: 1000, kind: 'todo.TodoWS' });

    const second = await ensureLocalDemo(service, deps);
    expect(second).toMatchObject({ wsid: 1000, reused: true, token: 'tok-dev-2' });
    expect(service.created).toHaveLength(1);

    // Forgotten (crash before remembering): the workspace named `demo` is adopted.
    deps.stored.clear();
    expect(await ensureLocalDemo(service, deps)).toMatchObject({ wsid: 1000, reused: true });
    expect(deps.stored.get('local/todo')?.wsid).toBe(1000);
  });

  it('prints the token and a curl line for the demo workspace', async () => {
    const demo = (await ensureLocalDemo(fakeService(), fakeDeps()))!;
    const lines = formatLocalDemo(demo, 'http://127.0.0.1:8080');
    expect(lines).toContain('  export TOKEN=tok-dev-1');
    expect(lines).toContain(
      `  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -X POST http://127.0.0.1:8080/api/v2/apps/local/todo/workspaces/1000/docs/todo.Task -d '{"Title":"Try Stoa","Done":false,"Priority":1}'`,
    );
  });
});
