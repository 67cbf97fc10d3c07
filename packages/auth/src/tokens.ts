import { randomBytes } from 'node:crypto';
import { AppError } from '@stoa/errors';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { SIGNING_ALGORITHM } from './keys.js';
import type { KeyRing } from './keys.js';
import type { Authenticator, Principal, PrincipalKind } from './principal.js';

export const TOKEN_ISSUER = 'stoa';
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
export const MAX_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
/** Bearer tokens longer than this are rejected before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;

const PRINCIPAL_KINDS = ['user', 'device', 'system', 'apiToken'] as const satisfies readonly PrincipalKind[];

export interface IssuePrincipalTokenInput {
  /** `owner/app`: becomes the `aud`; the token is accepted by this app only. */
  readonly app: string;
  readonly subject: string;
  readonly kind: PrincipalKind;
  readonly profileWSID: number;
  /** Default 3600; at most 7 days (and at most the ring's max token lifetime). */
  readonly ttlSeconds?: number;
  /** API tokens only: the workspace they are bound to and the roles they carry there. */
  readonly wsid?: number;
  readonly roles?: readonly string[];
}

export interface IssuedToken {
  readonly token: string;
  readonly expiresInSeconds: number;
}

/**
 * Signs an identity token (no workspace roles, except the bound roles of an API token).
 * Claims: iss, aud, sub, iat, nbf, exp, jti, `pws` (profile WSID), `knd` (principal kind), and for
 * API tokens `wsid`/`rls`.
 */
export async function issuePrincipalToken(ring: KeyRing, input: IssuePrincipalTokenInput): Promise<IssuedToken> {
  const ttl = input.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  const maxTtl = Math.min(MAX_TOKEN_TTL_SECONDS, ring.maxTokenLifetimeSeconds);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new AppError('BAD_REQUEST', 'token TTL must be a positive integer');
  if (ttl > maxTtl) throw new AppError('BAD_REQUEST', `max token TTL is ${maxTtl} seconds`);
  if (input.app === '' || !input.app.includes('/')) throw new AppError('BAD_REQUEST', 'app must be owner/app');
  if (input.subject === '') throw new AppError('BAD_REQUEST', 'subject must not be empty');
  if (!PRINCIPAL_KINDS.includes(input.kind)) throw new AppError('BAD_REQUEST', 'unknown principal kind');
  if (!Number.isSafeInteger(input.profileWSID) || input.profileWSID < 0) {
    throw new AppError('BAD_REQUEST', 'profileWSID must be a non-negative integer');
  }
  const claims: Record<string, unknown> = { pws: input.profileWSID, knd: input.kind };
  if (input.kind === 'apiToken') {
    if (input.wsid === undefined || !Number.isSafeInteger(input.wsid) || input.wsid <= 0) {
      throw new AppError('BAD_REQUEST', 'an API token must be bound to a workspace');
    }
    claims['wsid'] = input.wsid;
    claims['rls'] = [...(input.roles ?? [])];
  }
  const { kid, key } = ring.signingKey();
  const iat = Math.floor(ring.now() / 1000);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(input.app)
    .setSubject(input.subject)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + ttl)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(key);
  return { token, expiresInSeconds: ttl };
}

export interface AuthenticatorOptions {
  /** Allowed clock skew for exp/nbf (default 5 s). */
  readonly clockToleranceSeconds?: number;
  /** Revocation check by token id (API tokens, logouts); a revoked token is a 401. */
  readonly isRevoked?: (jti: string) => boolean | Promise<boolean>;
  /**
   * Verified tokens remembered (by app + exact token string) so a client reusing its token skips
   * the signature check; expiry, the signing key's validity and revocation are still checked on
   * every call. Default 1000 entries; 0 disables.
   */
  readonly cacheSize?: number;
}

interface CachedPrincipal {
  readonly principal: Principal;
  readonly kid: string;
  readonly exp: number;
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  jti: z.string().min(1),
  exp: z.number().int(),
  nbf: z.number().int(),
  iat: z.number().int(),
  pws: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  knd: z.enum(PRINCIPAL_KINDS),
  wsid: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  rls: z.array(z.string()).max(100).optional(),
});

const TOKEN_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function unauthenticated(message: string, cause?: unknown): AppError {
  return new AppError('UNAUTHENTICATED', message, cause === undefined ? {} : { cause });
}

/** Maps a jose failure to one of a few safe messages; the token itself is never echoed. */
function toAuthError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof joseErrors.JWTExpired) return unauthenticated('token expired');
  if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'aud') {
    return unauthenticated('token is for another app');
  }
  // The cause is a jose error (names the failed check, never key material): useful in debug logs.
  return unauthenticated('invalid token', e);
}

/**
 * Verifies bearer tokens against the ring: EdDSA only, key chosen by `kid`, issuer `stoa`,
 * audience = the called app, exp/nbf/iat/jti required. Any failure is a 401.
 */
export function createAuthenticator(ring: KeyRing, options: AuthenticatorOptions = {}): Authenticator {
  const clockTolerance = options.clockToleranceSeconds ?? 5;
  const isRevoked = options.isRevoked;
  const cacheSize = Math.max(0, Math.floor(options.cacheSize ?? 1000));
  const cache = new Map<string, CachedPrincipal>();
  const getKey: JWTVerifyGetKey = (header) => {
    if (header.alg !== SIGNING_ALGORITHM || typeof header.kid !== 'string') throw unauthenticated('invalid token');
    const key = ring.verificationKey(header.kid);
    if (key === undefined) throw unauthenticated('invalid token');
    return key;
  };

  return {
    async authenticate(app: string, bearerToken: string): Promise<Principal> {
      if (typeof bearerToken !== 'string' || bearerToken.length > MAX_TOKEN_LENGTH)
        throw unauthenticated('invalid token');
      // Keyed by the token alone (no key string built per request); a token is valid for one
      // audience, so an entry for another app is a miss (and then fails verification).
      const cacheKey = bearerToken;
      const hit = cache.get(cacheKey);
      if (hit !== undefined && hit.principal.app === app) {
        if (ring.now() / 1000 >= hit.exp + clockTolerance) {
          cache.delete(cacheKey);
          throw unauthenticated('token expired');
        }
        if (ring.verificationKey(hit.kid) === undefined) {
          cache.delete(cacheKey);
          throw unauthenticated('invalid token');
        }
        if (isRevoked !== undefined && (await isRevoked(hit.principal.tokenId ?? ''))) {
          throw unauthenticated('token revoked');
        }
        return hit.principal;
      }
      if (!TOKEN_SHAPE.test(bearerToken)) throw unauthenticated('invalid token');
      let payload: unknown;
      let kid: unknown;
      try {
        ({
          payload,
          protectedHeader: { kid },
        } = await jwtVerify(bearerToken, getKey, {
          algorithms: [SIGNING_ALGORITHM],
          issuer: TOKEN_ISSUER,
          audience: app,
          typ: 'JWT',
          clockTolerance,
          currentDate: new Date(ring.now()),
          requiredClaims: ['sub', 'jti', 'exp', 'nbf', 'iat'],
        }));
      } catch (e) {
        throw toAuthError(e);
      }
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success) throw unauthenticated('invalid token');
      const c = claims.data;
      // Defence in depth: a token living longer than any key is kept could not be checked later.
      if (c.exp - c.nbf > ring.maxTokenLifetimeSeconds) throw unauthenticated('invalid token');
      if (c.knd === 'apiToken' && c.wsid === undefined) throw unauthenticated('invalid token');
      if (isRevoked !== undefined && (await isRevoked(c.jti))) throw unauthenticated('token revoked');

      // Frozen: the same object is handed out again on cache hits.
      const principal: Principal = Object.freeze({
        kind: c.knd,
        subject: c.sub,
        app,
        profileWSID: c.pws,
        tokenId: c.jti,
        expiresAt: c.exp,
        ...(c.knd === 'apiToken' ? { wsid: c.wsid, roles: Object.freeze(c.rls ?? []) } : {}),
      });
      if (cacheSize > 0 && typeof kid === 'string') {
        // Oldest-first eviction: Map iteration order is insertion order.
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
        cache.set(cacheKey, { principal, kid, exp: c.exp });
      }
      return principal;
    },
  };
}
