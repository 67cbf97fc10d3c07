import type { Principal } from '@stoa/auth';
import { AppError } from '@stoa/errors';
import type { AclPrivilege } from '@stoa/vsql';
import { z } from 'zod';
import type { AppService, CallContext } from '../core/service.js';
import type { MembershipApi } from '../core/membership/api.js';
import { readJsonBody } from './body.js';
import type { Exchange } from './exchange.js';
import { NO_PARAMS, parseReadParams } from './read-params.js';
import type { RouteId, RouteMatch } from './router.js';
import { decimalIdSchema, parseOrThrow, qnameSchema } from './validation.js';

/**
 * Membership, invite, API-token and ACL-explain routes of one app (core/membership), all with a
 * token:
 *   POST   /workspaces/{wsid}/invites {login, roles}        owner   201 {inviteId}
 *   GET    /workspaces/{wsid}/invites                       owner   200 {results: Invite[]}
 *   DELETE /workspaces/{wsid}/invites/{id}                  owner   204 (cancel; 409 unless pending)
 *   GET    /invites                                         login   200 {results} (the caller's pending invites)
 *   POST   /workspaces/{wsid}/invites/{id}/accept|decline   invitee 200 Member / 204 (others 403)
 *   GET    /workspaces/{wsid}/members                       member  200 {results: Member[]}
 *   PATCH  /workspaces/{wsid}/members/{login} {roles}       owner   200 Member
 *   DELETE /workspaces/{wsid}/members/{login}               owner (remove) or the member (leave) 204
 *   POST   /workspaces/{wsid}/api-tokens {name, roles, expiresInSeconds?}  owner  201 {id, token, expiresAt}
 *   GET    /workspaces/{wsid}/api-tokens                    owner   200 {results} (never token values)
 *   DELETE /workspaces/{wsid}/api-tokens/{id}               owner   204 (revoke)
 *   GET    /workspaces/{wsid}/acl/explain?privilege=&resource=[&roles=a,b][&fields=x,y]  owner  200
 */

export const MEMBERSHIP_ROUTES: ReadonlySet<RouteId> = new Set<RouteId>([
  'myInvites',
  'invites',
  'invite',
  'inviteAccept',
  'inviteDecline',
  'members',
  'member',
  'apiTokens',
  'apiToken',
  'aclExplain',
]);

/** Members may hold no role (a plain member); API tokens carry at least one. */
const roleList = z.array(qnameSchema, { error: 'expected an array of role names' }).max(32);
const inviteBody = z.strictObject({
  login: z.string({ error: 'expected string' }).min(1, { error: 'must not be empty' }).max(256),
  roles: roleList,
});
const memberBody = z.strictObject({ roles: roleList });
const apiTokenBody = z.strictObject({
  name: z.string({ error: 'expected string' }).min(1, { error: 'must not be empty' }).max(255),
  roles: roleList.min(1, { error: 'at least one role is required' }),
  expiresInSeconds: z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }).optional(),
});
const PRIVILEGES = ['select', 'insert', 'update', 'activate', 'deactivate', 'execute'] as const;
const FIELD_RE = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$/;

async function emptyBody(ex: Exchange, maxBody: number): Promise<void> {
  const body = await readJsonBody(ex.req, maxBody);
  const empty =
    body === undefined ||
    (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0);
  if (!empty) throw new AppError('BAD_REQUEST', `unexpected body on ${ex.method}: send none or {}`);
}

async function requireBody(ex: Exchange, maxBody: number): Promise<unknown> {
  const body = await readJsonBody(ex.req, maxBody);
  if (body === undefined) throw new AppError('BAD_REQUEST', 'a JSON body is required');
  return body;
}

function commaList(name: string, value: string, check: (s: string) => boolean): string[] {
  const items = value.split(',').map((s) => s.trim());
  items.forEach((s, i) => {
    if (!check(s)) throw new AppError('BAD_REQUEST', `${name}[${i}]: invalid name "${s}"`, { data: { field: name } });
  });
  return items;
}

/** `?privilege=&resource=[&roles=][&fields=]`: every parameter once, no others. */
function parseExplainQuery(queryString: string): {
  privilege: AclPrivilege;
  resource: string;
  roles?: string[];
  fields?: string[];
} {
  const params = new URLSearchParams(queryString);
  const seen = new Map<string, string>();
  for (const [k, v] of params) {
    if (!['privilege', 'resource', 'roles', 'fields'].includes(k))
      throw new AppError('BAD_REQUEST', `unknown parameter ${k}`, { data: { field: k } });
    if (seen.has(k)) throw new AppError('BAD_REQUEST', `parameter ${k} given twice`, { data: { field: k } });
    seen.set(k, v);
  }
  const privilege = seen.get('privilege');
  if (privilege === undefined || !(PRIVILEGES as readonly string[]).includes(privilege)) {
    throw new AppError('BAD_REQUEST', `privilege: expected one of ${PRIVILEGES.join(', ')}`, {
      data: { field: 'privilege' },
    });
  }
  const resource = parseOrThrow(qnameSchema, seen.get('resource') ?? '', 'resource');
  const roles = seen.get('roles');
  const fields = seen.get('fields');
  return {
    privilege: privilege as AclPrivilege,
    resource,
    ...(roles === undefined ? {} : { roles: commaList('roles', roles, (s) => qnameSchema.safeParse(s).success) }),
    ...(fields === undefined ? {} : { fields: commaList('fields', fields, (s) => FIELD_RE.test(s)) }),
  };
}

export async function handleMembershipRoute(
  ex: Exchange,
  match: RouteMatch,
  app: AppService,
  principal: Principal | null,
  maxBody: number,
): Promise<void> {
  const api: MembershipApi | undefined = app.membership;
  if (api === undefined) throw new AppError('NOT_FOUND', 'route not found');
  const ctx: CallContext = { requestId: ex.requestId, principal, ip: ex.ip };
  const route = match.route.id;
  if (route !== 'aclExplain') parseReadParams(ex.queryString, NO_PARAMS, undefined);
  if (route === 'myInvites') {
    ex.sendJson(200, { results: await api.myInvites(ctx) });
    return;
  }
  const wsid = parseOrThrow(decimalIdSchema, match.params.wsid, 'wsid');
  ex.wsid = wsid;
  const id = (): number => parseOrThrow(decimalIdSchema, match.params.id, 'id');
  switch (route) {
    case 'invites':
      if (ex.method === 'GET') {
        ex.sendJson(200, { results: await api.listInvites(ctx, wsid) });
        return;
      }
      ex.sendJson(201, await api.invite(ctx, wsid, parseOrThrow(inviteBody, await requireBody(ex, maxBody), '')));
      return;
    case 'invite': {
      const inviteId = id();
      await emptyBody(ex, maxBody);
      await api.cancelInvite(ctx, wsid, inviteId);
      ex.sendEmpty(204);
      return;
    }
    case 'inviteAccept': {
      const inviteId = id();
      await emptyBody(ex, maxBody);
      ex.sendJson(200, { wsid, ...(await api.acceptInvite(ctx, wsid, inviteId)) });
      return;
    }
    case 'inviteDecline': {
      const inviteId = id();
      await emptyBody(ex, maxBody);
      await api.declineInvite(ctx, wsid, inviteId);
      ex.sendEmpty(204);
      return;
    }
    case 'members':
      ex.sendJson(200, { results: await api.listMembers(ctx, wsid) });
      return;
    case 'member': {
      const login = match.params.login ?? '';
      if (ex.method === 'PATCH') {
        const body = parseOrThrow(memberBody, await requireBody(ex, maxBody), '');
        ex.sendJson(200, await api.updateMember(ctx, wsid, login, body.roles));
        return;
      }
      await emptyBody(ex, maxBody);
      await api.removeMember(ctx, wsid, login);
      ex.sendEmpty(204);
      return;
    }
    case 'apiTokens':
      if (ex.method === 'GET') {
        ex.sendJson(200, { results: await api.listApiTokens(ctx, wsid) });
        return;
      }
      ex.sendJson(
        201,
        await api.createApiToken(ctx, wsid, parseOrThrow(apiTokenBody, await requireBody(ex, maxBody), '')),
      );
      return;
    case 'apiToken': {
      const tokenId = id();
      await emptyBody(ex, maxBody);
      await api.revokeApiToken(ctx, wsid, tokenId);
      ex.sendEmpty(204);
      return;
    }
    case 'aclExplain':
      ex.sendJson(200, await api.explainAcl(ctx, wsid, parseExplainQuery(ex.queryString)));
      return;
    default:
      throw new AppError('NOT_FOUND', 'route not found');
  }
}
