/**
 * Wire types of the engine admin API (`/admin/v1`, docs/admin-api.md). Declared here rather than
 * imported: the client may not depend on the engine, @stoa/bundle or @stoa/vsql (it runs in
 * browsers), so these mirror the contract and must change with it.
 */

/** @stoa/bundle's manifest (`manifest.json` of a `stoa.bundle/1` zip), as the node stores it. */
export interface BundleManifest {
  readonly format: 'stoa.bundle/1';
  /** The APPLICATION name (= stoa.json `name`). */
  readonly name: string;
  readonly partitions: number;
  readonly appdefVersion: number;
  readonly compiler: { readonly assemblyscript: string; readonly abi: 1 };
  /** Schema file path → sha256 (hex) of its UTF-8 bytes. */
  readonly sources: Readonly<Record<string, string>>;
  /** VSQL package local name → its WASM module. */
  readonly modules: Readonly<Record<string, { readonly sha256: string; readonly bytes: number }>>;
  /** sha256 (hex) of appdef.json. */
  readonly appdefSha256: string;
}

export interface BundleInfo {
  /** sha256 (hex) of the bundle's bytes. */
  readonly id: string;
  readonly bytes: number;
  readonly manifest: BundleManifest;
  /** PUT only: false when the node already had this bundle. */
  readonly created: boolean;
}

export interface Deployment {
  /** 1, 2, … per app, never reused. */
  readonly version: number;
  /** Bundle id (sha256). */
  readonly bundle: string;
  readonly kind: 'deploy' | 'rollback' | 'undeploy';
  /** ISO-8601. */
  readonly at: string;
  /** The admin token's `sub`. */
  readonly by: string;
  /** Diff text against the version active before ('' for the first). */
  readonly diff: string;
}

/** One line of @stoa/vsql's `diffAppDefs`. */
export interface DiffEntry {
  readonly change: 'added' | 'removed' | 'changed';
  /** `workspace`, `table`, `type`, `field`, `view`, `extension`, `role`, `grant`, `rate`, `limit`. */
  readonly subject: string;
  readonly qname: string;
  readonly field?: string;
  readonly detail?: string;
}

export interface AppDefDiff {
  readonly entries: readonly DiffEntry[];
  /** One line per entry (`+ table todo.Note`, `- field …`, `~ …`); empty when nothing changed. */
  readonly text: string;
}

/** One finding of @stoa/vsql's `checkCompatibility` (e.g. code `field-removed`). */
export interface BreakingChange {
  readonly code: string;
  readonly qname: string;
  readonly field?: string;
  readonly message: string;
}

export interface DeployResult {
  /** `owner/app`. */
  readonly app: string;
  /** Null when unchanged or a dry run. */
  readonly deployment: Deployment | null;
  /** The bundle already is the active version: nothing was done. */
  readonly unchanged: boolean;
  readonly dryRun: boolean;
  /** Live → new; empty on a first deploy. */
  readonly diff: AppDefDiff;
  /** How long the swap held new requests (0 for dry runs). */
  readonly activationMs: number;
}

export interface AppInfo {
  readonly owner: string;
  readonly name: string;
  readonly partitions: number;
  readonly status: 'active' | 'undeployed';
  /** `folder` apps come from the node's STOA_APPS and cannot be managed through the admin API. */
  readonly source: 'admin' | 'folder';
  /** What the node serves (the bundle id for admin apps). */
  readonly versionHash: string;
  readonly active: Deployment | null;
}

export interface AppDetail extends AppInfo {
  /** Newest first. */
  readonly history: readonly Deployment[];
}

export interface NodeInfo {
  readonly id: string;
  readonly hostname: string;
  readonly engineVersion: string;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  /** `lmdb` | `mem` | `cassandra` | `dynamodb`. */
  readonly storage: string;
  readonly ready: boolean;
  readonly apps: number;
}

export interface LogEntry {
  /** Increasing per node since its start. */
  readonly seq: number;
  /** Milliseconds since epoch. */
  readonly time: number;
  /** pino levels: 30 info, 40 warn, 50 error. */
  readonly level: number;
  readonly msg: string;
  /** `owner/app` when the line is about one app. */
  readonly app?: string;
  /** The rest of the pino line. */
  readonly [key: string]: unknown;
}

export interface LogPage {
  readonly entries: readonly LogEntry[];
  /** Pass as `since` to read on from here. */
  readonly next: number;
}

/** The `data` of a 409 answer to a deploy that would break stored data or clients. */
export interface IncompatibleDeployData {
  readonly reason: 'incompatible';
  readonly breaking: readonly BreakingChange[];
  readonly diff: AppDefDiff;
}

export type RollbackTarget = { readonly version: number } | { readonly bundle: string };
