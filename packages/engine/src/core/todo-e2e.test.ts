import { afterEach, describe, expect, it } from 'vitest';
import { createEngineCore, type EngineCoreHandle } from './engine-core.js';
import type { AppService } from './service.js';
import { ANONYMOUS, asUser, memResources, todoBundle } from './test-kit.test-util.js';

let core: EngineCoreHandle | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
});

async function setup(): Promise<{ app: AppService; wsid: number }> {
  core = await createEngineCore(memResources(), { projectorBackoffMs: { initial: 5, max: 20 } });
  const app = await core.loadApp(todoBundle());
  const { wsid } = await app.createWorkspace(asUser('alice'), {
    kind: 'todo.TodoWS',
    name: 'home',
    descriptor: { Title: 'Home' },
  });
  return { app, wsid };
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('todo end to end through AppService', () => {
  it('creates a workspace, inserts tasks, completes one, and the sync view and query follow', async () => {
    const { app, wsid } = await setup();
    const alice = asUser('alice');
    expect(core!.isReady()).toBe(true);
    expect(wsid % 2).toBe(wsid % app.partitions);
    const list = await app.listWorkspaces(alice);
    expect(list).toEqual([expect.objectContaining({ wsid, kind: 'todo.TodoWS', name: 'home', active: true })]);
    expect(list[0]!.roles).toEqual(expect.arrayContaining(['sys.WorkspaceOwner', 'todo.Member']));

    const t1 = await app.insertDoc(alice, wsid, 'todo.Task', {
      Title: 'a',
      Done: false,
      Priority: 1,
      Assignee: 'bob',
      Tags: [{ Name: 'x' }, { Name: 'y' }],
    });
    const id1 = t1.newIDs!['1']!;
    expect(id1).toBeGreaterThan(200_000);
    const t2 = await app.insertDoc(alice, wsid, 'todo.Task', { Title: 'b', Done: false, Priority: 2 });
    expect(t2.currentWLogOffset).toBe(t1.currentWLogOffset + 1);
    const done = await app.executeCommand(alice, wsid, 'todo.CompleteTask', { args: { TaskID: id1 } });
    expect(done.currentWLogOffset).toBe(t2.currentWLogOffset + 1);

    const stats = await app.readView(alice, wsid, 'todo.TaskStats', { where: { Board: 0 } });
    expect(stats.results).toEqual([
      { Board: 0, Priority: 1, Open: 0, Done: 1 },
      { Board: 0, Priority: 2, Open: 1, Done: 0 },
    ]);
    const q = await app.runQuery(alice, wsid, 'todo.Stats', undefined, {});
    expect(q.results).toEqual([{ Open: 1, Done: 1 }]);

    const doc = await app.getDoc(alice, wsid, 'todo.Task', id1, {});
    expect(doc).toMatchObject({
      'sys.ID': id1,
      'sys.QName': 'todo.Task',
      Title: 'a',
      Done: true,
      'sys.IsActive': true,
    });
    expect((doc.Tags as { Name: string }[]).map((t) => t.Name).sort()).toEqual(['x', 'y']);

    // Moving priority moves the count (the update's CUD carries the old value); deactivation removes it.
    await app.updateDoc(alice, wsid, 'todo.Task', t2.newIDs!['1']!, { Priority: 1 });
    await app.deactivateDoc(alice, wsid, 'todo.Task', id1);
    const after = await app.readView(alice, wsid, 'todo.TaskStats', { where: { Board: 0 }, order: ['-Priority'] });
    expect(after.results).toEqual([
      { Board: 0, Priority: 2, Open: 0, Done: 0 },
      { Board: 0, Priority: 1, Open: 1, Done: 0 },
    ]);
    const listed = await app.listCDocs(alice, wsid, 'todo.Task', { keys: ['Title'] });
    expect(listed.results).toEqual([{ Title: 'b' }]);
    // Re-activation adds it back.
    await app.executeCommand(alice, wsid, 'sys.CUD', { cuds: [{ 'sys.ID': id1, fields: { 'sys.IsActive': true } }] });
    expect((await app.runQuery(alice, wsid, 'todo.Stats', undefined, {})).results).toEqual([{ Open: 1, Done: 1 }]);

    // The async projector catches up.
    const load = await until(
      () => app.readView(alice, wsid, 'todo.AssigneeLoad', { where: { Board: 0 } }),
      (r) => r.results.length === 1,
    );
    expect(load.results).toEqual([{ Board: 0, Assignee: 'bob', OpenTasks: 0 }]);
  });

  it('notifies view changes through the broker', async () => {
    const { app, wsid } = await setup();
    const seen: number[] = [];
    const stop = core!.notifications.watch({ app: 'test/todo', view: 'todo.TaskStats', wsid }, (o) => seen.push(o));
    await app.insertDoc(asUser('alice'), wsid, 'todo.Task', { Title: 'a', Done: false, Priority: 1 });
    stop();
    expect(seen.length).toBe(1);
    const late: number[] = [];
    core!.notifications.watch({ app: 'test/todo', view: 'todo.TaskStats', wsid }, (o) => late.push(o))();
    expect(late).toEqual(seen);
  });

  it('answers 401 to anonymous callers and 403 to strangers', async () => {
    const { app, wsid } = await setup();
    const task = { Title: 'a', Done: false, Priority: 1 };
    await expect(app.insertDoc(ANONYMOUS, wsid, 'todo.Task', task)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(app.insertDoc(asUser('mallory'), wsid, 'todo.Task', task)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await expect(app.readView(ANONYMOUS, wsid, 'todo.TaskStats', { where: { Board: 0 } })).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(
      app.readView(asUser('mallory'), wsid, 'todo.TaskStats', { where: { Board: 0 } }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      app.createWorkspace(ANONYMOUS, { kind: 'todo.TodoWS', name: 'x', descriptor: { Title: 'x' } }),
    ).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    await expect(app.listWorkspaces(asUser('alice', 'other/app'))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await app.listWorkspaces(asUser('mallory'))).toEqual([]);
  });

  it('answers 410 for every request after a workspace is deactivated', async () => {
    const { app, wsid } = await setup();
    const alice = asUser('alice');
    await expect(app.deactivateWorkspace!(asUser('mallory'), wsid)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await app.deactivateWorkspace!(alice, wsid);
    await expect(
      app.insertDoc(alice, wsid, 'todo.Task', { Title: 'a', Done: false, Priority: 1 }),
    ).rejects.toMatchObject({ code: 'GONE' });
    await expect(app.readView(alice, wsid, 'todo.TaskStats', { where: { Board: 0 } })).rejects.toMatchObject({
      code: 'GONE',
    });
    await expect(app.runQuery(alice, wsid, 'todo.Stats', undefined, {})).rejects.toMatchObject({ code: 'GONE' });
    expect(await app.listWorkspaces(alice)).toEqual([expect.objectContaining({ wsid, active: false })]);
  });
});
