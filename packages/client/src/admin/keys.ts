import { AppError } from '@stoa/errors';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey } from 'jose';

/**
 * Admin credentials: the caller holds a private JWK and signs a short-lived system JWT per use;
 * the engine trusts the matching public JWK (`STOA_ADMIN_PUBLIC_KEY`). No shared secret ever
 * travels, and a leaked token is worth at most its few minutes (docs/admin-api.md).
 */

/** The `aud` every admin token carries. */
export const ADMIN_AUDIENCE = 'stoa-admin';
/** The engine refuses tokens with `exp − iat` above this. */
export const MAX_ADMIN_TOKEN_TTL_SECONDS = 300;
export const DEFAULT_ADMIN_TOKEN_TTL_SECONDS = 120;

export type AdminPublicJwk =
  | {
      readonly kty: 'OKP';
      readonly crv: 'Ed25519';
      readonly x: string;
      readonly kid?: string;
      readonly alg?: 'EdDSA';
    }
  | {
      readonly kty: 'EC';
      readonly crv: 'P-256';
      readonly x: string;
      readonly y: string;
      readonly kid?: string;
      readonly alg?: 'ES256';
    };

/** The key file's content: the public JWK plus the private scalar `d`. */
export type AdminPrivateJwk = AdminPublicJwk & { readonly d: string };

/** A fresh Ed25519 pair; `kid` is the RFC 7638 thumbprint of the public key, `alg` EdDSA. */
export async function generateAdminKeyPair(): Promise<{ privateJwk: AdminPrivateJwk; publicJwk: AdminPublicJwk }> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  if (typeof jwk.x !== 'string' || typeof jwk.d !== 'string') throw new Error('Ed25519 key exported without x/d');
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'sha256');
  const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, alg: 'EdDSA' } as const;
  return { privateJwk: { ...publicJwk, d: jwk.d }, publicJwk };
}

/** The public half (what `STOA_ADMIN_PUBLIC_KEY` holds). */
export function toPublicJwk(key: AdminPrivateJwk): AdminPublicJwk {
  const { d: _d, ...rest } = key;
  return rest;
}

export interface SignAdminTokenOptions {
  /** Who acts, recorded in the deploy history: `cli:alice@host`, `portal:user-42`. */
  readonly subject: string;
  /** 1…300; default 120. */
  readonly ttlSeconds?: number;
  /** Seconds since epoch (tests); default now. */
  readonly nowSeconds?: number;
}

/** A system JWT for `/admin/v1`: aud `stoa-admin`, sub, iat, exp, jti; header alg and kid of the key. */
export async function signAdminToken(
  key: AdminPrivateJwk | AdminSigningKey,
  options: SignAdminTokenOptions,
): Promise<string> {
  const signing = 'cryptoKey' in key ? key : await importAdminKey(key);
  const ttl = options.ttlSeconds ?? DEFAULT_ADMIN_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_ADMIN_TOKEN_TTL_SECONDS) {
    throw new AppError(
      'BAD_REQUEST',
      `admin token ttlSeconds must be an integer 1…${MAX_ADMIN_TOKEN_TTL_SECONDS}, got ${ttl}`,
    );
  }
  if (options.subject === '') throw new AppError('BAD_REQUEST', 'admin token subject must not be empty');
  const iat = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: signing.alg, typ: 'JWT', ...(signing.kid === undefined ? {} : { kid: signing.kid }) })
    .setAudience(ADMIN_AUDIENCE)
    .setSubject(options.subject)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setJti(globalThis.crypto.randomUUID())
    .sign(signing.cryptoKey);
}

/** A private JWK imported once, for callers that sign many tokens. */
export interface AdminSigningKey {
  readonly alg: 'EdDSA' | 'ES256';
  readonly kid: string | undefined;
  readonly cryptoKey: CryptoKey;
}

export async function importAdminKey(key: AdminPrivateJwk): Promise<AdminSigningKey> {
  const alg = key.kty === 'OKP' ? 'EdDSA' : 'ES256';
  const { kid: _kid, alg: _alg, ...material } = key;
  const cryptoKey = await importJWK(material, alg);
  // A symmetric JWK would come back as bytes; parseAdminKeyFile never lets one through.
  if (cryptoKey instanceof Uint8Array) throw new AppError('BAD_REQUEST', 'admin key: not an asymmetric key');
  return { alg, kid: key.kid, cryptoKey };
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The key file's JSON → a private JWK, or AppError('VALIDATION_FAILED') saying what is wrong
 * (not JSON, a public key, an unsupported key type, a missing or malformed member). Callers
 * prefix the file name.
 */
export function parseAdminKeyFile(text: string): AdminPrivateJwk {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidKey('not JSON: expected a private JWK such as `stoa keygen` writes');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidKey('expected a JSON object (a private JWK)');
  }
  const jwk = value as Record<string, unknown>;
  if (Array.isArray(jwk['keys'])) throw invalidKey('this is a JWKS (public keys): expected one private JWK');
  const kty = jwk['kty'];
  const crv = jwk['crv'];
  const isEd25519 = kty === 'OKP' && crv === 'Ed25519';
  const isP256 = kty === 'EC' && crv === 'P-256';
  if (!isEd25519 && !isP256) {
    throw invalidKey(
      `expected an Ed25519 (kty "OKP", crv "Ed25519") or P-256 (kty "EC", crv "P-256") JWK, got kty ${show(kty)} crv ${show(crv)}`,
    );
  }
  if (jwk['d'] === undefined) {
    throw invalidKey('this is a public key (no "d"): the admin key file must hold the private key');
  }
  for (const member of isEd25519 ? ['x', 'd'] : ['x', 'y', 'd']) {
    const v = jwk[member];
    if (typeof v !== 'string' || !BASE64URL.test(v)) throw invalidKey(`"${member}" must be a base64url string`);
  }
  const kid = jwk['kid'];
  if (kid !== undefined && (typeof kid !== 'string' || kid === ''))
    throw invalidKey('"kid" must be a non-empty string');
  const alg = jwk['alg'];
  const expectedAlg = isEd25519 ? 'EdDSA' : 'ES256';
  if (alg !== undefined && alg !== expectedAlg) {
    throw invalidKey(`"alg" ${show(alg)} does not fit a ${String(crv)} key (expected "${expectedAlg}")`);
  }
  const common = { d: jwk['d'] as string, x: jwk['x'] as string, ...(kid === undefined ? {} : { kid }) };
  return isEd25519
    ? { kty: 'OKP', crv: 'Ed25519', ...common, ...(alg === undefined ? {} : { alg: 'EdDSA' }) }
    : { kty: 'EC', crv: 'P-256', y: jwk['y'] as string, ...common, ...(alg === undefined ? {} : { alg: 'ES256' }) };
}

function invalidKey(problem: string): AppError {
  return new AppError('VALIDATION_FAILED', `admin key: ${problem}`);
}

function show(v: unknown): string {
  return v === undefined ? '(none)' : JSON.stringify(v);
}
