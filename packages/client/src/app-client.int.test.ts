// The client against a real engine child (mem, examples/todo): identity, workspaces, docs, cdocs,
// CUDs, command, query, view, OpenAPI, node probes — and every failure as a value.
import { randomBytes } from 'node:crypto';
import { AppError } from '@stoa/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, unwrap, type AppClient, type StoaClient } from './index.js';
import { freePort, startEngine, type EngineChild } from './engine-child.test-util.js';

interface Task {
  'sys.ID': number;
  'sys.QName': string;
  'sys.IsActive': boolean;
  Title: string;
  Done: boolean;
  Priority: number;
  Tags: { Name: string }[];
}

const unique = (): string => randomBytes(4).toString('hex');

describe('@stoa/client against an engine (todo)', () => {
  let engine: EngineChild;
  let node: StoaClient;
  /** Signed up and logged in through the client. */
  let user: AppClient;
  let wsid: number;

  beforeAll(async () => {
    engine = await startEngine(['examples/todo']);
    node = createClient({ baseUrl: engine.baseUrl });
    const anonymous = node.app('local', 'todo');
    const login = `ann.${unique()}@example.com`;
    const signedUp = unwrap(await anonymous.identity.signUp({ login, password: 'correct horse', displayName: 'Ann' }));
    expect(signedUp.login).toBe(login);
    const token = unwrap(await anonymous.identity.login({ login, password: 'correct horse' }));
    expect(token.profileWSID).toBe(signedUp.profileWSID);
    expect(token.principalToken.split('.')).toHaveLength(3);
    user = anonymous.withToken(token.principalToken);
    wsid = unwrap(await user.createWorkspace({ kind: 'todo.TodoWS', name: 'home', descriptor: { Title: 'Home' } }));
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('answers the node probes and the JWKS', async () => {
    expect(await node.healthz()).toEqual({ ok: true, value: { status: 'ok' } });
    expect(await node.readyz()).toEqual({ ok: true, value: { status: 'ready' } });
    const jwks = unwrap(await node.jwks());
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys[0]).toMatchObject({ kty: expect.any(String) as unknown, kid: expect.any(String) as unknown });
  });

  it('lists the created workspace with the owner role and serves the OpenAPI document', async () => {
    const list = unwrap(await user.listWorkspaces());
    expect(list).toContainEqual(expect.objectContaining({ wsid, kind: 'todo.TodoWS', name: 'home', active: true }));
    const doc = unwrap(await user.openapi());
    expect(doc['openapi']).toBe('3.1.0');
    expect(Object.keys(doc['paths'] as object)).toContain('/workspaces/{wsid}/commands/todo.CompleteTask');
  });

  it('inserts, gets, patches, lists and deactivates a task', async () => {
    const inserted = unwrap(
      await user.insertDoc(wsid, 'todo.Task', {
        'sys.ID': 1,
        Title: 'Write the client',
        Done: false,
        Priority: 1,
        Tags: [{ Name: 'ts' }],
      }),
    );
    const id = inserted.newIDs['1'];
    expect(id).toBeGreaterThan(200_000);
    expect(inserted.currentWLogOffset).toBeGreaterThan(0);

    const task = unwrap(await user.getDoc<Task>(wsid, 'todo.Task', id!));
    expect(task).toMatchObject({ 'sys.ID': id, 'sys.QName': 'todo.Task', Title: 'Write the client', Done: false });
    expect(task.Tags.map((t) => t.Name)).toEqual(['ts']);
    expect(unwrap(await user.getDoc(wsid, 'todo.Task', id!, { keys: ['Title', 'Priority'] }))).toEqual({
      Title: 'Write the client',
      Priority: 1,
    });

    const patched = unwrap(await user.patchDoc(wsid, 'todo.Task', id!, { Priority: 3 }));
    expect(patched.currentWLogOffset).toBeGreaterThan(inserted.currentWLogOffset);
    expect(unwrap(await user.getDoc<Task>(wsid, 'todo.Task', id!)).Priority).toBe(3);

    const second = unwrap(await user.insertDoc(wsid, 'todo.Task', { Title: 'Second', Done: false, Priority: 2 }));
    const secondId = second.newIDs['1']!;
    const byPriority = unwrap(
      await user.listCDocs<Task>(wsid, 'todo.Task', { where: { Priority: 3 }, keys: ['Title'], limit: 10 }),
    );
    expect(byPriority).toEqual([{ Title: 'Write the client' }]);
    const ordered = unwrap(await user.listCDocs<Task>(wsid, 'todo.Task', { order: ['-Priority'], limit: 1 }));
    expect(ordered.map((t) => t.Title)).toEqual(['Write the client']);
    const skipped = unwrap(await user.listCDocs<Task>(wsid, 'todo.Task', { order: ['-Priority'], skip: 1 }));
    expect(skipped.map((t) => t['sys.ID'])).toEqual([secondId]);

    const deactivated = unwrap(await user.deactivateDoc(wsid, 'todo.Task', secondId));
    expect(deactivated.currentWLogOffset).toBeGreaterThan(second.currentWLogOffset);
    expect(unwrap(await user.getDoc<Task>(wsid, 'todo.Task', secondId))['sys.IsActive']).toBe(false);
    // Re-activated through CUDs.
    const cud = unwrap(await user.cuds(wsid, [{ 'sys.ID': secondId, fields: { 'sys.IsActive': true } }]));
    expect(cud.currentWLogOffset).toBeGreaterThan(deactivated.currentWLogOffset);
    expect(unwrap(await user.getDoc<Task>(wsid, 'todo.Task', secondId))['sys.IsActive']).toBe(true);
  });

  it('executes CompleteTask, then reads todo.Stats and the TaskStats view', async () => {
    const ws = unwrap(await user.createWorkspace({ kind: 'todo.TodoWS', name: 'stats', descriptor: { Title: 'S' } }));
    const created = unwrap(
      await user.cuds(ws, [
        { fields: { 'sys.ID': 1, 'sys.QName': 'todo.Task', Title: 'a', Done: false, Priority: 1 } },
        { fields: { 'sys.ID': 2, 'sys.QName': 'todo.Task', Title: 'b', Done: false, Priority: 2 } },
      ]),
    );
    const taskId = created.newIDs?.['1'];
    expect(taskId).toEqual(expect.any(Number));
    const done = unwrap(await user.exec(ws, 'todo.CompleteTask', { args: { TaskID: taskId } }));
    expect(done.currentWLogOffset).toBeGreaterThan(created.currentWLogOffset);
    expect(unwrap(await user.getDoc<Task>(ws, 'todo.Task', taskId!)).Done).toBe(true);

    expect(unwrap(await user.query<{ Open: number; Done: number }>(ws, 'todo.Stats'))).toEqual([{ Open: 1, Done: 1 }]);
    const view = unwrap(await user.readView(ws, 'todo.TaskStats', { where: { Board: 0 } }));
    expect(view).toEqual([
      { Board: 0, Priority: 1, Open: 0, Done: 1 },
      { Board: 0, Priority: 2, Open: 1, Done: 0 },
    ]);
    const limited = unwrap(
      await user.readView(ws, 'todo.TaskStats', {
        where: { Board: 0 },
        order: ['-Priority'],
        limit: 1,
        keys: ['Open'],
      }),
    );
    expect(limited).toEqual([{ Open: 1 }]);
  });

  it('refreshes a token and changes a password', async () => {
    const anonymous = node.app('local', 'todo');
    const login = `bob.${unique()}`;
    unwrap(await anonymous.identity.signUp({ login, password: 'first-password', displayName: 'Bob' }));
    const first = unwrap(await anonymous.identity.login({ login, password: 'first-password' }));
    const refreshed = unwrap(await anonymous.withToken(first.principalToken).identity.refresh());
    expect(refreshed.expiresInSeconds).toBe(first.expiresInSeconds);
    expect(refreshed.profileWSID).toBe(first.profileWSID);

    const changed = await anonymous.identity.changePassword({
      login,
      oldPassword: 'first-password',
      newPassword: 'second-password',
    });
    expect(changed).toEqual({ ok: true, value: undefined });
    const old = await anonymous.identity.login({ login, password: 'first-password' });
    expect(old).toMatchObject({ ok: false, error: { kind: 'http', status: 401, code: 'UNAUTHENTICATED' } });
    expect((await anonymous.identity.login({ login, password: 'second-password' })).ok).toBe(true);

    const device = unwrap(await anonymous.identity.createDevice({ displayName: 'kiosk' }));
    expect(device.login).toMatch(/^device\.[0-9a-f]{32}$/);
    expect((await anonymous.identity.login(device)).ok).toBe(true);
  });

  describe('failures as values', () => {
    it('401 UNAUTHENTICATED without a token', async () => {
      const res = await user.withToken(undefined).listCDocs(wsid, 'todo.Task');
      expect(res.ok).toBe(false);
      if (res.ok) return;
      expect(res.error).toMatchObject({ kind: 'http', status: 401, code: 'UNAUTHENTICATED' });
      expect(res.error.kind === 'http' && res.error.message.length > 0).toBe(true);
    });

    it('404 NOT_FOUND from the extension with its message and qname', async () => {
      const res = await user.exec(wsid, 'todo.CompleteTask', { args: { TaskID: 999_999_999 } });
      expect(res).toEqual({
        ok: false,
        error: expect.objectContaining({
          kind: 'http',
          status: 404,
          code: 'NOT_FOUND',
          message: 'task 999999999 not found',
          qname: 'todo.CompleteTask',
        }) as unknown,
      });
    });

    it('400 naming the field of a bad insert and of a bad where', async () => {
      const res = await user.insertDoc(wsid, 'todo.Task', { Title: 'x', Done: 'no', Priority: 1 });
      expect(res).toMatchObject({
        ok: false,
        error: { kind: 'http', status: 400, code: 'BAD_REQUEST', field: 'Done' },
      });
      expect(!res.ok && res.error.kind === 'http' ? res.error.data : undefined).toMatchObject({ field: 'Done' });
      const where = await user.readView(wsid, 'todo.TaskStats', { where: { Priority: 1 } });
      expect(where).toMatchObject({
        ok: false,
        error: { status: 400, field: expect.stringMatching(/Board/) as unknown },
      });
    });

    it('unwrap throws an AppError with the code, qname and data', async () => {
      const res = await user.exec(wsid, 'todo.CompleteTask', { args: { TaskID: 999_999_998 } });
      let thrown: unknown;
      try {
        unwrap(res);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect(thrown).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404, qname: 'todo.CompleteTask' });
      expect((thrown as AppError).message).toBe('task 999999998 not found');
    });

    it('network error on a closed port, never a rejection', async () => {
      const port = await freePort();
      const closed = createClient({ baseUrl: `http://127.0.0.1:${port}` });
      const res = await closed.healthz();
      expect(res.ok).toBe(false);
      if (res.ok) return;
      expect(res.error).toMatchObject({ kind: 'network', timedOut: false });
      expect(res.error.message).toContain(`GET http://127.0.0.1:${port}/healthz`);
      expect(res.error.message).toContain('ECONNREFUSED');
      expect(() => unwrap(res)).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }) as Error);
    });

    it('network error with timedOut when timeoutMs elapses', async () => {
      // A fetch that never answers but honours the abort signal, as the global fetch does.
      const hanging = (_url: string, init: RequestInit): Promise<Response> =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error));
        });
      const slow = createClient({ baseUrl: engine.baseUrl, fetch: hanging, timeoutMs: 50 });
      const res = await slow.healthz();
      expect(res).toMatchObject({ ok: false, error: { kind: 'network', timedOut: true } });
      expect(!res.ok && res.error.message).toContain('timed out after 50 ms');
    });

    it('invalid-response when a 2xx body is not JSON', async () => {
      const html = (): Promise<Response> => Promise.resolve(new Response('<html>proxy</html>', { status: 200 }));
      const res = await createClient({ baseUrl: engine.baseUrl, fetch: html }).readyz();
      expect(res).toMatchObject({ ok: false, error: { kind: 'invalid-response', status: 200 } });
    });
  });
});
