// Throttling of credential checks over real HTTP: failures per login and per IP → 429 with
// Retry-After, recovery after the window, a successful login resets the per-login counter;
// sign-ups per IP. Small limits are injected through the core options, and the throttles run on
// an injected clock that the test moves past the window (no sleeping, no timing flakiness on a
// busy machine); the window itself is the production minute.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reply, TestEngine } from './support/harness.js';
import { ApiClient, TODO_DIR, expectError, startTestEngine, unique } from './support/harness.js';

const WINDOW_MS = 60_000;
const FAILED = 'login or password is incorrect';

let offset = 0;
const clock = (): number => Date.now() + offset;
/** Moves the throttles' clock past one window. */
const passWindow = (): void => {
  offset += WINDOW_MS + 1000;
};

function expect429(reply: Reply): void {
  expectError(reply, 429, { message: 'too many' });
  const retry = Number(reply.headers.get('retry-after'));
  // The oldest counted failure is at most a few seconds old: it leaves the window in ~60 s.
  expect(retry).toBeGreaterThanOrEqual(45);
  expect(retry).toBeLessThanOrEqual(60);
}

describe('login throttling over HTTP (mem)', () => {
  let perLogin: TestEngine;
  let perIp: TestEngine;
  let a: ApiClient;
  let b: ApiClient;

  beforeAll(async () => {
    perLogin = await startTestEngine({
      storage: 'mem',
      apps: [TODO_DIR],
      coreOptions: {
        identity: {
          loginFailures: { limit: 3, windowMs: WINDOW_MS },
          ipFailures: { limit: 1000, windowMs: WINDOW_MS },
          throttleClock: clock,
        },
      },
    });
    perIp = await startTestEngine({
      storage: 'mem',
      apps: [TODO_DIR],
      coreOptions: {
        identity: {
          loginFailures: { limit: 1000, windowMs: WINDOW_MS },
          ipFailures: { limit: 4, windowMs: WINDOW_MS },
          signUpsPerIp: { limit: 4, windowMs: WINDOW_MS },
          throttleClock: clock,
        },
      },
    });
    a = new ApiClient(perLogin.baseUrl, '/api/v2/apps/local/todo', null);
    b = new ApiClient(perIp.baseUrl, '/api/v2/apps/local/todo', null);
  });
  afterAll(async () => {
    await perLogin?.close();
    await perIp?.close();
  });

  const signUp = async (client: ApiClient, password = 'right password'): Promise<string> => {
    const login = `t.${unique()}`;
    const res = await client.post('/users', { login, password, displayName: 'T' });
    expect(res.status, res.text).toBe(201);
    return login;
  };

  it('throttles failures per login (even the right password), then recovers after the window', async () => {
    const login = await signUp(a);
    for (let i = 0; i < 3; i++) {
      expectError(await a.post('/auth/login', { login, password: 'nope' }), 401, { message: FAILED });
    }
    expect429(await a.post('/auth/login', { login, password: 'right password' }));
    expect429(await a.post('/auth/login', { login, password: 'nope' }));
    // Change-password shares the per-login budget.
    expect429(
      await a.post('/users/change-password', { login, oldPassword: 'right password', newPassword: 'whatever 123' }),
    );
    // Another login from the same IP is not affected by this login's counter.
    const other = await signUp(a);
    expect((await a.post('/auth/login', { login: other, password: 'right password' })).status).toBe(200);
    // An unknown login is counted the same way (a 429 tells nothing about existence).
    const ghost = `ghost.${unique()}`;
    for (let i = 0; i < 3; i++) expectError(await a.post('/auth/login', { login: ghost, password: 'x' }), 401);
    expect429(await a.post('/auth/login', { login: ghost, password: 'x' }));

    passWindow();
    expect((await a.post('/auth/login', { login, password: 'right password' })).status).toBe(200);
  });

  it('a successful login resets the per-login counter', async () => {
    const login = await signUp(a);
    for (let i = 0; i < 2; i++) expectError(await a.post('/auth/login', { login, password: 'nope' }), 401);
    expect((await a.post('/auth/login', { login, password: 'right password' })).status).toBe(200);
    for (let i = 0; i < 2; i++) expectError(await a.post('/auth/login', { login, password: 'nope' }), 401);
    expect((await a.post('/auth/login', { login, password: 'right password' })).status).toBe(200);
  });

  it('throttles failures per IP across logins, then recovers after the window', async () => {
    passWindow();
    const login = await signUp(b);
    for (let i = 0; i < 4; i++) {
      expectError(await b.post('/auth/login', { login: `ghost${i}.${unique()}`, password: 'x' }), 401);
    }
    expect429(await b.post('/auth/login', { login, password: 'right password' }));
    expect429(await b.post('/auth/login', { login: `fresh.${unique()}`, password: 'x' }));
    // A success resets the login's counter, never the IP's.
    passWindow();
    for (let i = 0; i < 3; i++) expectError(await b.post('/auth/login', { login, password: 'nope' }), 401);
    expect((await b.post('/auth/login', { login, password: 'right password' })).status).toBe(200);
    expectError(await b.post('/auth/login', { login, password: 'nope' }), 401);
    expect429(await b.post('/auth/login', { login, password: 'right password' }));
  });

  it('throttles sign-ups per IP', async () => {
    passWindow();
    for (let i = 0; i < 4; i++) expect((await b.post('/devices', {})).status).toBe(201);
    expect429(await b.post('/devices', {}));
    expect429(await b.post('/users', { login: `s.${unique()}`, password: 'right password', displayName: 'S' }));
    passWindow();
    expect((await b.post('/devices', {})).status).toBe(201);
  });
});
