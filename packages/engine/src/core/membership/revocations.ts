/**
 * Revoked API tokens of this node, by token id (`jti`), for the authenticator's `isRevoked` hook:
 * `createAuthenticator(ring, { isRevoked: (jti) => revocations.isRevoked(jti) })`. Filled when a
 * token is revoked here and, at app load, from the app's revoked-token index (storage), so a
 * restart keeps refusing them. jtis are random 128-bit values, so one set serves every app.
 * Another node's revocation reaches this one through the per-request check of the token's
 * `sys.ApiToken` record (access.ts), which refuses it too; this set is the fast path that also
 * covers routes without a workspace. Entries are dropped once their token has expired anyway.
 */
export interface TokenRevocations {
  isRevoked(jti: string): boolean;
  /** `exp` = the token's expiry in seconds since the epoch. */
  revoke(jti: string, exp: number): void;
  readonly size: number;
}

const PRUNE_EVERY = 1024;

export function createTokenRevocations(now: () => number = Date.now): TokenRevocations {
  const revoked = new Map<string, number>();
  let added = 0;
  const prune = (): void => {
    const t = now() / 1000;
    for (const [jti, exp] of revoked) if (exp + 60 < t) revoked.delete(jti);
  };
  return {
    isRevoked: (jti) => revoked.has(jti),
    revoke(jti, exp) {
      if (exp + 60 < now() / 1000) return;
      revoked.set(jti, exp);
      if (++added % PRUNE_EVERY === 0) prune();
    },
    get size() {
      return revoked.size;
    },
  };
}
