import { AppError } from '@stoa/errors';
import type { Db, OrgRole, Prisma } from '@stoa/db';
import { assertRole, type OrgActor } from './access';
import { recordAudit } from './audit';
import { lockOrg } from './orgs';

export interface MemberDto {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  readonly role: OrgRole;
  readonly joinedAt: string;
}

/** Members of the actor's org (any member may see who else is in it). */
export async function listMembers(db: Db, actor: OrgActor): Promise<MemberDto[]> {
  const memberships = await db.membership.findMany({
    where: { orgId: actor.orgId },
    include: { user: { select: { email: true, name: true } } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return memberships.map((m) => ({
    userId: m.userId,
    email: m.user.email,
    name: m.user.name,
    role: m.role,
    joinedAt: m.createdAt.toISOString(),
  }));
}

/**
 * Locks the org, re-reads the actor's own role under the lock (it may have changed since the
 * request began) and loads the target membership.
 */
async function lockMembers(tx: Prisma.TransactionClient, actor: OrgActor, userId: string) {
  await lockOrg(tx, actor.orgId);
  const own = await tx.membership.findUnique({ where: { orgId_userId: { orgId: actor.orgId, userId: actor.userId } } });
  if (own === null) throw new AppError('NOT_FOUND', `org ${actor.orgSlug} not found`);
  const current: OrgActor = { ...actor, role: own.role };
  const membership = await tx.membership.findUnique({
    where: { orgId_userId: { orgId: actor.orgId, userId } },
    include: { user: { select: { email: true, name: true } } },
  });
  if (membership === null) throw new AppError('NOT_FOUND', 'member not found', { data: { userId } });
  return { current, membership };
}

async function assertNotLastOwner(tx: Prisma.TransactionClient, orgId: string, what: string): Promise<void> {
  const owners = await tx.membership.count({ where: { orgId, role: 'owner' } });
  if (owners <= 1) throw new AppError('CONFLICT', `the last owner cannot be ${what}; make someone else owner first`);
}

/**
 * Changes a member's role. Admins and owners may; only owners grant or revoke `owner`; the org
 * always keeps at least one owner.
 */
export async function changeMemberRole(
  db: Db,
  actor: OrgActor,
  input: { userId: string; role: OrgRole },
): Promise<MemberDto> {
  assertRole(actor, 'admin', 'changing roles');
  return db.$transaction(async (tx) => {
    const { current, membership } = await lockMembers(tx, actor, input.userId);
    assertRole(current, 'admin', 'changing roles');
    if ((membership.role === 'owner' || input.role === 'owner') && current.role !== 'owner') {
      throw new AppError('FORBIDDEN', 'only owners can grant or revoke the owner role');
    }
    if (membership.role !== input.role) {
      if (membership.role === 'owner') await assertNotLastOwner(tx, actor.orgId, 'demoted');
      await tx.membership.update({ where: { id: membership.id }, data: { role: input.role } });
      await recordAudit(tx, {
        orgId: actor.orgId,
        actorId: actor.userId,
        action: 'member.role.change',
        target: `user:${membership.userId}`,
        data: { from: membership.role, to: input.role },
      });
    }
    return {
      userId: membership.userId,
      email: membership.user.email,
      name: membership.user.name,
      role: input.role,
      joinedAt: membership.createdAt.toISOString(),
    };
  });
}

/**
 * Removes a member. Anyone may leave (remove themselves); removing others needs admin, removing an
 * owner needs owner; the last owner cannot go.
 */
export async function removeMember(db: Db, actor: OrgActor, input: { userId: string }): Promise<{ userId: string }> {
  const leaving = input.userId === actor.userId;
  if (!leaving) assertRole(actor, 'admin', 'removing members');
  return db.$transaction(async (tx) => {
    const { current, membership } = await lockMembers(tx, actor, input.userId);
    if (!leaving) assertRole(current, 'admin', 'removing members');
    if (membership.role === 'owner') {
      if (current.role !== 'owner') throw new AppError('FORBIDDEN', 'only owners can remove an owner');
      await assertNotLastOwner(tx, actor.orgId, 'removed');
    }
    await tx.membership.delete({ where: { id: membership.id } });
    await recordAudit(tx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: leaving ? 'member.leave' : 'member.remove',
      target: `user:${membership.userId}`,
      data: { role: membership.role },
    });
    return { userId: membership.userId };
  });
}
