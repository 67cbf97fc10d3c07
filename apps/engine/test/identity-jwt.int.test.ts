// JWT attacks over real HTTP against a protected route (all → 401), and key rotation: a token
// signed by the previous key still works after `ring.rotate()`, new logins get the new key.
import { createHmac, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { KeyRing, createMemoryKeyStore, issuePrincipalToken } from '@stoa/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestEngine } from './support/harness.js';
import { ApiClient, TODO_DIR, expectError, startTestEngine, unique } from './support/harness.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const decode = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('JWT attacks and key rotation over HTTP (mem)', () => {
  let engine: TestEngine;
  let anon: ApiClient;
  let login: string;
  let profileWSID: number;
  let valid: string;

  beforeAll(async () => {
    engine = await startTestEngine({ storage: 'mem', apps: [TODO_DIR] });
    anon = new ApiClient(engine.baseUrl, '/api/v2/apps/local/todo', null);
    login = `jwt.${unique()}`;
    const created = await anon.post('/users', { login, password: 'jwt password', displayName: 'J' });
    expect(created.status, created.text).toBe(201);
    profileWSID = created.json['profileWSID'] as number;
    valid = await freshToken();
  });
  afterAll(async () => {
    await engine?.close();
  });

  async function freshToken(): Promise<string> {
    const res = await anon.post('/auth/login', { login, password: 'jwt password' });
    expect(res.status, res.text).toBe(200);
    return res.json['principalToken'] as string;
  }

  const claims = (over: Record<string, unknown> = {}): Record<string, unknown> => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: 'stoa',
      aud: 'local/todo',
      sub: login,
      iat: now,
      nbf: now,
      exp: now + 3600,
      jti: 'attack',
      pws: profileWSID,
      knd: 'user',
      ...over,
    };
  };
  const kid = (): string => engine.engine.ring.signingKey().kid;

  const expect401 = async (token: string, message?: string): Promise<void> => {
    const res = await anon.get('/workspaces', { token });
    expectError(res, 401, message === undefined ? {} : { message });
    expect(res.text).not.toContain(token.split('.')[1] ?? token);
  };

  it('accepts the genuine token (control)', async () => {
    expect((await anon.get('/workspaces', { token: valid })).status).toBe(200);
  });

  it('refuses alg none', async () => {
    const body = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}`;
    await expect401(`${body}.`);
    await expect401(`${body}.AAAA`);
    await expect401(`${b64({ alg: 'none', typ: 'JWT', kid: kid() })}.${b64(claims())}.AAAA`);
  });

  it('refuses a token signed by another key (unknown kid, and forged with the real kid)', async () => {
    const stranger = await KeyRing.open(createMemoryKeyStore());
    const foreign = await issuePrincipalToken(stranger, {
      app: 'local/todo',
      subject: login,
      kind: 'user',
      profileWSID,
    });
    await expect401(foreign.token, 'invalid token');
    const { privateKey } = generateKeyPairSync('ed25519');
    const input = `${b64({ alg: 'EdDSA', kid: kid(), typ: 'JWT' })}.${b64(claims())}`;
    await expect401(`${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`, 'invalid token');
  });

  it("refuses another app's token", async () => {
    const other = await issuePrincipalToken(engine.engine.ring, {
      app: 'local/other',
      subject: login,
      kind: 'user',
      profileWSID,
    });
    await expect401(other.token, 'token is for another app');
  });

  it('refuses an expired token and a token not yet valid', async () => {
    await expect401(await engine.expiredToken('todo', login), 'token expired');
    const store = engine.engine.sys.keyStore;
    const future = await KeyRing.open(
      { load: () => store.load(), save: () => Promise.resolve() },
      { now: () => Date.now() + 2 * 3600_000 },
    );
    const early = await issuePrincipalToken(future, { app: 'local/todo', subject: login, kind: 'user', profileWSID });
    await expect401(early.token, 'invalid token');
  });

  it('refuses a tampered payload with the original signature', async () => {
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const original = decode(payload);
    for (const change of [{ sub: 'admin' }, { pws: profileWSID + 1 }, { knd: 'system' }, { exp: 9_999_999_999 }]) {
      await expect401(`${header}.${b64({ ...original, ...change })}.${signature}`, 'invalid token');
    }
    // Header swapped for another kid, payload untouched.
    await expect401(`${b64({ ...decode(header), kid: 'x' })}.${payload}.${signature}`, 'invalid token');
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const jwk = engine.engine.ring.jwks().keys.find((k) => k.kid === kid())!;
    const pem = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const secrets: (string | Buffer)[] = [jwk.x!, Buffer.from(jwk.x!, 'base64url'), pem, JSON.stringify(jwk)];
    for (const secret of secrets) {
      const input = `${b64({ alg: 'HS256', kid: kid(), typ: 'JWT' })}.${b64(claims())}`;
      await expect401(`${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`, 'invalid token');
    }
  });

  it('refuses junk shapes', async () => {
    for (const junk of ['a.b', 'a.b.c.d', `${valid}x!`, 'x'.repeat(9000)]) {
      expectError(await anon.get('/workspaces', { token: junk }), 401);
    }
  });

  it('keeps accepting a token of the previous key after rotation; new logins use the new key', async () => {
    const before = await freshToken(); // never presented yet: not in the verification cache
    const oldKid = decode(before.split('.')[0]!)['kid'];
    await engine.engine.ring.rotate();
    expect(kid()).not.toBe(oldKid);
    expect((await anon.get('/workspaces', { token: before })).status).toBe(200);
    const after = await freshToken();
    expect(decode(after.split('.')[0]!)['kid']).toBe(kid());
    expect((await anon.get('/workspaces', { token: after })).status).toBe(200);
    // Refreshing an old-key token yields a new-key token.
    const refreshed = await anon.post('/auth/refresh', undefined, { token: before });
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(decode((refreshed.json['principalToken'] as string).split('.')[0]!)['kid']).toBe(kid());
    const jwks = await fetch(`${engine.baseUrl}/.well-known/jwks.json`).then(
      (r) => r.json() as Promise<{ keys: { kid: string }[] }>,
    );
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, kid()].sort());
  });
});
