import type { Authenticator, IssuedToken, IssuePrincipalTokenInput } from '@stoa/auth';
import type { StorageProvider } from '@stoa/storage';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TokenRevocations } from './core/membership/revocations.js';
import type { ExtensionHost } from './extensions/host.js';

/**
 * Every collaborator of the engine, injected as one object by the composition root
 * (apps/engine/src/main.ts, the CLI's `stoa dev`, tests). The engine library never reads
 * process.env and never imports a storage driver.
 */
export interface EngineResources {
  /** Opens one isolated storage per app (driver chosen by the composition root). */
  readonly storage: StorageProvider;
  readonly logger: Logger;
  /** prom-client registry the engine registers its `stoa_*` metrics in. */
  readonly metrics: Registry;
  /** Verifies bearer tokens (principal JWTs now; API tokens with the identity issue). */
  readonly authenticator: Authenticator;
  /**
   * Signs principal tokens with the node's key ring (`POST /auth/login`, `/auth/refresh`). Optional
   * so tools without a ring still compose; without it those routes answer 503.
   */
  readonly issueToken?: (input: IssuePrincipalTokenInput) => Promise<IssuedToken>;
  /**
   * Revoked API tokens of this node (core/membership); the composition root passes the same set
   * to the authenticator's `isRevoked` hook. Optional: without it revocation still works through
   * the per-request token record check.
   */
  readonly revocations?: TokenRevocations;
  /** Public keys for `/.well-known/jwks.json`. */
  readonly jwks: () => Promise<{ keys: readonly Record<string, unknown>[] }>;
  /** Extension hosts by engine; `builtin` always present, `wasm` with the WASM issue. */
  readonly extensionHosts: readonly ExtensionHost[];
  /** App secrets for `sys.AppSecret` (local file for folder apps until the admin API). */
  readonly secrets: SecretStore;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now: () => number;
  readonly limits: EngineLimits;
}

export interface SecretStore {
  get(app: string, name: string): Promise<string | undefined>;
}

export interface EngineLimits {
  /** Request body cap in bytes (413 beyond). */
  readonly maxBodyBytes: number;
  /** Commands queued per partition before 503 + Retry-After. */
  readonly maxPartitionQueue: number;
  /** Most commands written as one PLog row (group commit). */
  readonly maxGroupCommit: number;
}

export const DEFAULT_LIMITS: EngineLimits = {
  maxBodyBytes: 1024 * 1024,
  maxPartitionQueue: 1000,
  maxGroupCommit: 64,
};
