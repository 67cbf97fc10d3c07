/**
 * Invites: the owner invites a login with roles (`sys.InitiateInvitation`: a `sys.Invite` record in
 * state created); the invitee accepts (`sys.AcceptInvitation`: state accepted and a `sys.Subject`
 * record inserted, or re-activated with the new roles) or declines; the owner may cancel a pending
 * invite. A login may be invited again once its last invite is no longer pending and it is not an
 * active member (declined, cancelled, left or removed).
 */
import { AppError } from '@stoa/errors';
import type { QName } from '@stoa/vsql';
import { resolveAccess, checkPrincipalApp, WORKSPACE_OWNER } from '../access.js';
import type { AppRuntime } from '../app-runtime.js';
import type { CallContext } from '../service.js';
import type { StoredRecord } from '../types.js';
import type { InviteInfo, InviteState, MemberInfo } from './api.js';
import { checkLogin, checkRoles, findSubject, isActive, requireLogin, requireOwner, splitRoles } from './common.js';
import { submitChange } from './events.js';
import {
  INVITE_TABLE,
  SUBJECT_TABLE,
  inviteIndexKey,
  listInviteEntries,
  readIndex,
  type InviteIndexEntry,
} from './indexes.js';

export const INVITE_STATES: Readonly<Record<number, InviteState>> = {
  1: 'created',
  2: 'accepted',
  3: 'declined',
  4: 'cancelled',
};
const CREATED = 1;
const ACCEPTED = 2;
const DECLINED = 3;
const CANCELLED = 4;
const SUBJECT_KIND = { user: 1, device: 2 } as const;

export function toInviteInfo(wsid: number, r: StoredRecord): InviteInfo {
  return {
    inviteId: Number(r['sys.ID']),
    wsid,
    login: String(r.Login),
    roles: splitRoles(r.Roles),
    state: INVITE_STATES[Number(r.State)] ?? 'created',
    ...(typeof r.InvitedBy === 'string' ? { invitedBy: r.InvitedBy } : {}),
    ...(typeof r.CreatedAt === 'number' ? { createdAt: r.CreatedAt } : {}),
    ...(typeof r.UpdatedAt === 'number' ? { updatedAt: r.UpdatedAt } : {}),
  };
}

export async function invite(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  input: { login: string; roles: readonly QName[] },
): Promise<{ inviteId: number }> {
  const access = await requireOwner(app, ctx, wsid, 'invite');
  const login = checkLogin(input.login);
  const roles = checkRoles(app, access.meta.kind, input.roles);
  if (login === access.meta.owner) throw new AppError('CONFLICT', `${login} owns workspace ${wsid}`);
  const by = ctx.principal?.subject ?? '';
  return submitChange(app, wsid, 'sys.InitiateInvitation', by, async (tx, b) => {
    if (isActive(await findSubject(app, tx.state, wsid, login)))
      throw new AppError('CONFLICT', `${login} is already a member of workspace ${wsid}`, { data: { login } });
    const last = await readIndex<InviteIndexEntry>(app.store, inviteIndexKey(login, wsid), tx.writes);
    if (last?.state === CREATED) {
      throw new AppError('CONFLICT', `${login} already has a pending invite (${last.inviteId}) to workspace ${wsid}`, {
        data: { login, inviteId: last.inviteId },
      });
    }
    const inviteId = b.insert(INVITE_TABLE, {
      Login: login,
      Roles: roles.join(','),
      State: CREATED,
      InvitedBy: by,
      CreatedAt: tx.now,
      UpdatedAt: tx.now,
    });
    return { result: { inviteId }, arg: { login, roles: roles.join(',') } };
  });
}

async function loadInvite(
  app: AppRuntime,
  state: { getRecord: AppRuntime['store']['getRecord'] },
  wsid: number,
  id: number,
): Promise<StoredRecord> {
  const r = Number.isSafeInteger(id) && id > 0 ? await state.getRecord(wsid, id) : undefined;
  if (r?.['sys.QName'] !== INVITE_TABLE) throw new AppError('NOT_FOUND', `invite ${id} not found`, { data: { id } });
  return r;
}

function requirePending(r: StoredRecord): void {
  if (Number(r.State) !== CREATED) {
    throw new AppError('CONFLICT', `invite ${String(r['sys.ID'])} is ${INVITE_STATES[Number(r.State)] ?? 'closed'}`, {
      data: { state: INVITE_STATES[Number(r.State)] },
    });
  }
}

export async function listInvites(app: AppRuntime, ctx: CallContext, wsid: number): Promise<InviteInfo[]> {
  await requireOwner(app, ctx, wsid, 'list invites');
  const ids = await app.store.listCollection(wsid, INVITE_TABLE);
  const records = await app.store.getRecords(wsid, ids);
  return records.filter((r): r is StoredRecord => r !== undefined).map((r) => toInviteInfo(wsid, r));
}

export async function cancelInvite(app: AppRuntime, ctx: CallContext, wsid: number, id: number): Promise<void> {
  await requireOwner(app, ctx, wsid, 'cancel invites');
  await submitChange(app, wsid, 'sys.CancelInvitation', ctx.principal?.subject ?? '', async (tx, b) => {
    const r = await loadInvite(app, tx.state, wsid, id);
    requirePending(r);
    b.update(r, { State: CANCELLED, UpdatedAt: tx.now });
    return { result: undefined, arg: { inviteId: id } };
  });
}

/** Only the invited login may answer; anyone else gets 403 (anonymous 401). */
async function answer(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  id: number,
  accept: boolean,
): Promise<MemberInfo | undefined> {
  const who = requireLogin(ctx, `${accept ? 'accept' : 'decline'} an invite`);
  const access = await resolveAccess(app, ctx, wsid);
  const qname = accept ? 'sys.AcceptInvitation' : 'sys.DeclineInvitation';
  return submitChange(app, wsid, qname, who.subject, async (tx, b) => {
    const r = await loadInvite(app, tx.state, wsid, id);
    if (r.Login !== who.subject) throw new AppError('FORBIDDEN', `invite ${id} is not addressed to ${who.subject}`);
    requirePending(r);
    if (!accept) {
      b.update(r, { State: DECLINED, UpdatedAt: tx.now });
      return { result: undefined, arg: { inviteId: id } };
    }
    const roles = splitRoles(r.Roles).filter((role) => app.appdef.roles[role] !== undefined);
    const current = await findSubject(app, tx.state, wsid, who.subject);
    let subjectId: number;
    if (current === undefined) {
      subjectId = b.insert(SUBJECT_TABLE, {
        Login: who.subject,
        SubjectKind: SUBJECT_KIND[who.kind],
        Roles: roles.join(','),
        ...(who.profileWSID > 0 ? { ProfileWSID: who.profileWSID } : {}),
      });
    } else {
      subjectId = Number(current['sys.ID']);
      b.update(current, {
        Roles: roles.join(','),
        SubjectKind: SUBJECT_KIND[who.kind],
        'sys.IsActive': true,
      });
    }
    b.update(r, { State: ACCEPTED, UpdatedAt: tx.now, SubjectID: subjectId });
    const member: MemberInfo = {
      login: who.subject,
      roles,
      kind: who.kind,
      owner: access.meta.owner === who.subject || roles.includes(WORKSPACE_OWNER),
    };
    return { result: member, arg: { inviteId: id } };
  });
}

export async function acceptInvite(app: AppRuntime, ctx: CallContext, wsid: number, id: number): Promise<MemberInfo> {
  return (await answer(app, ctx, wsid, id, true))!;
}

export async function declineInvite(app: AppRuntime, ctx: CallContext, wsid: number, id: number): Promise<void> {
  await answer(app, ctx, wsid, id, false);
}

/** The caller's pending invites, across the app's workspaces (from the invite index). */
export async function myInvites(app: AppRuntime, ctx: CallContext): Promise<InviteInfo[]> {
  checkPrincipalApp(app, ctx);
  const who = requireLogin(ctx, 'have invites');
  const out: InviteInfo[] = [];
  for (const { wsid, entry } of await listInviteEntries(app.store, who.subject)) {
    if (entry.state !== CREATED) continue;
    const meta = await app.workspaces.get(wsid);
    if (meta?.active !== true) continue;
    const r = await app.store.getRecord(wsid, entry.inviteId);
    if (r === undefined || Number(r.State) !== CREATED) continue;
    out.push({ ...toInviteInfo(wsid, r), workspaceName: meta.name, workspaceKind: meta.kind });
  }
  return out;
}
