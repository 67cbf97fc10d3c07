import { AppError } from '@stoa/errors';
import { toAppError, type Db, type OrgRole, type Prisma } from '@stoa/db';
import type { Actor, OrgActor } from './access';
import { recordAudit } from './audit';

export interface OrgDto {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly createdAt: string;
  /** The caller's role in this org. */
  readonly role: OrgRole;
}

/** The orgs the actor is a member of, by name. */
export async function listMyOrgs(db: Db, actor: Actor): Promise<OrgDto[]> {
  const memberships = await db.membership.findMany({
    where: { userId: actor.userId },
    include: { org: true },
    orderBy: [{ org: { name: 'asc' } }, { org: { slug: 'asc' } }],
  });
  return memberships.map((m) => ({
    id: m.org.id,
    slug: m.org.slug,
    name: m.org.name,
    createdAt: m.org.createdAt.toISOString(),
    role: m.role,
  }));
}

/** Creates an org with the actor as its owner. `input` is validated; a taken slug is CONFLICT. */
export async function createOrg(db: Db, actor: Actor, input: { slug: string; name: string }): Promise<OrgDto> {
  try {
    const org = await db.$transaction(async (tx) => {
      const created = await tx.org.create({ data: { slug: input.slug, name: input.name } });
      await tx.membership.create({ data: { orgId: created.id, userId: actor.userId, role: 'owner' } });
      await recordAudit(tx, {
        orgId: created.id,
        actorId: actor.userId,
        action: 'org.create',
        target: `org:${created.id}`,
        data: { slug: created.slug, name: created.name },
      });
      return created;
    });
    return { id: org.id, slug: org.slug, name: org.name, createdAt: org.createdAt.toISOString(), role: 'owner' };
  } catch (error) {
    const appError = toAppError(error);
    if (appError.code === 'CONFLICT') {
      throw new AppError('CONFLICT', `the slug ${input.slug} is taken`, { data: { field: 'slug' } });
    }
    throw appError;
  }
}

/** The actor's org (the membership was checked when the OrgActor was built). */
export async function getOrg(db: Db, actor: OrgActor): Promise<OrgDto> {
  const org = await db.org.findUnique({ where: { id: actor.orgId } });
  if (org === null) throw new AppError('NOT_FOUND', `org ${actor.orgSlug} not found`);
  return { id: org.id, slug: org.slug, name: org.name, createdAt: org.createdAt.toISOString(), role: actor.role };
}

/**
 * Locks the org's row until the transaction ends, so membership changes of one org run one at a
 * time: two owners demoting each other at once must not leave the org without an owner.
 */
export async function lockOrg(tx: Prisma.TransactionClient, orgId: string): Promise<void> {
  const rows = await tx.$queryRaw<
    { id: string }[]
  >`SELECT "id"::text AS "id" FROM "Org" WHERE "id" = ${orgId}::uuid FOR UPDATE`;
  if (rows.length === 0) throw new AppError('NOT_FOUND', 'org not found');
}
