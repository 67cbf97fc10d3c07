import type { Principal } from '@stoa/auth';
import type { CallContext } from '../service.js';
import type { ScryptParams } from './passwords.js';
import type { ThrottleLimit } from './throttle.js';

/** Identity settings of every app of an engine (EngineCoreOptions.identity); all optional. */
export interface IdentityOptions {
  /** scrypt cost (default N = 2^15, r = 8, p = 1). Tests may lower it; production should not. */
  readonly scrypt?: ScryptParams;
  /** Password hashes computed at once / waiting (defaults 4 / 256; beyond → 503). */
  readonly maxConcurrentHashes?: number;
  readonly maxQueuedHashes?: number;
  /** Lifetime of tokens issued by `POST /auth/login` (default 3600 s, max 7 days). */
  readonly tokenTtlSeconds?: number;
  /** Failed credential checks per login name (default 5 per 60 s). */
  readonly loginFailures?: ThrottleLimit;
  /** Failed credential checks per client IP (default 20 per 60 s). */
  readonly ipFailures?: ThrottleLimit;
  /** Sign-ups (`POST /users`, `POST /devices`) per client IP (default 30 per 60 s). */
  readonly signUpsPerIp?: ThrottleLimit;
  /**
   * How long a "login is active" answer is reused by the per-request check (default 5 s). A
   * deactivation on this node updates the cache at once; other nodes see it within this time.
   */
  readonly activeCacheMs?: number;
  /** Clock of the throttles (default: the engine's `resources.now`); tests move it past a window. */
  readonly throttleClock?: () => number;
}

export interface SignUpInput {
  readonly login: string;
  readonly password: string;
  readonly displayName: string;
}

export interface CredentialsInput {
  readonly login: string;
  readonly password: string;
}

export interface ChangePasswordInput {
  readonly login: string;
  readonly oldPassword: string;
  readonly newPassword: string;
}

export interface TokenAnswer {
  readonly principalToken: string;
  readonly expiresInSeconds: number;
  readonly profileWSID: number;
}

/** Per-app logins, profile workspaces and principal tokens (core/identity). */
export interface IdentityService {
  /** `POST /users` → the login and its profile workspace (both exist when this resolves). */
  signUp(ctx: CallContext, input: SignUpInput): Promise<{ login: string; profileWSID: number }>;
  /** `POST /devices` → generated credentials (shown once). */
  createDevice(
    ctx: CallContext,
    input: { readonly displayName?: string },
  ): Promise<{ login: string; password: string }>;
  /** `POST /auth/login`; every failure is 401 `login or password is incorrect`. */
  login(ctx: CallContext, input: CredentialsInput): Promise<TokenAnswer>;
  /** `POST /auth/refresh`: a new token with the presented token's lifetime. */
  refresh(ctx: CallContext, bearerToken: string): Promise<TokenAnswer>;
  /** `POST /users/change-password` (the old password is the credential). */
  changePassword(ctx: CallContext, input: ChangePasswordInput): Promise<void>;
  /** `POST /users/deactivate`: the caller's own login, or any login for sys.System. */
  deactivate(ctx: CallContext, login: string | undefined): Promise<void>;
  /** Per request: 401 when a user/device principal's login has been deactivated. */
  checkPrincipal(principal: Principal): Promise<void>;
}
