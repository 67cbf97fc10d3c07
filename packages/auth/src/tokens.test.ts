import { createHmac, randomUUID } from 'node:crypto';
import { AppError } from '@stoa/errors';
import { SignJWT } from 'jose';
import type { JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyRing, createMemoryKeyStore } from './keys.js';
import { MAX_TOKEN_TTL_SECONDS, createAuthenticator, issuePrincipalToken } from './tokens.js';

const APP = 'acme/shop';
const START = Date.UTC(2030, 0, 1);
let nowMs = START;
const now = (): number => nowMs;
const nowSec = (): number => Math.floor(nowMs / 1000);

let ring: KeyRing;
let otherRing: KeyRing;

beforeAll(async () => {
  ring = await KeyRing.open(createMemoryKeyStore(), { now });
  otherRing = await KeyRing.open(createMemoryKeyStore(), { now });
});

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function validClaims(overrides: Record<string, unknown> = {}): JWTPayload {
  const t = nowSec();
  return {
    iss: 'stoa',
    aud: APP,
    sub: 'alice',
    iat: t,
    nbf: t,
    exp: t + 600,
    jti: randomUUID(),
    pws: 42,
    knd: 'user',
    ...overrides,
  };
}

/** Signs arbitrary claims with a ring's real key (to test claim checks after a valid signature). */
async function signWith(r: KeyRing, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const { kid, key } = r.signingKey();
  return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT', ...header }).sign(key);
}

function hs256(header: Record<string, unknown>, claims: JWTPayload, secret: Buffer | string): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

async function expect401(token: string, message: string | RegExp = 'invalid token', app = APP): Promise<void> {
  const auth = createAuthenticator(ring);
  const error = await auth.authenticate(app, token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code).toBe('UNAUTHENTICATED');
  expect(appError.httpStatus).toBe(401);
  if (typeof message === 'string') expect(appError.message).toBe(message);
  else expect(appError.message).toMatch(message);
  if (token.length > 8) expect(appError.message).not.toContain(token);
}

describe('issuePrincipalToken / authenticate: happy path', () => {
  it('round-trips a user token into a principal', async () => {
    const { token, expiresInSeconds } = await issuePrincipalToken(ring, {
      app: APP,
      subject: 'alice',
      kind: 'user',
      profileWSID: 140737488355329,
    });
    expect(expiresInSeconds).toBe(3600);
    const principal = await createAuthenticator(ring).authenticate(APP, token);
    expect(principal).toMatchObject({
      kind: 'user',
      subject: 'alice',
      app: APP,
      profileWSID: 140737488355329,
      expiresAt: nowSec() + 3600,
    });
    expect(principal.tokenId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(principal.roles).toBeUndefined();
  });

  it('writes the documented header and claims', async () => {
    const { token } = await issuePrincipalToken(ring, {
      app: APP,
      subject: 'dev1',
      kind: 'device',
      profileWSID: 9,
      ttlSeconds: 120,
    });
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>);
    expect(header).toEqual({ alg: 'EdDSA', kid: ring.signingKid, typ: 'JWT' });
    expect(payload).toMatchObject({
      iss: 'stoa',
      aud: APP,
      sub: 'dev1',
      iat: nowSec(),
      nbf: nowSec(),
      exp: nowSec() + 120,
      pws: 9,
      knd: 'device',
    });
    expect(typeof payload?.['jti']).toBe('string');
  });

  it('round-trips an API token bound to a workspace with roles', async () => {
    const { token } = await issuePrincipalToken(ring, {
      app: APP,
      subject: 'tok-1',
      kind: 'apiToken',
      profileWSID: 0,
      wsid: 1001,
      roles: ['shop.ApiReader'],
    });
    const principal = await createAuthenticator(ring).authenticate(APP, token);
    expect(principal).toMatchObject({ kind: 'apiToken', wsid: 1001, roles: ['shop.ApiReader'] });
  });

  it('accepts nbf within the clock tolerance', async () => {
    await expect(
      createAuthenticator(ring).authenticate(APP, await signWith(ring, validClaims({ nbf: nowSec() + 3 }))),
    ).resolves.toMatchObject({
      subject: 'alice',
    });
  });

  it('refuses bad issue requests with 400', async () => {
    const base = { app: APP, subject: 'a', kind: 'user', profileWSID: 1 } as const;
    for (const input of [
      { ...base, ttlSeconds: MAX_TOKEN_TTL_SECONDS + 1 },
      { ...base, ttlSeconds: 0 },
      { ...base, ttlSeconds: 1.5 },
      { ...base, app: 'noslash' },
      { ...base, subject: '' },
      { ...base, profileWSID: -1 },
      { ...base, kind: 'apiToken' as const },
    ]) {
      await expect(issuePrincipalToken(ring, input)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    await expect(issuePrincipalToken(ring, { ...base, ttlSeconds: MAX_TOKEN_TTL_SECONDS })).resolves.toMatchObject({
      expiresInSeconds: MAX_TOKEN_TTL_SECONDS,
    });
  });
});

describe('JWT attack matrix: every case is 401 UNAUTHENTICATED', () => {
  it('alg none (unsigned, crafted by hand)', async () => {
    await expect401(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(validClaims())}.`);
    await expect401(`${b64({ alg: 'none', kid: ring.signingKid, typ: 'JWT' })}.${b64(validClaims())}.`);
    await expect401(`${b64({ alg: 'none', kid: ring.signingKid, typ: 'JWT' })}.${b64(validClaims())}.AAAA`);
  });

  it('signed with another ring’s key (own kid and copied kid)', async () => {
    await expect401(await signWith(otherRing, validClaims()));
    await expect401(await signWith(otherRing, validClaims(), { kid: ring.signingKid }));
  });

  it('token for another app (aud)', async () => {
    const { token } = await issuePrincipalToken(ring, {
      app: 'acme/other',
      subject: 'alice',
      kind: 'user',
      profileWSID: 1,
    });
    await expect401(token, 'token is for another app');
    await expect401(await signWith(ring, validClaims({ aud: ['acme/other', 'x/y'] })), 'token is for another app');
  });

  it('expired', async () => {
    await expect401(
      await signWith(ring, validClaims({ iat: nowSec() - 7200, nbf: nowSec() - 7200, exp: nowSec() - 60 })),
      'token expired',
    );
    const { token } = await issuePrincipalToken(ring, {
      app: APP,
      subject: 'alice',
      kind: 'user',
      profileWSID: 1,
      ttlSeconds: 60,
    });
    nowMs += 70_000;
    try {
      await expect401(token, 'token expired');
    } finally {
      nowMs = START;
    }
  });

  it('not yet valid (nbf beyond the tolerance)', async () => {
    await expect401(await signWith(ring, validClaims({ nbf: nowSec() + 60, exp: nowSec() + 600 })));
  });

  it('tampered payload (sub changed, signature kept)', async () => {
    const { token } = await issuePrincipalToken(ring, { app: APP, subject: 'alice', kind: 'user', profileWSID: 1 });
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    await expect401(`${h}.${b64({ ...claims, sub: 'mallory' })}.${s}`);
    await expect401(`${h}.${b64({ ...claims, knd: 'system', pws: 0 })}.${s}`);
    // Header swapped too.
    await expect401(`${b64({ alg: 'EdDSA', kid: 'x', typ: 'JWT' })}.${p}.${s}`);
  });

  it('HS256 signed with the public key as HMAC secret', async () => {
    const jwk = ring.jwks().keys[0];
    const x = Buffer.from(String(jwk?.x), 'base64url');
    const header = { alg: 'HS256', kid: ring.signingKid, typ: 'JWT' };
    await expect401(hs256(header, validClaims(), x));
    await expect401(hs256(header, validClaims(), JSON.stringify(jwk)));
    await expect401(hs256(header, validClaims(), String(jwk?.x)));
  });

  it('unknown kid and missing kid', async () => {
    await expect401(await signWith(ring, validClaims(), { kid: 'no-such-key' }));
    const { key } = ring.signingKey();
    await expect401(await new SignJWT(validClaims()).setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' }).sign(key));
  });

  it('missing required claims (exp, sub, jti, nbf, iat, pws, knd)', async () => {
    for (const claim of ['exp', 'sub', 'jti', 'nbf', 'iat', 'pws', 'knd']) {
      const claims = validClaims();
      delete claims[claim];
      await expect401(await signWith(ring, claims));
    }
  });

  it('claims of the wrong type or value', async () => {
    for (const bad of [
      { knd: 'root' },
      { pws: -1 },
      { pws: '42' },
      { sub: '' },
      { knd: 'apiToken' },
      { exp: nowSec() + 30 * 24 * 3600 },
    ]) {
      await expect401(await signWith(ring, validClaims(bad)));
    }
  });

  it('wrong issuer, wrong typ, other EdDSA alg spelling', async () => {
    await expect401(await signWith(ring, validClaims({ iss: 'evil' })));
    await expect401(await signWith(ring, validClaims({ iss: undefined })));
    await expect401(await signWith(ring, validClaims(), { typ: 'at+jwt' }));
    await expect401(await signWith(ring, validClaims(), { alg: 'Ed25519' }));
  });

  it('malformed strings', async () => {
    const { token } = await issuePrincipalToken(ring, { app: APP, subject: 'alice', kind: 'user', profileWSID: 1 });
    for (const bad of [
      '',
      'abc',
      'a.b',
      'a.b.c',
      '...',
      `Bearer ${token}`,
      `${token}.`,
      ` ${token}`,
      `${token}x`,
      'e30.e30.e30',
      'x'.repeat(20_000),
      `${b64('str')}.${b64(1)}.AA`,
    ]) {
      await expect401(bad);
    }
  });

  it('revoked token', async () => {
    const { token } = await issuePrincipalToken(ring, { app: APP, subject: 'alice', kind: 'user', profileWSID: 1 });
    const revoked = new Set<string>();
    const auth = createAuthenticator(ring, { isRevoked: (jti) => revoked.has(jti) });
    const principal = await auth.authenticate(APP, token);
    revoked.add(principal.tokenId ?? '');
    await expect(auth.authenticate(APP, token)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'token revoked',
    });
  });
});

describe('verification cache', () => {
  it('still checks expiry, audience and revocation on a cache hit', async () => {
    const revoked = new Set<string>();
    const auth = createAuthenticator(ring, { isRevoked: (jti) => revoked.has(jti) });
    const { token } = await issuePrincipalToken(ring, {
      app: APP,
      subject: 'alice',
      kind: 'user',
      profileWSID: 1,
      ttlSeconds: 60,
    });
    const first = await auth.authenticate(APP, token);
    expect(await auth.authenticate(APP, token)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    await expect(auth.authenticate('acme/other', token)).rejects.toMatchObject({ message: 'token is for another app' });
    revoked.add(first.tokenId ?? '');
    await expect(auth.authenticate(APP, token)).rejects.toMatchObject({ message: 'token revoked' });
    revoked.clear();
    nowMs += 66_000;
    try {
      await expect(auth.authenticate(APP, token)).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
        message: 'token expired',
      });
    } finally {
      nowMs = START;
    }
  });

  it('is bounded and can be disabled', async () => {
    const auth = createAuthenticator(ring, { cacheSize: 2 });
    const tokens = await Promise.all(
      [1, 2, 3].map(
        async (i) =>
          (await issuePrincipalToken(ring, { app: APP, subject: `u${i}`, kind: 'user', profileWSID: i })).token,
      ),
    );
    const principals = [];
    for (const t of tokens) principals.push(await auth.authenticate(APP, t));
    // The first entry was evicted: a new object comes back; the last one is still cached.
    expect(await auth.authenticate(APP, tokens[0] ?? '')).not.toBe(principals[0]);
    expect(await auth.authenticate(APP, tokens[0] ?? '')).toEqual(principals[0]);
    const uncached = createAuthenticator(ring, { cacheSize: 0 });
    const a = await uncached.authenticate(APP, tokens[2] ?? '');
    expect(await uncached.authenticate(APP, tokens[2] ?? '')).not.toBe(a);
  });
});
