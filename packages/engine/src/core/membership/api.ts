/** What the HTTP edge sees of membership, invites, API tokens and ACL explain (one per app). */
import type { AclPrivilege, AclResourceKind, QName, SourceRef } from '@stoa/vsql';
import type { CallContext } from '../service.js';

export type InviteState = 'created' | 'accepted' | 'declined' | 'cancelled';

export interface InviteInfo {
  readonly inviteId: number;
  readonly wsid: number;
  readonly login: string;
  readonly roles: readonly QName[];
  readonly state: InviteState;
  readonly invitedBy?: string;
  /** Milliseconds since the epoch. */
  readonly createdAt?: number;
  readonly updatedAt?: number;
  /** GET /invites: the inviting workspace's name and kind. */
  readonly workspaceName?: string;
  readonly workspaceKind?: QName;
}

export interface MemberInfo {
  readonly login: string;
  readonly roles: readonly QName[];
  readonly kind: 'user' | 'device';
  readonly owner: boolean;
}

export interface ApiTokenInfo {
  readonly id: number;
  readonly name: string;
  readonly roles: readonly QName[];
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
  readonly createdAt?: number;
  readonly createdBy?: string;
  readonly revoked: boolean;
  readonly expired: boolean;
}

export interface CreatedApiToken {
  readonly id: number;
  /** Shown once: never stored, never listed. */
  readonly token: string;
  readonly expiresAt: number;
}

export interface AclExplainInput {
  /** Default: the caller's own roles in the workspace. */
  readonly roles?: readonly QName[];
  readonly privilege: AclPrivilege;
  readonly resource: QName;
  readonly fields?: readonly string[];
}

export interface AclExplanation {
  readonly allowed: boolean;
  readonly fields: 'all' | readonly string[];
  readonly rule: {
    readonly op: 'grant' | 'revoke';
    readonly privileges: readonly AclPrivilege[];
    readonly on: { readonly kind: AclResourceKind; readonly qnames: readonly QName[]; readonly tag?: QName };
    readonly columns?: readonly string[];
    readonly principal: QName;
    readonly workspace: QName;
    readonly loc: SourceRef | null;
    /** The rule as VSQL text with its location. */
    readonly text: string;
  } | null;
  readonly reason: string;
  /** The roles evaluated, after inheritance. */
  readonly roles: readonly QName[];
}

export interface MembershipApi {
  invite(
    ctx: CallContext,
    wsid: number,
    input: { login: string; roles: readonly QName[] },
  ): Promise<{ inviteId: number }>;
  listInvites(ctx: CallContext, wsid: number): Promise<readonly InviteInfo[]>;
  cancelInvite(ctx: CallContext, wsid: number, inviteId: number): Promise<void>;
  /** The caller's pending invites across workspaces. */
  myInvites(ctx: CallContext): Promise<readonly InviteInfo[]>;
  acceptInvite(ctx: CallContext, wsid: number, inviteId: number): Promise<MemberInfo>;
  declineInvite(ctx: CallContext, wsid: number, inviteId: number): Promise<void>;
  listMembers(ctx: CallContext, wsid: number): Promise<readonly MemberInfo[]>;
  updateMember(ctx: CallContext, wsid: number, login: string, roles: readonly QName[]): Promise<MemberInfo>;
  /** Owner removes a member, or a member leaves (login = the caller). */
  removeMember(ctx: CallContext, wsid: number, login: string): Promise<void>;
  createApiToken(
    ctx: CallContext,
    wsid: number,
    input: { name: string; roles: readonly QName[]; expiresInSeconds?: number },
  ): Promise<CreatedApiToken>;
  listApiTokens(ctx: CallContext, wsid: number): Promise<readonly ApiTokenInfo[]>;
  revokeApiToken(ctx: CallContext, wsid: number, id: number): Promise<void>;
  explainAcl(ctx: CallContext, wsid: number, input: AclExplainInput): Promise<AclExplanation>;
}
