/**
 * The engine admin API's contract (docs/admin-api.md) between its HTTP edge (admin-routes.ts) and
 * the deploy service that implements it (deploy-service.ts). Every method throws AppError for
 * expected failures (the edge maps codes to statuses).
 */
import type { BundleManifest } from '@stoa/bundle/bundle';
import type { BreakingChange, DiffEntry } from '@stoa/vsql';

/** Who calls: the verified system JWT. */
export interface AdminCaller {
  /** The token's `sub`: recorded in the deploy history. */
  readonly subject: string;
}

export interface BundleInfo {
  readonly id: string;
  readonly bytes: number;
  readonly manifest: BundleManifest;
  readonly created: boolean;
}

export interface Deployment {
  readonly version: number;
  readonly bundle: string;
  readonly kind: 'deploy' | 'rollback' | 'undeploy';
  readonly at: string;
  readonly by: string;
  readonly diff: string;
}

export interface DeployResult {
  readonly app: string;
  readonly deployment: Deployment | null;
  readonly unchanged: boolean;
  readonly dryRun: boolean;
  readonly diff: { readonly entries: readonly DiffEntry[]; readonly text: string };
  readonly activationMs: number;
}

export interface AppInfo {
  readonly owner: string;
  readonly name: string;
  readonly partitions: number;
  readonly status: 'active' | 'undeployed';
  readonly source: 'admin' | 'folder';
  readonly versionHash: string;
  readonly active: Deployment | null;
}

export interface AppDetail extends AppInfo {
  readonly history: readonly Deployment[];
}

export interface NodeInfo {
  readonly id: string;
  readonly hostname: string;
  readonly engineVersion: string;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly storage: string;
  readonly ready: boolean;
  readonly apps: number;
}

export interface LogEntry {
  readonly seq: number;
  readonly time: number;
  readonly level: number;
  readonly msg: string;
  readonly app?: string;
  readonly [key: string]: unknown;
}

/** A breaking change of a redeploy: the AppDef's (@stoa/vsql) or the manifest's partition count. */
export type DeployBreakingChange =
  BreakingChange | { readonly code: 'partitions-changed'; readonly qname: string; readonly message: string };

/** The 409 `data` of an incompatible redeploy. */
export interface IncompatibleDeployData {
  readonly reason: 'incompatible';
  readonly breaking: readonly DeployBreakingChange[];
  readonly diff: { readonly entries: readonly DiffEntry[]; readonly text: string };
}

export type RollbackTarget = { readonly version: number } | { readonly bundle: string };

export interface AdminApi {
  putBundle(caller: AdminCaller, id: string, bytes: Uint8Array): Promise<BundleInfo>;
  getBundle(caller: AdminCaller, id: string): Promise<BundleInfo>;
  deploy(
    caller: AdminCaller,
    owner: string,
    app: string,
    input: { bundle: string; dryRun: boolean },
  ): Promise<DeployResult>;
  rollback(caller: AdminCaller, owner: string, app: string, target: RollbackTarget): Promise<DeployResult>;
  undeploy(caller: AdminCaller, owner: string, app: string): Promise<AppInfo>;
  listApps(caller: AdminCaller): Promise<readonly AppInfo[]>;
  getApp(caller: AdminCaller, owner: string, app: string): Promise<AppDetail>;
  listSecrets(caller: AdminCaller, owner: string, app: string): Promise<readonly string[]>;
  putSecret(caller: AdminCaller, owner: string, app: string, name: string, value: string): Promise<void>;
  /** NOT_FOUND when the secret does not exist. */
  deleteSecret(caller: AdminCaller, owner: string, app: string, name: string): Promise<void>;
  listNodes(caller: AdminCaller): Promise<readonly NodeInfo[]>;
}

/** The node's recent log lines (log-buffer.ts). */
export interface LogSource {
  /** Lines with seq > since (all kept when undefined), at most `limit` (the newest), optionally of one app. */
  read(options: { since?: number; limit: number; app?: string }): { entries: LogEntry[]; next: number };
  /** Calls `listener` for every new line; returns the unsubscribe function. */
  subscribe(listener: (entry: LogEntry) => void): () => void;
}

/** Verifies a system JWT (admin-tokens in @stoa/auth); throws AppError UNAUTHENTICATED. */
export type AdminTokenVerifier = (token: string) => Promise<AdminCaller>;
