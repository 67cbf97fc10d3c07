import { AppError } from '@stoa/errors';
import { SignJWT, exportJWK, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdminTokenVerifier, parseAdminPublicKeys } from './admin-tokens.js';
import type { AdminKeySet } from './admin-tokens.js';

const NOW_MS = Date.UTC(2031, 5, 1, 12);
const NOW = NOW_MS / 1000;
const now = (): number => NOW_MS;

interface Pair {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
  readonly spki: string;
  readonly pkcs8: string;
}

async function makePair(alg: 'EdDSA' | 'ES256', kid: string): Promise<Pair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg },
    spki: await exportSPKI(publicKey),
    pkcs8: await exportPKCS8(privateKey),
  };
}

let ed: Pair;
let ec: Pair;
let stranger: Pair;

beforeAll(async () => {
  [ed, ec, stranger] = await Promise.all([
    makePair('EdDSA', 'ed-1'),
    makePair('ES256', 'ec-1'),
    makePair('EdDSA', 'x'),
  ]);
});

function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  return { aud: 'stoa-admin', sub: 'cli:alice@host', iat: NOW, exp: NOW + 120, ...overrides };
}

async function sign(
  pair: Pair,
  payload: JWTPayload = claims(),
  header: Record<string, unknown> = { alg: 'EdDSA', kid: 'ed-1' },
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', ...header }).sign(pair.privateKey);
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

async function expect401(keys: AdminKeySet | undefined, token: string, message: string | RegExp): Promise<void> {
  const error = await rejection(createAdminTokenVerifier(keys, { now })(token));
  expect(error.code).toBe('UNAUTHENTICATED');
  expect(error.message).toMatch(message);
  // The token must never be echoed (it is a bearer credential).
  if (token.length > 20) expect(error.message).not.toContain(token.slice(-20));
}

describe('parseAdminPublicKeys', () => {
  it('parses a single public JWK, keeping its kid and algorithm', async () => {
    const set = await parseAdminPublicKeys(JSON.stringify(ed.publicJwk));
    expect(set.keys.map((k) => [k.kid, k.alg])).toEqual([['ed-1', 'EdDSA']]);
  });

  it('parses a JWKS with an Ed25519 and a P-256 key', async () => {
    const set = await parseAdminPublicKeys(JSON.stringify({ keys: [ed.publicJwk, ec.publicJwk] }));
    expect(set.keys.map((k) => [k.kid, k.alg])).toEqual([
      ['ed-1', 'EdDSA'],
      ['ec-1', 'ES256'],
    ]);
  });

  it('parses PEM SPKI blocks and gives kid-less keys their RFC 7638 thumbprint', async () => {
    const set = await parseAdminPublicKeys(`${ed.spki}\n${ec.spki}`);
    expect(set.keys.map((k) => k.alg)).toEqual(['EdDSA', 'ES256']);
    expect(set.keys[0]!.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const token = await sign(ed, claims(), { kid: set.keys[0]!.kid });
    expect(await createAdminTokenVerifier(set, { now })(token)).toEqual({ subject: 'cli:alice@host' });
  });

  it('refuses private keys: a JWK with "d" (alone or in a JWKS) and a PEM PRIVATE KEY', async () => {
    for (const text of [
      JSON.stringify(ed.privateJwk),
      JSON.stringify({ keys: [ed.publicJwk, ec.privateJwk] }),
      ed.pkcs8,
      `${ed.spki}\n${ec.pkcs8}`,
    ]) {
      const error = await rejection(parseAdminPublicKeys(text));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(/^STOA_ADMIN_PUBLIC_KEY: .*private key/);
      // The message must not quote the private material.
      expect(error.message).not.toContain(String(ed.privateJwk.d));
      expect(error.message).not.toContain(String(ec.privateJwk.d));
    }
  });

  it('refuses other key types, symmetric keys, garbage and duplicates with a clear message', async () => {
    const rsa = await generateKeyPair('RS256', { extractable: true });
    const cases: [string, RegExp][] = [
      [JSON.stringify(await exportJWK(rsa.publicKey)), /RSA key; only Ed25519 \(EdDSA\) and P-256 \(ES256\)/],
      [JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' }), /private key \(JWK member "k"\)/],
      [JSON.stringify({ ...ed.publicJwk, alg: 'ES256' }), /expected "EdDSA"/],
      [JSON.stringify({ ...ed.publicJwk, use: 'enc' }), /"use": "enc"/],
      [JSON.stringify({ keys: [] }), /non-empty array/],
      [JSON.stringify({ keys: [ed.publicJwk, ed.publicJwk] }), /duplicate kid "ed-1"/],
      ['{not json', /not valid JSON/],
      ['', /empty/],
      ['ssh-ed25519 AAAA', /expected a public JWK/],
      ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', /expected a PUBLIC KEY/],
      ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', /not a valid SPKI public key/],
      [JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }), /not a valid Ed25519 public key/],
    ];
    for (const [text, message] of cases) {
      const error = await rejection(parseAdminPublicKeys(text));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(message);
    }
  });
});

describe('createAdminTokenVerifier', () => {
  let edSet: AdminKeySet;
  let bothSet: AdminKeySet;

  beforeAll(async () => {
    edSet = await parseAdminPublicKeys(JSON.stringify(ed.publicJwk));
    bothSet = await parseAdminPublicKeys(JSON.stringify({ keys: [ed.publicJwk, ec.publicJwk] }));
  });

  it('accepts a good EdDSA token and returns its subject', async () => {
    const verify = createAdminTokenVerifier(edSet, { now });
    expect(await verify(await sign(ed))).toEqual({ subject: 'cli:alice@host' });
  });

  it('uses kid to select the key in a JWKS of two keys (EdDSA and ES256)', async () => {
    const verify = createAdminTokenVerifier(bothSet, { now });
    expect(await verify(await sign(ed, claims({ sub: 'a' }), { kid: 'ed-1' }))).toEqual({ subject: 'a' });
    expect(await verify(await sign(ec, claims({ sub: 'b' }), { alg: 'ES256', kid: 'ec-1' }))).toEqual({ subject: 'b' });
    // The kid names the P-256 key, but the token says EdDSA.
    await expect401(bothSet, await sign(ed, claims(), { kid: 'ec-1' }), /algorithm EdDSA does not match its key/);
    // The kid names the Ed25519 key, but another Ed25519 key signed.
    await expect401(bothSet, await sign(stranger, claims(), { kid: 'ed-1' }), 'admin token signature invalid');
  });

  it('tries every key of the algorithm when the token has no kid', async () => {
    const other = await makePair('EdDSA', 'ed-2');
    const set = await parseAdminPublicKeys(JSON.stringify({ keys: [ed.publicJwk, other.publicJwk] }));
    const verify = createAdminTokenVerifier(set, { now });
    expect(await verify(await sign(other, claims({ sub: 'second' }), { kid: undefined }))).toEqual({
      subject: 'second',
    });
    await expect401(set, await sign(stranger, claims(), { kid: undefined }), 'admin token signature invalid');
  });

  it('refuses everything when no key is configured', async () => {
    await expect401(undefined, await sign(ed), 'no admin public key configured (STOA_ADMIN_PUBLIC_KEY)');
  });

  it('refuses each broken claim with a precise message', async () => {
    const cases: [JWTPayload, string | RegExp][] = [
      [claims({ exp: NOW - 31 }), 'admin token expired'],
      [claims({ iat: NOW - 200, exp: NOW + 101 }), 'admin token lifetime exceeds 300 s'],
      [claims({ aud: 'acme/shop' }), 'admin token audience must be "stoa-admin"'],
      [claims({ aud: undefined }), 'admin token lacks the "aud" claim'],
      [claims({ exp: undefined }), 'admin token lacks the "exp" claim'],
      [claims({ iat: undefined }), 'admin token lacks the "iat" claim'],
      [claims({ sub: undefined }), 'admin token lacks the "sub" claim'],
      [claims({ sub: '' }), /"sub" must be a non-empty string of at most 200/],
      [claims({ sub: 'x'.repeat(201) }), /"sub" must be a non-empty string of at most 200/],
      [claims({ iat: NOW + 3600, exp: NOW + 3700 }), 'admin token issued in the future (iat)'],
      [claims({ nbf: NOW + 60 }), 'admin token not yet valid (nbf)'],
    ];
    for (const [payload, message] of cases) await expect401(edSet, await sign(ed, payload), message);
  });

  it('honours the 30 s clock tolerance on exp and iat', async () => {
    const verify = createAdminTokenVerifier(edSet, { now });
    expect(await verify(await sign(ed, claims({ iat: NOW - 100, exp: NOW - 29 })))).toEqual({
      subject: 'cli:alice@host',
    });
    expect(await verify(await sign(ed, claims({ iat: NOW + 29, exp: NOW + 300 })))).toEqual({
      subject: 'cli:alice@host',
    });
    expect(await verify(await sign(ed, claims({ iat: NOW, exp: NOW + 300 })))).toEqual({ subject: 'cli:alice@host' });
  });

  it('refuses unknown kids, foreign signatures, other algorithms and malformed tokens', async () => {
    await expect401(edSet, await sign(ed, claims(), { kid: 'nope' }), 'admin token key id (kid) unknown');
    await expect401(edSet, await sign(stranger), 'admin token signature invalid');
    await expect401(
      edSet,
      await sign(ec, claims(), { alg: 'ES256', kid: undefined }),
      'no admin public key for algorithm ES256',
    );
    const good = await sign(ed);
    const [h, p] = good.split('.') as [string, string, string];
    const hs = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${p}.AAAA`;
    await expect401(edSet, hs, 'admin token algorithm not allowed (EdDSA or ES256)');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`;
    await expect401(edSet, none, 'malformed admin token');
    await expect401(edSet, `${h}.${p}`, 'malformed admin token');
    await expect401(edSet, `!!.${p}.x`, 'malformed admin token');
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims({ sub: 'root' }))).toString('base64url')}.${good.split('.')[2]!}`;
    await expect401(edSet, tampered, 'admin token signature invalid');
  });

  it('rejects tokens longer than 8192 characters before parsing', async () => {
    const big = await sign(ed, claims({ pad: 'x'.repeat(9000) }));
    expect(big.length).toBeGreaterThan(8192);
    await expect401(edSet, big, 'admin token longer than 8192 characters');
  });
});
