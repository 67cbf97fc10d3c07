/**
 * The route table of the edge, precompiled into a switch over path segments: no regular
 * expression runs per request. `matchRoute` answers which route a path denotes (or none); the
 * handler then checks the method against `route.methods` (405 with `Allow` when it is wrong).
 * Route templates double as the `route` label of the HTTP metrics, so they never carry raw values.
 */

export type RouteId =
  | 'healthz'
  | 'readyz'
  | 'metrics'
  | 'jwks'
  | 'openapi'
  | 'workspaces'
  | 'workspace'
  | 'docs'
  | 'doc'
  | 'cdocs'
  | 'cuds'
  | 'command'
  | 'query'
  | 'view'
  | 'notifications'
  | 'subscription'
  // identity (identity-routes.ts)
  | 'users'
  | 'devices'
  | 'login'
  | 'refresh'
  | 'changePassword'
  | 'deactivateLogin'
  // membership, API tokens, ACL explain (membership-routes.ts)
  | 'myInvites'
  | 'invites'
  | 'invite'
  | 'inviteAccept'
  | 'inviteDecline'
  | 'members'
  | 'member'
  | 'apiTokens'
  | 'apiToken'
  | 'aclExplain';

export interface RouteDef {
  readonly id: RouteId;
  readonly template: string;
  readonly methods: readonly string[];
  /** Served without a token, even when one is sent. */
  readonly public: boolean;
  /** The `Allow` header value. */
  readonly allow: string;
}

export interface RouteParams {
  owner?: string;
  app?: string;
  wsid?: string;
  /** `{pkg}.{name}` of the table, command, query or view. */
  qname?: string;
  id?: string;
  channelId?: string;
  /** `members/{login}` (percent-decoded). */
  login?: string;
}

export interface RouteMatch {
  readonly route: RouteDef;
  readonly params: RouteParams;
}

export const API_PREFIX = '/api/v2/apps/';
const APP = '/api/v2/apps/{owner}/{app}';

function def(id: RouteId, template: string, methods: string[], isPublic = false): RouteDef {
  return { id, template, methods, public: isPublic, allow: methods.join(', ') };
}

export const ROUTES: Readonly<Record<RouteId, RouteDef>> = {
  healthz: def('healthz', '/healthz', ['GET'], true),
  readyz: def('readyz', '/readyz', ['GET'], true),
  metrics: def('metrics', '/metrics', ['GET'], true),
  jwks: def('jwks', '/.well-known/jwks.json', ['GET'], true),
  openapi: def('openapi', `${APP}/openapi.json`, ['GET'], true),
  workspaces: def('workspaces', `${APP}/workspaces`, ['GET', 'POST']),
  workspace: def('workspace', `${APP}/workspaces/{wsid}`, ['DELETE']),
  docs: def('docs', `${APP}/workspaces/{wsid}/docs/{table}`, ['POST']),
  doc: def('doc', `${APP}/workspaces/{wsid}/docs/{table}/{id}`, ['GET', 'PATCH', 'DELETE']),
  cdocs: def('cdocs', `${APP}/workspaces/{wsid}/cdocs/{table}`, ['GET']),
  cuds: def('cuds', `${APP}/workspaces/{wsid}/cuds`, ['POST']),
  command: def('command', `${APP}/workspaces/{wsid}/commands/{command}`, ['POST']),
  query: def('query', `${APP}/workspaces/{wsid}/queries/{query}`, ['GET']),
  view: def('view', `${APP}/workspaces/{wsid}/views/{view}`, ['GET']),
  notifications: def('notifications', `${APP}/notifications`, ['POST']),
  subscription: def('subscription', `${APP}/notifications/{channelId}/workspaces/{wsid}/subscriptions/{view}`, [
    'PUT',
    'DELETE',
  ]),
  users: def('users', `${APP}/users`, ['POST'], true),
  devices: def('devices', `${APP}/devices`, ['POST'], true),
  login: def('login', `${APP}/auth/login`, ['POST'], true),
  refresh: def('refresh', `${APP}/auth/refresh`, ['POST']),
  changePassword: def('changePassword', `${APP}/users/change-password`, ['POST'], true),
  deactivateLogin: def('deactivateLogin', `${APP}/users/deactivate`, ['POST']),
  myInvites: def('myInvites', `${APP}/invites`, ['GET']),
  invites: def('invites', `${APP}/workspaces/{wsid}/invites`, ['GET', 'POST']),
  invite: def('invite', `${APP}/workspaces/{wsid}/invites/{id}`, ['DELETE']),
  inviteAccept: def('inviteAccept', `${APP}/workspaces/{wsid}/invites/{id}/accept`, ['POST']),
  inviteDecline: def('inviteDecline', `${APP}/workspaces/{wsid}/invites/{id}/decline`, ['POST']),
  members: def('members', `${APP}/workspaces/{wsid}/members`, ['GET']),
  member: def('member', `${APP}/workspaces/{wsid}/members/{login}`, ['PATCH', 'DELETE']),
  apiTokens: def('apiTokens', `${APP}/workspaces/{wsid}/api-tokens`, ['GET', 'POST']),
  apiToken: def('apiToken', `${APP}/workspaces/{wsid}/api-tokens/{id}`, ['DELETE']),
  aclExplain: def('aclExplain', `${APP}/workspaces/{wsid}/acl/explain`, ['GET']),
};

/** Percent-decodes a segment only when needed; undefined when the escape is malformed. */
function decode(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function match(route: RouteDef, params: RouteParams): RouteMatch {
  return { route, params };
}

/** `path` without the query string. Undefined = no such route (404). */
export function matchRoute(path: string): RouteMatch | undefined {
  switch (path) {
    case '/healthz':
      return match(ROUTES.healthz, {});
    case '/readyz':
      return match(ROUTES.readyz, {});
    case '/metrics':
      return match(ROUTES.metrics, {});
    case '/.well-known/jwks.json':
      return match(ROUTES.jwks, {});
  }
  if (!path.startsWith(API_PREFIX)) return undefined;
  const s = path.slice(API_PREFIX.length).split('/');
  const n = s.length;
  if (n < 3 || s.includes('')) return undefined;
  const owner = decode(s[0] ?? '');
  const app = decode(s[1] ?? '');
  if (owner === undefined || app === undefined) return undefined;
  switch (s[2]) {
    case 'openapi.json':
      return n === 3 ? match(ROUTES.openapi, { owner, app }) : undefined;
    case 'workspaces':
      return n === 3 ? match(ROUTES.workspaces, { owner, app }) : matchWorkspace(s, owner, app);
    case 'notifications':
      if (n === 3) return match(ROUTES.notifications, { owner, app });
      if (n === 8 && s[4] === 'workspaces' && s[6] === 'subscriptions') {
        return match(ROUTES.subscription, { owner, app, channelId: s[3], wsid: s[5], qname: s[7] });
      }
      return undefined;
    case 'users':
      if (n === 3) return match(ROUTES.users, { owner, app });
      if (n === 4 && s[3] === 'change-password') return match(ROUTES.changePassword, { owner, app });
      if (n === 4 && s[3] === 'deactivate') return match(ROUTES.deactivateLogin, { owner, app });
      return undefined;
    case 'devices':
      return n === 3 ? match(ROUTES.devices, { owner, app }) : undefined;
    case 'invites':
      return n === 3 ? match(ROUTES.myInvites, { owner, app }) : undefined;
    case 'auth':
      if (n === 4 && s[3] === 'login') return match(ROUTES.login, { owner, app });
      if (n === 4 && s[3] === 'refresh') return match(ROUTES.refresh, { owner, app });
      return undefined;
    default:
      return undefined;
  }
}

/** `workspaces/{wsid}/…` (segment 3 is the wsid). */
function matchWorkspace(s: readonly string[], owner: string, app: string): RouteMatch | undefined {
  const n = s.length;
  const wsid = s[3];
  if (n === 4) return match(ROUTES.workspace, { owner, app, wsid });
  switch (s[4]) {
    case 'cuds':
      return n === 5 ? match(ROUTES.cuds, { owner, app, wsid }) : undefined;
    case 'docs':
      if (n === 6) return match(ROUTES.docs, { owner, app, wsid, qname: s[5] });
      if (n === 7) return match(ROUTES.doc, { owner, app, wsid, qname: s[5], id: s[6] });
      return undefined;
    case 'cdocs':
      return n === 6 ? match(ROUTES.cdocs, { owner, app, wsid, qname: s[5] }) : undefined;
    case 'commands':
      return n === 6 ? match(ROUTES.command, { owner, app, wsid, qname: s[5] }) : undefined;
    case 'queries':
      return n === 6 ? match(ROUTES.query, { owner, app, wsid, qname: s[5] }) : undefined;
    case 'views':
      return n === 6 ? match(ROUTES.view, { owner, app, wsid, qname: s[5] }) : undefined;
    case 'invites':
      if (n === 5) return match(ROUTES.invites, { owner, app, wsid });
      if (n === 6) return match(ROUTES.invite, { owner, app, wsid, id: s[5] });
      if (n === 7 && s[6] === 'accept') return match(ROUTES.inviteAccept, { owner, app, wsid, id: s[5] });
      if (n === 7 && s[6] === 'decline') return match(ROUTES.inviteDecline, { owner, app, wsid, id: s[5] });
      return undefined;
    case 'members': {
      if (n === 5) return match(ROUTES.members, { owner, app, wsid });
      const login = n === 6 ? decode(s[5] ?? '') : undefined;
      return login === undefined ? undefined : match(ROUTES.member, { owner, app, wsid, login });
    }
    case 'api-tokens':
      if (n === 5) return match(ROUTES.apiTokens, { owner, app, wsid });
      return n === 6 ? match(ROUTES.apiToken, { owner, app, wsid, id: s[5] }) : undefined;
    case 'acl':
      return n === 6 && s[5] === 'explain' ? match(ROUTES.aclExplain, { owner, app, wsid }) : undefined;
    default:
      return undefined;
  }
}
