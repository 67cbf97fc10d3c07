/**
 * Wire types of API v2, defined here because the client may import nothing of ours but
 * @stoa/errors (it runs in browsers). They mirror packages/engine/src/core/service.ts,
 * core/identity and core/membership/api.ts; ids, WSIDs and offsets are JSON numbers (< 2^53).
 */

/** `{pkg}.{name}`, e.g. `todo.Task`. */
export type QName = string;

export type Row = Readonly<Record<string, unknown>>;

/** Read parameters of cdocs, views and queries (`where` is a JSON object on the wire). */
export interface ListOptions {
  readonly where?: Readonly<Record<string, unknown>>;
  /** Field names; `-Field` = descending. */
  readonly order?: readonly string[];
  /** 1..1000. */
  readonly limit?: number;
  readonly skip?: number;
  /** Only these fields (and containers) in each row. */
  readonly keys?: readonly string[];
  /** Refs / containers to expand, dotted paths allowed. */
  readonly include?: readonly string[];
}

export interface GetDocOptions {
  readonly keys?: readonly string[];
  readonly include?: readonly string[];
}

export interface CommandResult<R = Row> {
  readonly currentWLogOffset: number;
  /** Raw id (as a string key) → generated id. */
  readonly newIDs?: Readonly<Record<string, number>>;
  readonly result?: R;
}

/** POST /docs always allocates: `newIDs` is present. */
export interface InsertResult {
  readonly currentWLogOffset: number;
  readonly newIDs: Readonly<Record<string, number>>;
}

export interface CommandInput {
  readonly args?: Readonly<Record<string, unknown>>;
  readonly unloggedArgs?: Readonly<Record<string, unknown>>;
}

export interface Cud {
  /** An existing record's id = update; absent = insert (then `fields['sys.ID']` is a raw id). */
  readonly 'sys.ID'?: number;
  readonly fields: Readonly<Record<string, unknown>>;
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
  readonly descriptor?: Readonly<Record<string, unknown>>;
}

// ---- identity

export interface SignUpInput {
  readonly login: string;
  readonly password: string;
  readonly displayName: string;
}

export interface SignUpResult {
  readonly login: string;
  readonly profileWSID: number;
}

export interface LoginInput {
  readonly login: string;
  readonly password: string;
}

export interface PrincipalToken {
  readonly principalToken: string;
  readonly expiresInSeconds: number;
  readonly profileWSID: number;
}

export interface ChangePasswordInput {
  readonly login: string;
  readonly oldPassword: string;
  readonly newPassword: string;
}

export interface DeviceCredentials {
  /** `device.<32 hex>`. */
  readonly login: string;
  /** Shown once. */
  readonly password: string;
}

// ---- membership

export type InviteState = 'created' | 'accepted' | 'declined' | 'cancelled';

export interface Invite {
  readonly inviteId: number;
  readonly wsid: number;
  readonly login: string;
  readonly roles: readonly QName[];
  readonly state: InviteState;
  readonly invitedBy?: string;
  /** Milliseconds since the epoch. */
  readonly createdAt?: number;
  readonly updatedAt?: number;
  /** In `myInvites` only. */
  readonly workspaceName?: string;
  readonly workspaceKind?: QName;
}

export interface Member {
  readonly login: string;
  readonly roles: readonly QName[];
  readonly kind: 'user' | 'device';
  readonly owner: boolean;
}

/** POST …/invites/{id}/accept. */
export interface AcceptedInvite extends Member {
  readonly wsid: number;
}

export interface CreateApiTokenInput {
  readonly name: string;
  /** PUBLISHED roles of the app, at least one. */
  readonly roles: readonly QName[];
  /** 1..604800; default 7 days. */
  readonly expiresInSeconds?: number;
}

export interface CreatedApiToken {
  readonly id: number;
  /** Shown once: never stored, never listed. */
  readonly token: string;
  readonly expiresAt: number;
}

export interface ApiTokenInfo {
  readonly id: number;
  readonly name: string;
  readonly roles: readonly QName[];
  readonly expiresAt: number;
  readonly createdAt?: number;
  readonly createdBy?: string;
  readonly revoked: boolean;
  readonly expired: boolean;
}

export type AclPrivilege = 'select' | 'insert' | 'update' | 'activate' | 'deactivate' | 'execute';

export interface AclExplainInput {
  readonly privilege: AclPrivilege;
  readonly resource: QName;
  /** Default: the caller's own roles in the workspace. */
  readonly roles?: readonly QName[];
  readonly fields?: readonly string[];
}

export interface AclExplanation {
  readonly allowed: boolean;
  readonly fields: 'all' | readonly string[];
  readonly rule: {
    readonly op: 'grant' | 'revoke';
    readonly privileges: readonly AclPrivilege[];
    readonly on: { readonly kind: string; readonly qnames: readonly QName[]; readonly tag?: QName };
    readonly columns?: readonly string[];
    readonly principal: QName;
    readonly workspace: QName;
    readonly loc: unknown;
    readonly text: string;
  } | null;
  readonly reason: string;
  readonly roles: readonly QName[];
}

// ---- node level

export interface Jwks {
  readonly keys: readonly Readonly<Record<string, unknown>>[];
}
