/**
 * Who is acting, and the scoping rule every domain function follows: an org-scoped function takes
 * an `OrgActor` — built only by `resolveOrgActor` from the caller's Membership row — and filters
 * every query by `actor.orgId` (`where: { id, orgId }`), never by an id from the input alone.
 */
import { AppError } from '@stoa/errors';
import type { Db, OrgRole } from '@stoa/db';
import { hasRole, type OrgRoleName } from '../../lib/roles';

// The client-safe role list must be the database enum, in both directions.
const rolesMatch: [OrgRole] extends [OrgRoleName] ? ([OrgRoleName] extends [OrgRole] ? true : never) : never = true;
void rolesMatch;

/** A signed-in portal user, as loaded from the database for this request. */
export interface Actor {
  readonly userId: string;
  readonly email: string;
  readonly name: string;
  /** Platform administrator (the admin area: engine nodes). */
  readonly isAdmin: boolean;
}

/** An Actor acting inside one org, with their role there. */
export interface OrgActor extends Actor {
  readonly orgId: string;
  readonly orgSlug: string;
  readonly role: OrgRole;
}

/** Loads the user behind a session; a session for a deleted user is no session. */
export async function loadActor(db: Db, userId: string): Promise<Actor> {
  const user = await db.user.findUnique({ where: { id: userId } });
  if (user === null) throw new AppError('UNAUTHENTICATED', 'sign in again');
  return { userId: user.id, email: user.email, name: user.name, isAdmin: user.isAdmin };
}

/**
 * The caller's membership in the org `orgSlug`. No membership answers NOT_FOUND with the same
 * message as a missing org, so non-members cannot learn which orgs exist.
 */
export async function resolveOrgActor(db: Db, actor: Actor, orgSlug: string): Promise<OrgActor> {
  const membership = await db.membership.findFirst({
    where: { userId: actor.userId, org: { slug: orgSlug } },
    include: { org: { select: { slug: true } } },
  });
  if (membership === null) throw new AppError('NOT_FOUND', `org ${orgSlug} not found`, { data: { orgSlug } });
  return { ...actor, orgId: membership.orgId, orgSlug: membership.org.slug, role: membership.role };
}

/** FORBIDDEN unless the actor's role is `min` or above. */
export function assertRole(actor: OrgActor, min: OrgRole, action: string): void {
  if (!hasRole(actor.role, min)) {
    throw new AppError('FORBIDDEN', `${action} needs the ${min} role or above (you are ${actor.role})`, {
      data: { required: min, role: actor.role },
    });
  }
}
