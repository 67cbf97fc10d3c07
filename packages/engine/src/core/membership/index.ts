/** The MembershipApi of one app (core/membership): invites, members, API tokens, ACL explain. */
import type { AppRuntime } from '../app-runtime.js';
import type { MembershipApi } from './api.js';
import { createApiToken, listApiTokens, revokeApiToken } from './api-tokens.js';
import { explainAcl } from './explain.js';
import { acceptInvite, cancelInvite, declineInvite, invite, listInvites, myInvites } from './invites.js';
import { listMembers, removeMember, updateMember } from './members.js';

export function createMembershipApi(app: AppRuntime): MembershipApi {
  return {
    invite: (ctx, wsid, input) => invite(app, ctx, wsid, input),
    listInvites: (ctx, wsid) => listInvites(app, ctx, wsid),
    cancelInvite: (ctx, wsid, id) => cancelInvite(app, ctx, wsid, id),
    myInvites: (ctx) => myInvites(app, ctx),
    acceptInvite: (ctx, wsid, id) => acceptInvite(app, ctx, wsid, id),
    declineInvite: (ctx, wsid, id) => declineInvite(app, ctx, wsid, id),
    listMembers: (ctx, wsid) => listMembers(app, ctx, wsid),
    updateMember: (ctx, wsid, login, roles) => updateMember(app, ctx, wsid, login, roles),
    removeMember: (ctx, wsid, login) => removeMember(app, ctx, wsid, login),
    createApiToken: (ctx, wsid, input) => createApiToken(app, ctx, wsid, input),
    listApiTokens: (ctx, wsid) => listApiTokens(app, ctx, wsid),
    revokeApiToken: (ctx, wsid, id) => revokeApiToken(app, ctx, wsid, id),
    explainAcl: (ctx, wsid, input) => explainAcl(app, ctx, wsid, input),
  };
}

export type * from './api.js';
export { createTokenRevocations } from './revocations.js';
export type { TokenRevocations } from './revocations.js';
export { loadRevokedApiTokens } from './api-tokens.js';
export { checkApiToken } from './token-check.js';
export { listMemberEntries } from './indexes.js';
