import type { Principal } from '@stoa/auth';
import type { AppDef, QName } from '@stoa/vsql';
import type { IdentityService } from './identity/types.js';
import type { MembershipApi } from './membership/api.js';

/**
 * The contract between the HTTP edge (src/http) and the processing core (src/core). The edge
 * parses and validates HTTP input (zod), authenticates the bearer token into a Principal, and calls
 * these methods; the core resolves roles from workspace membership, checks the ACL, runs the
 * pipelines and throws AppError for every expected failure (the edge maps codes to statuses):
 *   UNAUTHENTICATED 401 — anonymous caller on a resource not granted to sys.Anonymous/sys.Everyone
 *   FORBIDDEN 403, NOT_FOUND 404, METHOD_NOT_ALLOWED 405 (ODoc through /docs), CONFLICT 409,
 *   GONE 410 (inactive workspace), VALIDATION_FAILED/BAD_REQUEST 400 (field named in message and
 *   `data.field`), RATE_LIMITED 429, UNAVAILABLE 503 (partition queue full / not ready).
 * Numbers: WSIDs and ids are JSON numbers (< 2^53); int64/timestamp values are numbers when
 * |v| ≤ 2^53−1 and decimal strings beyond; inputs accept both.
 */

export interface CallContext {
  readonly requestId: string;
  /** null = anonymous (no token). */
  readonly principal: Principal | null;
  readonly ip: string;
}

export interface WorkspaceInfo {
  readonly wsid: number;
  readonly kind: QName;
  readonly name: string;
  readonly roles: readonly QName[];
  readonly active: boolean;
}

export interface CreateWorkspaceInput {
  readonly kind: QName;
  readonly name: string;
  readonly descriptor: Readonly<Record<string, unknown>>;
}

/** A CUD as sent by clients (API v2 `cuds`): insert when `sys.ID` is inside `fields` (raw id). */
export interface CudInput {
  /** Update/activate/deactivate of an existing record. */
  readonly 'sys.ID'?: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface CommandInput {
  readonly args?: Readonly<Record<string, unknown>>;
  readonly unloggedArgs?: Readonly<Record<string, unknown>>;
  readonly cuds?: readonly CudInput[];
}

export interface CommandResult {
  readonly currentWLogOffset: number;
  /** raw id → generated id */
  readonly newIDs?: Readonly<Record<string, number>>;
  readonly result?: Readonly<Record<string, unknown>>;
}

/** API v2 read parameters (already parsed from JSON by the edge). */
export interface ReadQuery {
  readonly where?: Readonly<Record<string, unknown>>;
  /** Field names; `-field` for descending. */
  readonly order?: readonly string[];
  readonly limit?: number;
  readonly skip?: number;
  /** Only these fields in each result. */
  readonly keys?: readonly string[];
  /** Ref fields / containers to include, dotted paths. */
  readonly include?: readonly string[];
}

export interface ReadResult {
  readonly results: readonly Readonly<Record<string, unknown>>[];
}

/** One loaded app, as the edge sees it. */
export interface AppService {
  readonly owner: string;
  readonly name: string;
  readonly appdef: AppDef;
  readonly partitions: number;
  readonly versionHash: string;
  /** Logins, profile workspaces and principal tokens (`/users`, `/devices`, `/auth/*`). */
  readonly identity?: IdentityService;
  /** Invites, members, API tokens and ACL explain (core/membership). */
  readonly membership?: MembershipApi;

  createWorkspace(ctx: CallContext, input: CreateWorkspaceInput): Promise<{ wsid: number }>;
  listWorkspaces(ctx: CallContext): Promise<readonly WorkspaceInfo[]>;
  /** Owner (or system) only; afterwards every request to the workspace answers GONE 410. */
  deactivateWorkspace?(ctx: CallContext, wsid: number): Promise<void>;

  /** Any command, including `sys.CUD` with `cuds`. */
  executeCommand(ctx: CallContext, wsid: number, command: QName, input: CommandInput): Promise<CommandResult>;
  /** POST /docs: insert a document with nested records (`fields` may hold container arrays). */
  insertDoc(
    ctx: CallContext,
    wsid: number,
    table: QName,
    fields: Readonly<Record<string, unknown>>,
  ): Promise<CommandResult>;
  updateDoc(
    ctx: CallContext,
    wsid: number,
    table: QName,
    id: number,
    fields: Readonly<Record<string, unknown>>,
  ): Promise<CommandResult>;
  deactivateDoc(ctx: CallContext, wsid: number, table: QName, id: number): Promise<CommandResult>;

  getDoc(
    ctx: CallContext,
    wsid: number,
    table: QName,
    id: number,
    query: ReadQuery,
  ): Promise<Readonly<Record<string, unknown>>>;
  listCDocs(ctx: CallContext, wsid: number, table: QName, query: ReadQuery): Promise<ReadResult>;
  runQuery(
    ctx: CallContext,
    wsid: number,
    query: QName,
    args: Readonly<Record<string, unknown>> | undefined,
    read: ReadQuery,
  ): Promise<ReadResult>;
  /** `where` must fix the full partition key (400 otherwise). */
  readView(ctx: CallContext, wsid: number, view: QName, query: ReadQuery): Promise<ReadResult>;

  /** Checks the caller may subscribe to this view in this workspace (SELECT on the view). */
  authorizeSubscription(ctx: CallContext, wsid: number, view: QName): Promise<void>;
}

/** Notifications: view and log changes publish `(app, view, wsid) → offset`; SSE clients watch. */
export interface NotificationKey {
  readonly app: string;
  readonly view: QName;
  readonly wsid: number;
}

export interface NotificationBroker {
  publish(key: NotificationKey, offset: number): void;
  /** Calls `listener` with the latest offset (including one published before subscribing), then on every change. */
  watch(key: NotificationKey, listener: (offset: number) => void): () => void;
}

/** One request's hold on the version of an app it started on (see engine-core.ts). */
export interface AppLease {
  readonly service: AppService;
  /** Must be called once the request is done with the app (idempotent). */
  release(): void;
}

/** The engine as the edge sees it: loaded apps by `owner/app`. */
export interface EngineCore {
  /** The version served right now (no lease: for listings and tools). */
  getApp(owner: string, app: string): AppService | undefined;
  /**
   * The version a new request runs on, held until `release()`: a version swap waits for running
   * leases and holds new ones back until the new version serves (atomic activation).
   */
  acquireApp(owner: string, app: string): Promise<AppLease | undefined>;
  listApps(): readonly AppService[];
  readonly notifications: NotificationBroker;
  /** True once every loaded app's partitions recovered and can take commands. */
  isReady(): boolean;
}
