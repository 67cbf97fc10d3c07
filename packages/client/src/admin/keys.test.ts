import { isAppError } from '@stoa/errors';
import { calculateJwkThumbprint, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  generateAdminKeyPair,
  parseAdminKeyFile,
  signAdminToken,
  toPublicJwk,
  type AdminPrivateJwk,
  type AdminPublicJwk,
} from './keys.js';

async function verify(token: string, publicJwk: AdminPublicJwk) {
  const key = await importJWK({ ...publicJwk }, publicJwk.kty === 'OKP' ? 'EdDSA' : 'ES256');
  return jwtVerify(token, key, { audience: 'stoa-admin' });
}

function parseError(text: string): string {
  try {
    parseAdminKeyFile(text);
  } catch (error) {
    if (isAppError(error) && error.code === 'VALIDATION_FAILED') return error.message;
    throw error;
  }
  throw new Error('expected parseAdminKeyFile to throw');
}

describe('generateAdminKeyPair', () => {
  it('makes an Ed25519 pair whose kid is the RFC 7638 thumbprint and alg EdDSA', async () => {
    const { privateJwk, publicJwk } = await generateAdminKeyPair();
    expect(publicJwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.any(String) as unknown,
      kid: expect.any(String) as unknown,
      alg: 'EdDSA',
    });
    expect(publicJwk).not.toHaveProperty('d');
    expect(privateJwk).toEqual({ ...publicJwk, d: expect.any(String) as unknown });
    expect(publicJwk.kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: publicJwk.x }, 'sha256'));
    expect(toPublicJwk(privateJwk)).toEqual(publicJwk);
    const other = await generateAdminKeyPair();
    expect(other.publicJwk.kid).not.toBe(publicJwk.kid);
  });
});

describe('signAdminToken', () => {
  it('signs aud stoa-admin, sub, iat, exp = iat + 120, a jti, with the key kid; verifies against the public JWK', async () => {
    const { privateJwk, publicJwk } = await generateAdminKeyPair();
    const token = await signAdminToken(privateJwk, { subject: 'cli:ann@box' });
    const { payload, protectedHeader } = await verify(token, publicJwk);
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: publicJwk.kid });
    expect(payload.aud).toBe('stoa-admin');
    expect(payload.sub).toBe('cli:ann@box');
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    const again = await verify(await signAdminToken(privateJwk, { subject: 'cli:ann@box' }), publicJwk);
    expect(again.payload.jti).not.toBe(payload.jti);
  });

  it('honours ttlSeconds up to 300 and refuses longer, zero or fractional lifetimes', async () => {
    const { privateJwk } = await generateAdminKeyPair();
    const token = await signAdminToken(privateJwk, { subject: 's', ttlSeconds: 300, nowSeconds: 1_000_000 });
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe('EdDSA');
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<
      string,
      number
    >;
    expect(claims).toMatchObject({ iat: 1_000_000, exp: 1_000_300 });
    for (const ttlSeconds of [301, 0, 1.5]) {
      await expect(signAdminToken(privateJwk, { subject: 's', ttlSeconds })).rejects.toThrow(
        /ttlSeconds must be an integer 1…300/,
      );
    }
    await expect(signAdminToken(privateJwk, { subject: '' })).rejects.toThrow(/subject must not be empty/);
  });

  it('signs ES256 with a P-256 key file', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const key = parseAdminKeyFile(JSON.stringify({ ...jwk, kid: 'p256-1' }));
    const token = await signAdminToken(key, { subject: 'portal:user-42' });
    const { payload, protectedHeader } = await verify(token, toPublicJwk(key));
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'p256-1' });
    expect(payload.sub).toBe('portal:user-42');
  });
});

describe('parseAdminKeyFile', () => {
  it('reads what generateAdminKeyPair makes (as stoa keygen writes it)', async () => {
    const { privateJwk } = await generateAdminKeyPair();
    const parsed: AdminPrivateJwk = parseAdminKeyFile(`${JSON.stringify(privateJwk, null, 2)}\n`);
    expect(parsed).toEqual(privateJwk);
  });

  it('accepts a key without kid and alg (the token then has no kid)', async () => {
    const { privateJwk, publicJwk } = await generateAdminKeyPair();
    const { kid: _kid, alg: _alg, ...bare } = privateJwk;
    const key = parseAdminKeyFile(JSON.stringify(bare));
    expect(key).toEqual(bare);
    const token = await signAdminToken(key, { subject: 's' });
    expect(decodeProtectedHeader(token).kid).toBeUndefined();
    await expect(verify(token, publicJwk)).resolves.toBeDefined();
  });

  it('says clearly what is wrong', async () => {
    const { privateJwk, publicJwk } = await generateAdminKeyPair();
    expect(parseError('not json')).toMatch(/^admin key: not JSON/);
    expect(parseError('[1]')).toMatch(/expected a JSON object/);
    expect(parseError(JSON.stringify({ keys: [publicJwk] }))).toMatch(/JWKS/);
    expect(parseError(JSON.stringify(publicJwk))).toMatch(/public key \(no "d"\).*private key/);
    expect(parseError(JSON.stringify({ kty: 'RSA', n: 'x', e: 'AQAB', d: 'x' }))).toMatch(
      /expected an Ed25519 .* or P-256 .* JWK, got kty "RSA" crv \(none\)/,
    );
    expect(parseError(JSON.stringify({ kty: 'oct', k: 'abc' }))).toMatch(/got kty "oct"/);
    expect(parseError(JSON.stringify({ ...privateJwk, x: 42 }))).toMatch(/"x" must be a base64url string/);
    expect(parseError(JSON.stringify({ ...privateJwk, d: 'not base64url!' }))).toMatch(/"d" must be a base64url/);
    expect(parseError(JSON.stringify({ ...privateJwk, alg: 'ES256' }))).toMatch(
      /"alg" "ES256" does not fit a Ed25519 key/,
    );
    expect(parseError(JSON.stringify({ ...privateJwk, kid: '' }))).toMatch(/"kid" must be a non-empty string/);
  });
});
