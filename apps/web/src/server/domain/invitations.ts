import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@stoa/errors';
import type { Db, OrgRole } from '@stoa/db';
import { assertRole, type Actor, type OrgActor } from './access';
import { recordAudit } from './audit';
import { lockOrg } from './orgs';

/** How long an invitation can be accepted. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const TOKEN_PREFIX = 'stoa_inv_';

export interface InvitationDto {
  readonly id: string;
  readonly email: string;
  readonly role: OrgRole;
  readonly invitedBy: { readonly name: string; readonly email: string };
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly expired: boolean;
}

/** Only the sha256 of a token is stored; the token is shown once, to whoever created it. */
export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function newToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * Invites `email` to the actor's org with `role` (admin and above; inviting an owner needs owner).
 * Returns the token — the only time it exists in clear. An email that is already a member, or
 * has an invitation pending, answers CONFLICT (revoke the pending one to issue a new token).
 */
export async function createInvitation(
  db: Db,
  actor: OrgActor,
  input: { email: string; role: OrgRole },
  now: Date = new Date(),
): Promise<{ invitation: InvitationDto; token: string }> {
  assertRole(actor, 'admin', 'inviting members');
  if (input.role === 'owner' && actor.role !== 'owner') {
    throw new AppError('FORBIDDEN', 'only owners can invite owners');
  }
  const token = newToken();
  const created = await db.$transaction(async (tx) => {
    await lockOrg(tx, actor.orgId);
    const member = await tx.membership.findFirst({ where: { orgId: actor.orgId, user: { email: input.email } } });
    if (member !== null)
      throw new AppError('CONFLICT', `${input.email} is already a member`, { data: { field: 'email' } });
    const pending = await tx.invitation.findFirst({
      where: { orgId: actor.orgId, email: input.email, acceptedAt: null, expiresAt: { gt: now } },
    });
    if (pending !== null) {
      throw new AppError('CONFLICT', `${input.email} has a pending invitation; revoke it to send a new one`, {
        data: { field: 'email' },
      });
    }
    const invitation = await tx.invitation.create({
      data: {
        orgId: actor.orgId,
        email: input.email,
        role: input.role,
        tokenHash: hashInvitationToken(token),
        invitedById: actor.userId,
        expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
      },
    });
    await recordAudit(tx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'invitation.create',
      target: `invitation:${invitation.id}`,
      data: { email: input.email, role: input.role },
    });
    return invitation;
  });
  const invitation: InvitationDto = {
    id: created.id,
    email: created.email,
    role: created.role,
    invitedBy: { name: actor.name, email: actor.email },
    createdAt: created.createdAt.toISOString(),
    expiresAt: created.expiresAt.toISOString(),
    expired: false,
  };
  return { invitation, token };
}

/** Invitations of the actor's org not yet accepted, newest first (admin and above). */
export async function listInvitations(db: Db, actor: OrgActor, now: Date = new Date()): Promise<InvitationDto[]> {
  assertRole(actor, 'admin', 'listing invitations');
  const invitations = await db.invitation.findMany({
    where: { orgId: actor.orgId, acceptedAt: null },
    include: { invitedBy: { select: { name: true, email: true } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
  });
  return invitations.map((i) => ({
    id: i.id,
    email: i.email,
    role: i.role,
    invitedBy: i.invitedBy,
    createdAt: i.createdAt.toISOString(),
    expiresAt: i.expiresAt.toISOString(),
    expired: i.expiresAt <= now,
  }));
}

/** Deletes a pending invitation of the actor's org (admin and above; an owner invitation needs owner). */
export async function revokeInvitation(db: Db, actor: OrgActor, input: { invitationId: string }): Promise<void> {
  assertRole(actor, 'admin', 'revoking invitations');
  await db.$transaction(async (tx) => {
    const invitation = await tx.invitation.findFirst({
      where: { id: input.invitationId, orgId: actor.orgId, acceptedAt: null },
    });
    if (invitation === null) throw new AppError('NOT_FOUND', 'invitation not found');
    if (invitation.role === 'owner' && actor.role !== 'owner') {
      throw new AppError('FORBIDDEN', 'only owners can revoke an owner invitation');
    }
    await tx.invitation.delete({ where: { id: invitation.id } });
    await recordAudit(tx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'invitation.revoke',
      target: `invitation:${invitation.id}`,
      data: { email: invitation.email, role: invitation.role },
    });
  });
}

/**
 * Joins the org of the invitation `token`. The invitation must be addressed to the actor's own
 * email; it can be used once, before it expires.
 */
export async function acceptInvitation(
  db: Db,
  actor: Actor,
  input: { token: string },
  now: Date = new Date(),
): Promise<{ orgSlug: string; orgName: string; role: OrgRole }> {
  const tokenHash = hashInvitationToken(input.token);
  return db.$transaction(async (tx) => {
    const found = await tx.invitation.findUnique({ where: { tokenHash }, include: { org: true } });
    if (found === null || found.acceptedAt !== null)
      throw new AppError('NOT_FOUND', 'invitation not found or already used');
    if (found.email !== actor.email.toLowerCase()) {
      throw new AppError('FORBIDDEN', 'this invitation was sent to another email address');
    }
    if (found.expiresAt <= now) throw new AppError('GONE', 'this invitation has expired; ask for a new one');
    await lockOrg(tx, found.orgId);
    const existing = await tx.membership.findUnique({
      where: { orgId_userId: { orgId: found.orgId, userId: actor.userId } },
    });
    if (existing !== null) throw new AppError('CONFLICT', `you are already a member of ${found.org.slug}`);
    // Conditional on acceptedAt still null: of two concurrent accepts, one wins.
    const { count } = await tx.invitation.updateMany({
      where: { id: found.id, acceptedAt: null },
      data: { acceptedAt: now },
    });
    if (count !== 1) throw new AppError('NOT_FOUND', 'invitation not found or already used');
    await tx.membership.create({ data: { orgId: found.orgId, userId: actor.userId, role: found.role } });
    await recordAudit(tx, {
      orgId: found.orgId,
      actorId: actor.userId,
      action: 'invitation.accept',
      target: `invitation:${found.id}`,
      data: { role: found.role },
    });
    return { orgSlug: found.org.slug, orgName: found.org.name, role: found.role };
  });
}
