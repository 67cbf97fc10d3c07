/**
 * Object-level authorisation. Roles in a workspace are resolved on every request from the
 * workspace's registry entry (its owner) and its `sys.Subject` membership records (found through
 * the Subject's unique index on Login — the hook invites will use), composed with the built-in
 * roles (@stoa/auth `composeRoles`) and checked with the ACL evaluator. A denied anonymous caller
 * gets 401 (it may succeed with a token), an authenticated one 403. An API token is checked against
 * its `sys.ApiToken` record on every request (core/membership/token-check.ts). Subject roles are
 * cached per (workspace, login) and invalidated when a batch writing `sys.Subject` is flushed
 * (member-cache.ts), so membership changes still apply to the next request.
 */
import { composeRoles } from '@stoa/auth';
import { AppError } from '@stoa/errors';
import type { AclPrivilege, QName } from '@stoa/vsql';
import type { AppRuntime } from './app-runtime.js';
import { uniqueTupleKey } from './cud-resolve.js';
import { memberRolesCache } from './member-cache.js';
import { checkApiToken } from './membership/token-check.js';
import type { CallContext } from './service.js';
import type { WorkspaceMeta } from './types.js';

export const WORKSPACE_OWNER = 'sys.WorkspaceOwner';
const SUBJECT_TABLE = 'sys.Subject';

export interface Access {
  readonly ctx: CallContext;
  readonly meta: WorkspaceMeta;
  readonly roles: readonly QName[];
}

/** Rejects a principal whose token was issued for another app (the edge checks `aud` too). */
export function checkPrincipalApp(app: AppRuntime, ctx: CallContext): void {
  if (ctx.principal !== null && ctx.principal.app !== app.key) {
    throw new AppError('UNAUTHENTICATED', `the token was issued for ${ctx.principal.app}, not ${app.key}`);
  }
}

async function memberRoles(app: AppRuntime, meta: WorkspaceMeta, subject: string): Promise<QName[]> {
  const roles: QName[] = [];
  if (meta.owner === subject) roles.push(WORKSPACE_OWNER);
  roles.push(...(await memberRolesCache(app).get(meta.wsid, subject, () => subjectRoles(app, meta, subject))));
  return roles;
}

/** The roles of the login's active `sys.Subject` record in the workspace (none without one). */
async function subjectRoles(app: AppRuntime, meta: WorkspaceMeta, subject: string): Promise<QName[]> {
  const roles: QName[] = [];
  const def = app.appdef.tables[SUBJECT_TABLE];
  const unique = def?.uniques.find((u) => u.fields.length === 1 && u.fields[0] === 'Login');
  if (def === undefined || unique === undefined) return roles;
  const key = uniqueTupleKey(def, meta.wsid, unique, { Login: subject });
  const id = key === undefined ? undefined : await app.store.getUnique(key.key);
  if (id === undefined) return roles;
  const rec = await app.store.getRecord(meta.wsid, id);
  if (rec === undefined || rec['sys.IsActive'] === false) return roles;
  for (const r of (typeof rec.Roles === 'string' ? rec.Roles : '').split(','))
    if (r.trim() !== '') roles.push(r.trim());
  return roles;
}

/**
 * The workspace (404 if unknown — 401 for anonymous callers, who learn nothing; 410 if inactive)
 * and the caller's roles in it.
 */
export async function resolveAccess(app: AppRuntime, ctx: CallContext, wsid: number): Promise<Access> {
  checkPrincipalApp(app, ctx);
  if (!Number.isSafeInteger(wsid) || wsid <= 0) throw new AppError('BAD_REQUEST', `invalid workspace id ${wsid}`);
  const meta = await app.workspaces.get(wsid);
  if (meta === undefined) {
    if (ctx.principal === null) throw new AppError('UNAUTHENTICATED', 'authentication required');
    throw new AppError('NOT_FOUND', `workspace ${wsid} not found`, { data: { wsid } });
  }
  if (!meta.active) throw new AppError('GONE', `workspace ${wsid} is inactive`, { data: { wsid } });
  const p = ctx.principal;
  // An API token acts only in its workspace and only while its record is active (core/membership).
  if (p?.kind === 'apiToken') await checkApiToken(app, p, wsid);
  const members =
    p !== null && (p.kind === 'user' || p.kind === 'device') ? await memberRoles(app, meta, p.subject) : [];
  const roles = composeRoles({
    principal: p,
    wsid,
    ...(meta.ownerProfileWSID > 0 ? { ownerWSID: meta.ownerProfileWSID } : {}),
    memberRoles: members,
  });
  return { ctx, meta, roles };
}

/** Throws 401/403 unless the caller may do `privilege` on `resource` (and the named fields). */
export function authorize(
  app: AppRuntime,
  access: Access,
  privilege: AclPrivilege,
  resource: QName,
  fields?: readonly string[],
): void {
  const decision = app.acl.evaluate({
    workspace: access.meta.kind,
    roles: access.roles,
    privilege,
    resource,
    ...(fields === undefined || fields.length === 0 ? {} : { fields }),
  });
  if (decision.allowed) return;
  if (access.ctx.principal === null) {
    throw new AppError('UNAUTHENTICATED', `authentication required to ${privilege} ${resource}`, { qname: resource });
  }
  // Field-level rules: name the first field the roles may not touch (the operation itself is allowed).
  if (fields !== undefined && fields.length > 0) {
    const whole = app.acl.evaluate({ workspace: access.meta.kind, roles: access.roles, privilege, resource });
    if (whole.allowed && whole.fields !== 'all') {
      const allowed = new Set(whole.fields);
      const denied = fields.filter((f) => !allowed.has(f));
      if (denied.length > 0) {
        throw new AppError('FORBIDDEN', `${privilege} of field ${denied.join(', ')} of ${resource} is not allowed`, {
          qname: resource,
          data: { privilege, field: denied[0], fields: denied },
        });
      }
    }
  }
  throw new AppError('FORBIDDEN', `${privilege} on ${resource} is not allowed`, {
    qname: resource,
    data: { privilege },
  });
}

/** 404 unless `qname` is usable in the workspace's kind. */
export function assertInWorkspace(app: AppRuntime, meta: WorkspaceMeta, qname: QName, what: string): void {
  if (!(app.appdef.workspaces[meta.kind]?.types.includes(qname) ?? false)) {
    throw new AppError('NOT_FOUND', `${what} ${qname} is not available in workspace ${meta.wsid} (${meta.kind})`, {
      qname,
    });
  }
}
