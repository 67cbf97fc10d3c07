// Identity over real HTTP (issue 5, part A): sign-up → login → a workspace of one's own, the
// sys.Login record in the app workspace (event-sourced, hash never in clear), devices, refresh,
// password change, deactivation, and the uniform 401.
import { issuePrincipalToken } from '@stoa/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, Reply, TestEngine } from './support/harness.js';
import { ApiClient as Client, TODO_DIR, expectError, startTestEngine, unique } from './support/harness.js';

const FAILED = 'login or password is incorrect';

describe.each(['mem', 'lmdb'] as const)('identity over HTTP (%s)', (storage) => {
  let engine: TestEngine;
  let anon: ApiClient;

  beforeAll(async () => {
    engine = await startTestEngine({
      storage,
      apps: [TODO_DIR],
      // Generous throttles: this file checks credentials many times from one IP (throttling has
      // its own file); the scrypt cost stays the production default.
      coreOptions: {
        identity: {
          loginFailures: { limit: 1000, windowMs: 60_000 },
          ipFailures: { limit: 1000, windowMs: 60_000 },
          signUpsPerIp: { limit: 1000, windowMs: 60_000 },
        },
      },
    });
    anon = new Client(engine.baseUrl, '/api/v2/apps/local/todo', null);
  });
  afterAll(async () => {
    await engine?.close();
  });

  const signUp = async (login = `user.${unique()}@example.com`, password = 'correct horse'): Promise<string> => {
    const res = await anon.post('/users', { login, password, displayName: 'Ann Example' });
    expect(res.status, res.text).toBe(201);
    return login;
  };
  const login = (login: string, password: string): Promise<Reply> => anon.post('/auth/login', { login, password });
  const tokenOf = async (name: string, password = 'correct horse'): Promise<string> => {
    const res = await login(name, password);
    expect(res.status, res.text).toBe(200);
    return res.json['principalToken'] as string;
  };
  const systemToken = async (): Promise<string> =>
    (
      await issuePrincipalToken(engine.engine.ring, {
        app: 'local/todo',
        subject: 'sys',
        kind: 'system',
        profileWSID: 0,
      })
    ).token;

  it('signs up, logs in and works in a workspace the user creates', async () => {
    const name = `ann.${unique()}@example.com`;
    const created = await anon.post('/users', { login: name, password: 'correct horse', displayName: 'Ann' });
    expect(created.status, created.text).toBe(201);
    expect(Object.keys(created.json).sort()).toEqual(['login', 'profileWSID']);
    expect(created.json['login']).toBe(name);
    const profileWSID = created.json['profileWSID'] as number;
    expect(Number.isSafeInteger(profileWSID) && profileWSID > 0).toBe(true);

    const res = await login(name, 'correct horse');
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json).toMatchObject({ expiresInSeconds: 3600, profileWSID });
    const token = res.json['principalToken'] as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: name, aud: 'local/todo', pws: profileWSID, knd: 'user', iss: 'stoa' });
    expect((claims['exp'] as number) - (claims['iat'] as number)).toBe(3600);

    const user = anon.withToken(token);
    // The profile workspace exists, belongs to the login, and the token makes it sys.ProfileOwner.
    const list = await user.get('/workspaces');
    expect(list.status).toBe(200);
    expect(list.json['results']).toEqual([
      expect.objectContaining({ wsid: profileWSID, kind: 'sys.UserProfileWS', active: true }),
    ]);
    const roles = (list.json['results'] as { roles: string[] }[])[0]!.roles;
    expect(roles).toEqual(expect.arrayContaining(['sys.ProfileOwner', 'sys.WorkspaceOwner']));

    const ws = await user.createWorkspace('todo.TodoWS', { Title: 'mine' });
    const task = await user.post(`/workspaces/${ws}/docs/todo.Task`, { Title: 'x', Done: false, Priority: 1 });
    expect(task.status, task.text).toBe(201);
    const mine = await user.get('/workspaces');
    expect((mine.json['results'] as { wsid: number }[]).map((w) => w.wsid).sort()).toEqual([profileWSID, ws].sort());
    // Another login is no member there.
    const other = anon.withToken(await tokenOf(await signUp()));
    expectError(await other.get(`/workspaces/${ws}/cdocs/todo.Task`), 403);
  });

  it('stores the login as a sys.Login record in an app workspace, hash never in clear', async () => {
    const name = await signUp(`rec.${unique()}`, 'a secret pw 123');
    const sys = anon.withToken(await systemToken());
    const found: Record<string, unknown>[] = [];
    for (let p = 0; p < 4; p++) {
      const res = await sys.get(`/workspaces/${65_536 + p}/cdocs/sys.Login`);
      expect(res.status, res.text).toBe(200);
      for (const r of res.json['results'] as Record<string, unknown>[]) if (r['Login'] === name) found.push(r);
      // Nobody but sys.System may read logins.
      expectError(
        await anon.withToken(await tokenOf(name, 'a secret pw 123')).get(`/workspaces/${65_536 + p}/cdocs/sys.Login`),
        403,
      );
    }
    expect(found).toHaveLength(1);
    const rec = found[0]!;
    expect(rec).toMatchObject({ SubjectKind: 1, DisplayName: 'Ann Example', 'sys.IsActive': true });
    expect(rec['PasswordHash']).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(JSON.stringify(rec)).not.toContain('a secret pw 123');
    expect(typeof rec['CreatedAt']).toBe('number');
    // The sys builtins are granted to nobody: a user cannot call them through /commands.
    const user = anon.withToken(await tokenOf(name, 'a secret pw 123'));
    expectError(
      await user.post(`/workspaces/65536/commands/sys.CreateLogin`, {
        args: { Login: 'x', SubjectKind: 1, ProfileWSID: 1 },
        unloggedArgs: { PasswordHash: 'scrypt$x' },
      }),
      403,
    );
  });

  it('refuses a duplicate login with 409', async () => {
    const name = await signUp();
    expectError(await anon.post('/users', { login: name, password: 'another pw!', displayName: 'B' }), 409, {
      message: 'login already exists',
    });
    // Concurrent sign-ups of one name: exactly one wins.
    const race = `race.${unique()}`;
    const replies = await Promise.all(
      [1, 2, 3].map(() => anon.post('/users', { login: race, password: 'racing pw 1', displayName: 'R' })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect((await login(race, 'racing pw 1')).status).toBe(200);
  });

  it.each([
    [{ password: 'long enough', displayName: 'x' }, 'login'],
    [{ login: '', password: 'long enough', displayName: 'x' }, 'login'],
    [{ login: 'a'.repeat(101), password: 'long enough', displayName: 'x' }, 'login'],
    [{ login: 'has space', password: 'long enough', displayName: 'x' }, 'login'],
    [{ login: 'ü@x', password: 'long enough', displayName: 'x' }, 'login'],
    [{ login: 'ok', password: 'short', displayName: 'x' }, 'password'],
    [{ login: 'ok', password: 'p'.repeat(129), displayName: 'x' }, 'password'],
    [{ login: 'ok', password: 12345678, displayName: 'x' }, 'password'],
    [{ login: 'ok', password: 'long enough', displayName: '' }, 'displayName'],
    [{ login: 'ok', password: 'long enough', displayName: 'd'.repeat(101) }, 'displayName'],
    [{ login: 'ok', password: 'long enough' }, 'displayName'],
  ])('POST /users %j → 400 naming %s', async (body, field) => {
    const res = await anon.post('/users', body);
    expectError(res, 400, { field });
    expect(res.json['message']).toContain(field);
  });

  it('rejects unknown body fields and non-JSON with 400', async () => {
    expectError(
      await anon.post('/users', { login: 'a', password: 'long enough', displayName: 'x', admin: true }),
      400,
      {
        message: 'admin',
      },
    );
    expectError(await anon.call('POST', '/auth/login', { rawBody: '{"login":' }), 400);
    expectError(await anon.post('/auth/login', { login: 'a' }), 400, { field: 'password' });
  });

  it('answers every login failure with a byte-identical 401, and scrypt runs for unknown logins too', async () => {
    const name = await signUp();
    const wrong = await login(name, 'wrong password');
    const unknown = await login(`nobody.${unique()}`, 'wrong password');
    const invalidName = await login('not a valid login!', 'wrong password');
    for (const r of [wrong, unknown, invalidName]) expectError(r, 401, { message: FAILED });
    expect(unknown.text).toBe(wrong.text);
    expect(invalidName.text).toBe(wrong.text);
    expect(wrong.text).toBe(JSON.stringify({ status: 401, message: FAILED }));
    // A wrong-app or deactivated login gives the same body (deactivation is tested below).

    // Timing: both paths hash once; medians of 5 must be close (a lookup miss without scrypt would be
    // ~100× faster), with room for a busy 2-core machine.
    const time = async (l: string): Promise<number> => {
      const t = performance.now();
      await login(l, 'wrong password');
      return performance.now() - t;
    };
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[2]!;
    const known: number[] = [];
    const missing: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time(name));
      missing.push(await time(`ghost.${unique()}`));
    }
    const ratio = median(missing) / median(known);
    expect(ratio, `unknown ${median(missing).toFixed(1)} ms vs known ${median(known).toFixed(1)} ms`).toBeGreaterThan(
      0.5,
    );
    expect(ratio).toBeLessThan(3);
    expect(median(missing)).toBeGreaterThan(20);
  });

  it('creates devices with generated credentials that log in', async () => {
    const res = await anon.post('/devices', { displayName: 'Kiosk 1' });
    expect(res.status, res.text).toBe(201);
    expect(Object.keys(res.json).sort()).toEqual(['login', 'password']);
    const { login: device, password } = res.json as { login: string; password: string };
    expect(device).toMatch(/^device\.[0-9a-f]{32}$/);
    expect(password.length).toBeGreaterThanOrEqual(32);
    const empty = await anon.post('/devices');
    expect(empty.status, empty.text).toBe(201);
    expect(empty.json['login']).not.toBe(device);

    const logged = await login(device, password);
    expect(logged.status, logged.text).toBe(200);
    const token = logged.json['principalToken'] as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: device, knd: 'device', pws: logged.json['profileWSID'] });
    const list = await anon.withToken(token).get('/workspaces');
    expect(list.json['results']).toEqual([expect.objectContaining({ kind: 'sys.DeviceProfileWS' })]);
    const ws = await anon.withToken(token).createWorkspace('todo.TodoWS', { Title: 'device board' });
    expect(ws).toBeGreaterThan(0);
    expectError(await login(device, `${password}x`), 401, { message: FAILED });
  });

  it('refreshes a token with the same lifetime', async () => {
    const name = await signUp();
    const first = await tokenOf(name);
    const refreshed = await anon.post('/auth/refresh', undefined, { token: first });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(refreshed.json['expiresInSeconds']).toBe(3600);
    const next = refreshed.json['principalToken'] as string;
    expect(next).not.toBe(first);
    expect((await anon.withToken(next).get('/workspaces')).status).toBe(200);

    // A 10-minute token (issued by the node for this login) refreshes to another 10-minute token.
    const short = await issuePrincipalToken(engine.engine.ring, {
      app: 'local/todo',
      subject: name,
      kind: 'user',
      profileWSID: refreshed.json['profileWSID'] as number,
      ttlSeconds: 600,
    });
    const again = await anon.post('/auth/refresh', {}, { token: short.token });
    expect(again.status, again.text).toBe(200);
    expect(again.json['expiresInSeconds']).toBe(600);
    const claims = JSON.parse(
      Buffer.from((again.json['principalToken'] as string).split('.')[1]!, 'base64url').toString(),
    ) as Record<string, number>;
    expect(claims['exp']! - claims['iat']!).toBe(600);

    expectError(await anon.post('/auth/refresh'), 401);
    expectError(await anon.post('/auth/refresh', undefined, { token: 'garbage' }), 401);
    expectError(await anon.post('/auth/refresh', { x: 1 }, { token: first }), 400);
    expectError(await anon.post('/auth/refresh', undefined, { token: await systemToken() }), 403);
  });

  it('changes a password: the old one stops working, the new one works', async () => {
    const name = await signUp(undefined, 'old password 1');
    expectError(
      await anon.post('/users/change-password', { login: name, oldPassword: 'not it!', newPassword: 'new password 2' }),
      401,
      { message: FAILED },
    );
    expectError(
      await anon.post('/users/change-password', { login: name, oldPassword: 'old password 1', newPassword: 'short' }),
      400,
      { field: 'newPassword' },
    );
    const changed = await anon.post('/users/change-password', {
      login: name,
      oldPassword: 'old password 1',
      newPassword: 'new password 2',
    });
    expect(changed.status, changed.text).toBe(204);
    expect(changed.text).toBe('');
    expectError(await login(name, 'old password 1'), 401, { message: FAILED });
    expect((await login(name, 'new password 2')).status).toBe(200);
    expectError(
      await anon.post('/users/change-password', {
        login: `nobody.${unique()}`,
        oldPassword: 'x',
        newPassword: 'new password 2',
      }),
      401,
      { message: FAILED },
    );
  });

  it('deactivates a login: login → 401, its existing token refused on the next request', async () => {
    const name = await signUp();
    const token = await tokenOf(name);
    const user = anon.withToken(token);
    const ws = await user.createWorkspace('todo.TodoWS', { Title: 'before' });
    expect((await user.get(`/workspaces/${ws}/cdocs/todo.Task`)).status).toBe(200);

    const other = anon.withToken(await tokenOf(await signUp()));
    expectError(await other.post('/users/deactivate', { login: name }), 403);
    expectError(await anon.post('/users/deactivate', {}), 401);

    const res = await user.post('/users/deactivate', {});
    expect(res.status, res.text).toBe(204);
    const wrongPw = await login(name, 'wrong password');
    const deactivated = await login(name, 'correct horse');
    expectError(deactivated, 401, { message: FAILED });
    expect(deactivated.text).toBe(wrongPw.text);
    expectError(await user.get(`/workspaces/${ws}/cdocs/todo.Task`), 401, { message: 'login is deactivated' });
    expectError(await user.get('/workspaces'), 401);
    expectError(await anon.post('/auth/refresh', undefined, { token }), 401);
    // The name stays taken (memberships refer to logins by name).
    expectError(await anon.post('/users', { login: name, password: 'correct horse', displayName: 'x' }), 409);
    // Others are unaffected.
    expect((await other.get('/workspaces')).status).toBe(200);
  });

  it('lets sys.System deactivate any login', async () => {
    const name = await signUp();
    const token = await tokenOf(name);
    const sys = anon.withToken(await systemToken());
    expectError(await sys.post('/users/deactivate', {}), 400, { field: 'login' });
    expectError(await sys.post('/users/deactivate', { login: `nobody.${unique()}` }), 404);
    expect((await sys.post('/users/deactivate', { login: name })).status).toBe(204);
    expectError(await anon.withToken(token).get('/workspaces'), 401);
    expectError(await login(name, 'correct horse'), 401, { message: FAILED });
  });

  it('ignores a token sent to a public identity route (an expired one does not block login)', async () => {
    const name = await signUp();
    const res = await anon.post(
      '/auth/login',
      { login: name, password: 'correct horse' },
      {
        token: await engine.expiredToken('todo', name),
      },
    );
    expect(res.status, res.text).toBe(200);
    const openapi = await anon.get('/openapi.json');
    const paths = openapi.json['paths'] as Record<string, Record<string, { security?: unknown[] }>>;
    for (const p of ['/users', '/devices', '/auth/login', '/users/change-password']) {
      expect(paths[p]?.['post']?.security, p).toEqual([]);
    }
    expect(paths['/auth/refresh']?.['post']?.security).toBeUndefined();
    const wrongMethod = await anon.get('/auth/login');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});
