/** Shared checks of the membership and API-token operations: who may call, which roles may be granted. */
import { AppError } from '@stoa/errors';
import type { QName } from '@stoa/vsql';
import { resolveAccess, WORKSPACE_OWNER, type Access } from '../access.js';
import type { AppRuntime } from '../app-runtime.js';
import { uniqueTupleKey } from '../cud-resolve.js';
import type { CallContext } from '../service.js';
import type { StateSource } from '../state-source.js';
import type { StoredRecord } from '../types.js';
import { SUBJECT_TABLE } from './indexes.js';

export const SYSTEM_ROLE = 'sys.System';
export const MAX_LOGIN = 256;
const MAX_ROLES_TEXT = 1024;
const QNAME_RE = /^[A-Za-z]\w*\.[A-Za-z]\w*$/;

export function isOwner(app: AppRuntime, access: Access): boolean {
  const roles = app.acl.expandRoles(access.meta.kind, access.roles);
  return roles.includes(WORKSPACE_OWNER) || roles.includes(SYSTEM_ROLE);
}

/** The workspace and the caller's roles; 401 anonymous, 403 unless the caller owns the workspace. */
export async function requireOwner(app: AppRuntime, ctx: CallContext, wsid: number, what: string): Promise<Access> {
  if (ctx.principal === null) throw new AppError('UNAUTHENTICATED', 'authentication required');
  const access = await resolveAccess(app, ctx, wsid);
  if (!isOwner(app, access)) throw new AppError('FORBIDDEN', `only the workspace owner may ${what}`);
  return access;
}

/** A login (user or device) principal: API tokens and anonymous callers are refused. */
export function requireLogin(
  ctx: CallContext,
  what: string,
): { subject: string; kind: 'user' | 'device'; profileWSID: number } {
  const p = ctx.principal;
  if (p === null) throw new AppError('UNAUTHENTICATED', 'authentication required');
  if (p.kind !== 'user' && p.kind !== 'device') throw new AppError('FORBIDDEN', `only a login may ${what}`);
  return { subject: p.subject, kind: p.kind, profileWSID: p.profileWSID };
}

function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return true;
  return false;
}

export function checkLogin(login: unknown, field = 'login'): string {
  if (typeof login !== 'string' || login.trim() === '' || login.length > MAX_LOGIN || hasControlChar(login)) {
    throw new AppError('VALIDATION_FAILED', `${field}: expected 1..${MAX_LOGIN} printable characters`, {
      data: { field },
    });
  }
  return login;
}

/**
 * Roles that may be granted in a workspace of `kind`: roles the workspace knows (declared in it or
 * an ancestor), never `sys.*` (built-in roles are composed by the engine, not granted). With
 * `publishedOnly`, only `PUBLISHED ROLE`s and at least one (API tokens); members may hold none
 * (a plain member: only what `sys.AuthenticatedUser` may do, plus seeing the members).
 */
export function checkRoles(app: AppRuntime, kind: QName, roles: unknown, publishedOnly = false): QName[] {
  if (!Array.isArray(roles) || (publishedOnly && roles.length === 0)) {
    throw new AppError('VALIDATION_FAILED', 'roles: expected a non-empty array of role names', {
      data: { field: 'roles' },
    });
  }
  const ws = app.appdef.workspaces[kind];
  const out: QName[] = [];
  roles.forEach((role: unknown, i) => {
    const field = `roles[${i}]`;
    if (typeof role !== 'string' || !QNAME_RE.test(role)) {
      throw new AppError('VALIDATION_FAILED', `${field}: expected a role name pkg.Role`, { data: { field } });
    }
    if (role.startsWith('sys.')) {
      throw new AppError('VALIDATION_FAILED', `${field}: built-in role ${role} cannot be granted`, {
        data: { field },
      });
    }
    const def = app.appdef.roles[role];
    if (def === undefined || !(ws?.types.includes(role) ?? false)) {
      throw new AppError('VALIDATION_FAILED', `${field}: unknown role ${role} in workspace kind ${kind}`, {
        data: { field },
      });
    }
    if (publishedOnly && !def.published) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${field}: ${role} is not a PUBLISHED role (API tokens carry only those)`,
        {
          data: { field },
        },
      );
    }
    if (!out.includes(role)) out.push(role);
  });
  if (out.join(',').length > MAX_ROLES_TEXT) {
    throw new AppError('VALIDATION_FAILED', 'roles: too many roles', { data: { field: 'roles' } });
  }
  return out;
}

export function splitRoles(text: unknown): QName[] {
  return typeof text === 'string'
    ? text
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== '')
    : [];
}

/** The login's `sys.Subject` record in the workspace (active or not), through its unique index. */
export async function findSubject(
  app: AppRuntime,
  state: Pick<StateSource, 'getRecord' | 'getUnique'>,
  wsid: number,
  login: string,
): Promise<StoredRecord | undefined> {
  const def = app.appdef.tables[SUBJECT_TABLE];
  const unique = def?.uniques.find((u) => u.fields.length === 1 && u.fields[0] === 'Login');
  if (def === undefined || unique === undefined) return undefined;
  const key = uniqueTupleKey(def, wsid, unique, { Login: login });
  const id = key === undefined ? undefined : await state.getUnique(key.key);
  return id === undefined ? undefined : state.getRecord(wsid, id);
}

export function isActive(record: StoredRecord | undefined): record is StoredRecord {
  return record !== undefined && record['sys.IsActive'] !== false;
}
