/**
 * Members: the workspace's active `sys.Subject` records. The owner changes roles
 * (`sys.UpdateMemberRoles`) and removes members (`sys.RemoveMember`); a member leaves
 * (`sys.LeaveWorkspace`). Both deactivate the Subject record, so the very next request resolves no
 * membership roles (roles are resolved per request in access.ts; there is no role cache to
 * invalidate). The owner's own membership cannot be changed, removed or left.
 */
import { AppError } from '@stoa/errors';
import type { QName } from '@stoa/vsql';
import { resolveAccess, WORKSPACE_OWNER, type Access } from '../access.js';
import type { AppRuntime } from '../app-runtime.js';
import type { CallContext } from '../service.js';
import type { StoredRecord } from '../types.js';
import type { MemberInfo } from './api.js';
import {
  checkLogin,
  checkRoles,
  findSubject,
  isActive,
  isOwner,
  requireOwner,
  splitRoles,
  SYSTEM_ROLE,
} from './common.js';
import { submitChange } from './events.js';
import { SUBJECT_TABLE } from './indexes.js';

function toMember(access: Access, r: StoredRecord): MemberInfo {
  const roles = splitRoles(r.Roles);
  return {
    login: String(r.Login),
    roles,
    kind: Number(r.SubjectKind) === 2 ? 'device' : 'user',
    owner: r.Login === access.meta.owner || roles.includes(WORKSPACE_OWNER),
  };
}

/** Members (and the owner, the system) may list the members. */
export async function listMembers(app: AppRuntime, ctx: CallContext, wsid: number): Promise<MemberInfo[]> {
  if (ctx.principal === null) throw new AppError('UNAUTHENTICATED', 'authentication required');
  const access = await resolveAccess(app, ctx, wsid);
  const p = ctx.principal;
  const member =
    isOwner(app, access) ||
    ((p.kind === 'user' || p.kind === 'device') && isActive(await findSubject(app, app.store, wsid, p.subject)));
  if (!member) throw new AppError('FORBIDDEN', `only members may list the members of workspace ${wsid}`);
  const ids = await app.store.listCollection(wsid, SUBJECT_TABLE);
  const records = await app.store.getRecords(wsid, ids);
  return records.filter(isActive).map((r) => toMember(access, r));
}

function refuseOwnerChange(access: Access, login: string, what: string): void {
  if (login === access.meta.owner) throw new AppError('CONFLICT', `the owner's membership cannot be ${what}`);
}

export async function updateMember(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  login: string,
  roles: readonly QName[],
): Promise<MemberInfo> {
  const access = await requireOwner(app, ctx, wsid, 'change member roles');
  checkLogin(login);
  const granted = checkRoles(app, access.meta.kind, roles);
  refuseOwnerChange(access, login, 'changed');
  return submitChange(app, wsid, 'sys.UpdateMemberRoles', ctx.principal?.subject ?? '', async (tx, b) => {
    const current = await findSubject(app, tx.state, wsid, login);
    if (!isActive(current)) throw new AppError('NOT_FOUND', `${login} is not a member of workspace ${wsid}`);
    if (splitRoles(current.Roles).includes(WORKSPACE_OWNER)) refuseOwnerChange(access, access.meta.owner, 'changed');
    b.update(current, { Roles: granted.join(',') });
    return {
      result: toMember(access, { ...current, Roles: granted.join(',') }),
      arg: { login, roles: granted.join(',') },
    };
  });
}

/** The owner removes `login`; a member whose login it is leaves. */
export async function removeMember(app: AppRuntime, ctx: CallContext, wsid: number, login: string): Promise<void> {
  const p = ctx.principal;
  if (p === null) throw new AppError('UNAUTHENTICATED', 'authentication required');
  const access = await resolveAccess(app, ctx, wsid);
  checkLogin(login);
  const leaving = (p.kind === 'user' || p.kind === 'device') && p.subject === login;
  const owner = isOwner(app, access);
  if (leaving && login === access.meta.owner) {
    throw new AppError('CONFLICT', 'the owner cannot leave their own workspace');
  }
  if (!leaving && !owner) throw new AppError('FORBIDDEN', 'only the workspace owner may remove members');
  refuseOwnerChange(access, login, 'removed');
  const qname = leaving ? 'sys.LeaveWorkspace' : 'sys.RemoveMember';
  await submitChange(app, wsid, qname, p.subject, async (tx, b) => {
    const current = await findSubject(app, tx.state, wsid, login);
    if (!isActive(current)) throw new AppError('NOT_FOUND', `${login} is not a member of workspace ${wsid}`);
    const roles = splitRoles(current.Roles);
    if (roles.includes(WORKSPACE_OWNER) || roles.includes(SYSTEM_ROLE))
      throw new AppError('CONFLICT', `${login} owns workspace ${wsid}`);
    b.update(current, { 'sys.IsActive': false });
    return { result: undefined, arg: { login } };
  });
}
