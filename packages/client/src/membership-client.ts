import type { Send } from './identity-client.js';
import { buildExplainQuery, seg } from './query-string.js';
import { mapResult, results, type Result } from './result.js';
import type {
  AcceptedInvite,
  AclExplainInput,
  AclExplanation,
  ApiTokenInfo,
  CreateApiTokenInput,
  CreatedApiToken,
  Invite,
  Member,
  QName,
} from './types.js';

/**
 * Invites, members, API tokens and ACL explain of one app (all need a token). Owner-only
 * operations answer 403 for anyone else; API tokens cannot use these routes at all.
 */
export class MembershipClient {
  constructor(private readonly send: Send) {}

  // ---- invites

  /** Invites a login (not checked for existence) with roles of the workspace kind. */
  async createInvite(wsid: number, login: string, roles: readonly QName[]): Promise<Result<number>> {
    const res = await this.send<{ inviteId: number }>({
      method: 'POST',
      path: `${ws(wsid)}/invites`,
      body: { login, roles },
    });
    return mapResult(res, (v) => v.inviteId);
  }

  /** Every invite of the workspace, in any state (owner). */
  listInvites(wsid: number): Promise<Result<readonly Invite[]>> {
    return this.list<Invite>(`${ws(wsid)}/invites`);
  }

  /** The caller's pending invites across workspaces (with `workspaceName`, `workspaceKind`). */
  myInvites(): Promise<Result<readonly Invite[]>> {
    return this.list<Invite>('/invites');
  }

  acceptInvite(wsid: number, inviteId: number): Promise<Result<AcceptedInvite>> {
    return this.send({ method: 'POST', path: `${ws(wsid)}/invites/${seg(inviteId)}/accept` });
  }

  declineInvite(wsid: number, inviteId: number): Promise<Result<void>> {
    return this.send({ method: 'POST', path: `${ws(wsid)}/invites/${seg(inviteId)}/decline`, expect: 'empty' });
  }

  /** Cancels a pending invite (owner); 409 when it is no longer pending. */
  revokeInvite(wsid: number, inviteId: number): Promise<Result<void>> {
    return this.send({ method: 'DELETE', path: `${ws(wsid)}/invites/${seg(inviteId)}`, expect: 'empty' });
  }

  // ---- members

  listMembers(wsid: number): Promise<Result<readonly Member[]>> {
    return this.list<Member>(`${ws(wsid)}/members`);
  }

  /** Replaces a member's roles (owner). */
  patchMember(wsid: number, login: string, roles: readonly QName[]): Promise<Result<Member>> {
    return this.send({ method: 'PATCH', path: `${ws(wsid)}/members/${seg(login)}`, body: { roles } });
  }

  /** Removes a member (owner) or leaves (the member itself). */
  removeMember(wsid: number, login: string): Promise<Result<void>> {
    return this.send({ method: 'DELETE', path: `${ws(wsid)}/members/${seg(login)}`, expect: 'empty' });
  }

  // ---- API tokens

  /** The token value is in this answer only. */
  createApiToken(wsid: number, input: CreateApiTokenInput): Promise<Result<CreatedApiToken>> {
    return this.send({ method: 'POST', path: `${ws(wsid)}/api-tokens`, body: input });
  }

  /** Never with token values. */
  listApiTokens(wsid: number): Promise<Result<readonly ApiTokenInfo[]>> {
    return this.list<ApiTokenInfo>(`${ws(wsid)}/api-tokens`);
  }

  revokeApiToken(wsid: number, id: number): Promise<Result<void>> {
    return this.send({ method: 'DELETE', path: `${ws(wsid)}/api-tokens/${seg(id)}`, expect: 'empty' });
  }

  // ---- ACL

  /** Which rule decides `privilege` on `resource` for `roles` (default: the caller's own). Owner. */
  explainAcl(wsid: number, input: AclExplainInput): Promise<Result<AclExplanation>> {
    return this.send({ method: 'GET', path: `${ws(wsid)}/acl/explain`, query: buildExplainQuery(input) });
  }

  private async list<T>(path: string): Promise<Result<readonly T[]>> {
    return results(await this.send<{ results: T[] }>({ method: 'GET', path }));
  }
}

function ws(wsid: number): string {
  return `/workspaces/${seg(wsid)}`;
}
