/**
 * System JWTs for the engine admin API (docs/admin-api.md): the caller (portal, deploy worker,
 * CLI) signs a short-lived token with its private key; the engine verifies it against the public
 * keys of `STOA_ADMIN_PUBLIC_KEY`. There is no shared secret, and the engine refuses to be handed
 * a private key: one in its config means the key was copied to the wrong side.
 */
import { createPublicKey } from 'node:crypto';
import { AppError } from '@stoa/errors';
import { calculateJwkThumbprint, decodeProtectedHeader, errors as joseErrors, importJWK, jwtVerify } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { z } from 'zod';
import { MAX_TOKEN_LENGTH } from './tokens.js';

export const ADMIN_AUDIENCE = 'stoa-admin';
export const ADMIN_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type AdminAlgorithm = (typeof ADMIN_ALGORITHMS)[number];
/** Longest accepted `exp − iat`: admin tokens are minted per operation. */
export const MAX_ADMIN_TOKEN_LIFETIME_SECONDS = 300;
export const ADMIN_CLOCK_TOLERANCE_SECONDS = 30;
export const MAX_ADMIN_SUBJECT_LENGTH = 200;

const ENV = 'STOA_ADMIN_PUBLIC_KEY';

/** One trusted public key. `kid` is the JWK's own, else its RFC 7638 thumbprint. */
export interface AdminPublicKey {
  readonly kid: string;
  readonly alg: AdminAlgorithm;
  readonly key: CryptoKey;
}

/** The parsed `STOA_ADMIN_PUBLIC_KEY`: kids and algorithms are safe to log. */
export interface AdminKeySet {
  readonly keys: readonly AdminPublicKey[];
}

function badConfig(message: string, cause?: unknown): AppError {
  return new AppError('BAD_REQUEST', `${ENV}: ${message}`, cause === undefined ? {} : { cause });
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const publicJwkSchema = z.looseObject({
  kty: z.string(),
  crv: z.string().optional(),
  x: z.string().regex(B64URL).optional(),
  y: z.string().regex(B64URL).optional(),
  kid: z.string().min(1).max(200).optional(),
  alg: z.string().optional(),
  use: z.string().optional(),
});

/** Members that only a private (or symmetric) JWK carries. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

async function importPublicJwk(raw: unknown, where: string): Promise<AdminPublicKey> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badConfig(`${where} is not a JSON object`);
  const privateMember = PRIVATE_JWK_MEMBERS.find((m) => Object.hasOwn(raw, m));
  if (privateMember !== undefined) {
    throw badConfig(
      `${where} is a private key (JWK member "${privateMember}"): configure only the public key (the JWK without "${privateMember}") and keep the private key with the caller`,
    );
  }
  const parsed = publicJwkSchema.safeParse(raw);
  if (!parsed.success) throw badConfig(`${where} is not a valid public JWK`);
  const jwk = parsed.data;
  if (jwk.use !== undefined && jwk.use !== 'sig') throw badConfig(`${where} has "use": "${jwk.use}"; expected "sig"`);
  let alg: AdminAlgorithm;
  let material: JWK;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x !== undefined) {
    // jose 6 also names the algorithm "Ed25519"; tokens must still say EdDSA.
    if (jwk.alg !== undefined && jwk.alg !== 'EdDSA' && jwk.alg !== 'Ed25519') {
      throw badConfig(`${where} is an Ed25519 key with "alg": "${jwk.alg}"; expected "EdDSA"`);
    }
    alg = 'EdDSA';
    material = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
  } else if (jwk.kty === 'EC' && jwk.crv === 'P-256' && jwk.x !== undefined && jwk.y !== undefined) {
    if (jwk.alg !== undefined && jwk.alg !== 'ES256') {
      throw badConfig(`${where} is a P-256 key with "alg": "${jwk.alg}"; expected "ES256"`);
    }
    alg = 'ES256';
    material = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
  } else {
    const kind = jwk.crv === undefined ? jwk.kty : `${jwk.kty}/${jwk.crv}`;
    throw badConfig(`${where} is a ${kind} key; only Ed25519 (EdDSA) and P-256 (ES256) public keys are accepted`);
  }
  let key: CryptoKey | Uint8Array;
  try {
    key = await importJWK(material, alg, { extractable: false });
  } catch (e) {
    throw badConfig(`${where} is not a valid ${alg === 'EdDSA' ? 'Ed25519' : 'P-256'} public key`, e);
  }
  if (key instanceof Uint8Array) throw badConfig(`${where} imported as a symmetric key`);
  const kid = jwk.kid ?? (await calculateJwkThumbprint(material, 'sha256'));
  return { kid, alg, key };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** PEM SPKI blocks → public JWKs (node:crypto parses the DER; the JWK path does the rest). */
function pemToJwks(text: string): unknown[] {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) throw badConfig('malformed PEM: no complete BEGIN/END block');
  return blocks.map((block, i) => {
    const label = block[1] ?? '';
    const where = blocks.length === 1 ? 'the PEM block' : `PEM block #${i + 1}`;
    // Checked on the label before parsing: createPublicKey would happily derive a public key from
    // a private one, hiding the mistake.
    if (label.includes('PRIVATE KEY')) {
      throw badConfig(
        `${where} is a private key (${label}): configure only the public key (PUBLIC KEY, SPKI) and keep the private key with the caller`,
      );
    }
    if (label !== 'PUBLIC KEY') throw badConfig(`${where} is a ${label}; expected a PUBLIC KEY (SPKI) block`);
    try {
      return createPublicKey({ key: block[0], format: 'pem' }).export({ format: 'jwk' });
    } catch (e) {
      throw badConfig(`${where} is not a valid SPKI public key`, e);
    }
  });
}

/**
 * Parses the content of `STOA_ADMIN_PUBLIC_KEY` (the caller resolved `@file`): a public JWK, a
 * JWKS `{"keys":[…]}` or one or more PEM SPKI blocks. Ed25519 and P-256 only; private keys,
 * duplicate kids and anything else → AppError BAD_REQUEST (messages never quote key material).
 */
export async function parseAdminPublicKeys(text: string): Promise<AdminKeySet> {
  const trimmed = text.trim();
  if (trimmed === '') throw badConfig('empty; expected a public JWK, a JWKS or a PEM public key');
  let jwks: { raw: unknown; where: string }[];
  if (trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      // JSON.parse's message may quote the input.
      throw badConfig('not valid JSON');
    }
    const keys = (json as { keys?: unknown }).keys;
    if (keys === undefined) {
      jwks = [{ raw: json, where: 'the JWK' }];
    } else {
      if (!Array.isArray(keys) || keys.length === 0) throw badConfig('JWKS "keys" must be a non-empty array');
      jwks = keys.map((raw: unknown, i) => ({ raw, where: `JWKS key #${i + 1}` }));
    }
  } else if (trimmed.includes('-----BEGIN ')) {
    const list = pemToJwks(trimmed);
    jwks = list.map((raw, i) => ({ raw, where: list.length === 1 ? 'the PEM block' : `PEM block #${i + 1}` }));
  } else {
    throw badConfig('expected a public JWK (JSON object), a JWKS ({"keys":[…]}) or a PEM public key block');
  }
  const keys: AdminPublicKey[] = [];
  for (const { raw, where } of jwks) {
    const key = await importPublicJwk(raw, where);
    if (keys.some((k) => k.kid === key.kid)) throw badConfig(`${where}: duplicate kid "${key.kid}"`);
    keys.push(key);
  }
  return { keys };
}

export type AdminTokenVerifierFn = (token: string) => Promise<{ subject: string }>;

export interface AdminTokenVerifierOptions {
  /** Milliseconds since epoch; injectable for tests. Default `Date.now`. */
  readonly now?: () => number;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const claimsSchema = z.object({
  sub: z.string().min(1).max(MAX_ADMIN_SUBJECT_LENGTH),
  iat: z.number().finite(),
  exp: z.number().finite(),
});

function unauthenticated(message: string, cause?: unknown): AppError {
  return new AppError('UNAUTHENTICATED', message, cause === undefined ? {} : { cause });
}

/** A jose failure → a precise 401; the token itself is never echoed. */
function toAdminAuthError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof joseErrors.JWTExpired) return unauthenticated('admin token expired');
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.reason === 'missing') return unauthenticated(`admin token lacks the "${e.claim}" claim`);
    if (e.claim === 'aud') return unauthenticated(`admin token audience must be "${ADMIN_AUDIENCE}"`);
    if (e.claim === 'nbf') return unauthenticated('admin token not yet valid (nbf)');
    return unauthenticated(`admin token "${e.claim}" claim is invalid`, e);
  }
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return unauthenticated('admin token signature invalid');
  if (e instanceof joseErrors.JOSEAlgNotAllowed) {
    return unauthenticated(`admin token algorithm not allowed (${ADMIN_ALGORITHMS.join(' or ')})`);
  }
  return unauthenticated('malformed admin token', e);
}

/**
 * Verifies admin system JWTs: `aud` "stoa-admin", EdDSA/ES256, `exp` and `iat` required with
 * `exp − iat ≤ 300 s`, 30 s clock tolerance, `sub` 1..200 chars. A `kid` header selects the key
 * (unknown kid → 401); without one every key of the token's algorithm is tried. With no key set
 * configured every token is refused: a node without a trusted key cannot be administered.
 */
export function createAdminTokenVerifier(
  keys: AdminKeySet | undefined,
  options: AdminTokenVerifierOptions = {},
): AdminTokenVerifierFn {
  const now = options.now ?? Date.now;
  return async (token: string) => {
    if (keys === undefined || keys.keys.length === 0) {
      throw unauthenticated(`no admin public key configured (${ENV})`);
    }
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) {
      throw unauthenticated(`admin token longer than ${MAX_TOKEN_LENGTH} characters`);
    }
    if (!TOKEN_SHAPE.test(token)) throw unauthenticated('malformed admin token');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch (e) {
      throw unauthenticated('malformed admin token', e);
    }
    const alg = ADMIN_ALGORITHMS.find((a) => a === header.alg);
    if (alg === undefined) {
      throw unauthenticated(`admin token algorithm not allowed (${ADMIN_ALGORITHMS.join(' or ')})`);
    }
    let candidates: readonly AdminPublicKey[];
    if (header.kid !== undefined) {
      const byKid = keys.keys.find((k) => k.kid === header.kid);
      if (byKid === undefined) throw unauthenticated('admin token key id (kid) unknown');
      if (byKid.alg !== alg)
        throw unauthenticated(`admin token algorithm ${alg} does not match its key (${byKid.alg})`);
      candidates = [byKid];
    } else {
      candidates = keys.keys.filter((k) => k.alg === alg);
      if (candidates.length === 0) throw unauthenticated(`no admin public key for algorithm ${alg}`);
    }
    const currentMs = now();
    let payload: unknown;
    for (const candidate of candidates) {
      try {
        ({ payload } = await jwtVerify(token, candidate.key, {
          algorithms: [alg],
          audience: ADMIN_AUDIENCE,
          clockTolerance: ADMIN_CLOCK_TOLERANCE_SECONDS,
          currentDate: new Date(currentMs),
          requiredClaims: ['exp', 'iat', 'sub'],
        }));
        break;
      } catch (e) {
        // Another key may have signed it; claim errors come only after a good signature.
        if (e instanceof joseErrors.JWSSignatureVerificationFailed) continue;
        throw toAdminAuthError(e);
      }
    }
    if (payload === undefined) throw unauthenticated('admin token signature invalid');
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) {
      const field = claims.error.issues[0]?.path[0];
      if (field === 'sub') {
        throw unauthenticated(
          `admin token "sub" must be a non-empty string of at most ${MAX_ADMIN_SUBJECT_LENGTH} characters`,
        );
      }
      throw unauthenticated(`admin token "${String(field)}" claim must be a number`);
    }
    const { sub, iat, exp } = claims.data;
    // A future iat would stretch the validity window beyond the lifetime cap.
    if (iat > currentMs / 1000 + ADMIN_CLOCK_TOLERANCE_SECONDS)
      throw unauthenticated('admin token issued in the future (iat)');
    if (exp - iat > MAX_ADMIN_TOKEN_LIFETIME_SECONDS) {
      throw unauthenticated(`admin token lifetime exceeds ${MAX_ADMIN_TOKEN_LIFETIME_SECONDS} s`);
    }
    return { subject: sub };
  };
}
