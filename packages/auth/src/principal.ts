/**
 * Who is calling. A token says only *who* (identity); the roles a caller holds in a workspace are
 * resolved per request from the workspace's membership records (docs/ARCHITECTURE.md §7).
 */
export type PrincipalKind = 'user' | 'device' | 'system' | 'apiToken';

export interface Principal {
  readonly kind: PrincipalKind;
  /** Login name (users/devices), token id (API tokens) or `sys` for the system principal. */
  readonly subject: string;
  /** The app the token was issued for: `owner/app` (the JWT `aud`). */
  readonly app: string;
  /** Profile workspace of the login (0 for system/API tokens). */
  readonly profileWSID: number;
  /** API tokens only: the workspace they are bound to and the roles they carry. */
  readonly wsid?: number;
  readonly roles?: readonly string[];
  /** Token id (`jti`) for revocation checks; seconds since epoch of expiry. */
  readonly tokenId?: string;
  readonly expiresAt: number;
}

/** Turns a bearer token into a principal; throws an AppError UNAUTHENTICATED (401) when invalid. */
export interface Authenticator {
  authenticate(app: string, bearerToken: string): Promise<Principal>;
}
