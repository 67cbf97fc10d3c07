/**
 * Portal access tokens: a user's credential for one org, for tools (`stoa deploy` through the
 * portal: `POST /api/v1/orgs/{slug}/apps/{app}/deployments` with `Authorization: Bearer …`).
 *
 * - `stoa_pat_<32 random bytes, base64url>`; only its sha256 is stored, plus a prefix that
 *   identifies it in lists. The token is returned once, by `createToken`.
 * - A token acts as its user, in its org only, with the user's role there *at the time of use*:
 *   a member who leaves or is demoted takes the token's rights along.
 * - Each user sees and revokes their own tokens; revoking is permanent (`revokedAt`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@stoa/errors';
import type { Db } from '@stoa/db';
import { assertRole, type OrgActor } from './access';
import { recordAudit } from './audit';

export const TOKEN_PREFIX = 'stoa_pat_';
/** Characters of the token shown in lists (`stoa_pat_` + 8). */
const SHOWN_PREFIX_LENGTH = TOKEN_PREFIX.length + 8;
export const MAX_TOKEN_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface TokenDto {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  /** Neither revoked nor expired. */
  readonly active: boolean;
}

export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function toDto(
  row: {
    id: string;
    name: string;
    prefix: string;
    createdAt: Date;
    lastUsedAt: Date | null;
    expiresAt: Date | null;
    revokedAt: Date | null;
  },
  now: Date,
): TokenDto {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    active: row.revokedAt === null && (row.expiresAt === null || row.expiresAt > now),
  };
}

/** The actor's own tokens in this org, newest first. */
export async function listTokens(db: Db, actor: OrgActor, now: Date = new Date()): Promise<TokenDto[]> {
  const rows = await db.portalAccessToken.findMany({
    where: { orgId: actor.orgId, userId: actor.userId },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
  });
  return rows.map((row) => toDto(row, now));
}

/**
 * A new token for the actor in this org (developer and above: tokens exist to deploy). Returns the
 * token — the only time it exists in clear.
 */
export async function createToken(
  db: Db,
  actor: OrgActor,
  input: { name: string; expiresInDays?: number | undefined },
  now: Date = new Date(),
): Promise<{ token: string; accessToken: TokenDto }> {
  assertRole(actor, 'developer', 'creating access tokens');
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const expiresAt = input.expiresInDays === undefined ? null : new Date(now.getTime() + input.expiresInDays * DAY_MS);
  const row = await db.$transaction(async (tx) => {
    const created = await tx.portalAccessToken.create({
      data: {
        orgId: actor.orgId,
        userId: actor.userId,
        name: input.name,
        tokenHash: hashAccessToken(token),
        prefix: token.slice(0, SHOWN_PREFIX_LENGTH),
        createdAt: now,
        expiresAt,
      },
    });
    await recordAudit(tx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'token.create',
      target: `token:${created.id}`,
      data: { name: created.name, prefix: created.prefix, expiresAt: expiresAt?.toISOString() ?? null },
    });
    return created;
  });
  return { token, accessToken: toDto(row, now) };
}

/** Revokes one of the actor's own tokens in this org (NOT_FOUND for anyone else's). */
export async function revokeToken(
  db: Db,
  actor: OrgActor,
  input: { tokenId: string },
  now: Date = new Date(),
): Promise<TokenDto> {
  return db.$transaction(async (tx) => {
    const row = await tx.portalAccessToken.findFirst({
      where: { id: input.tokenId, orgId: actor.orgId, userId: actor.userId },
    });
    if (row === null) throw new AppError('NOT_FOUND', 'access token not found');
    if (row.revokedAt !== null) return toDto(row, now);
    const revoked = await tx.portalAccessToken.update({ where: { id: row.id }, data: { revokedAt: now } });
    await recordAudit(tx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'token.revoke',
      target: `token:${row.id}`,
      data: { name: row.name, prefix: row.prefix },
    });
    return toDto(revoked, now);
  });
}

/**
 * The OrgActor a bearer token acts as in the org `orgSlug`, or an AppError: UNAUTHENTICATED for a
 * token that is unknown, malformed, revoked or expired; NOT_FOUND when it belongs to another org
 * (or its user is no longer a member) — the same answer as an org the caller is not in. Marks the
 * token used.
 */
export async function authenticateAccessToken(
  db: Db,
  token: string,
  orgSlug: string,
  now: Date = new Date(),
): Promise<OrgActor> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) {
    throw new AppError('UNAUTHENTICATED', 'not a valid portal access token');
  }
  const row = await db.portalAccessToken.findUnique({
    where: { tokenHash: hashAccessToken(token) },
    include: { org: { select: { slug: true } }, user: true },
  });
  if (row === null || row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt <= now)) {
    throw new AppError('UNAUTHENTICATED', 'the access token is unknown, revoked or expired');
  }
  const notFound = new AppError('NOT_FOUND', `org ${orgSlug} not found`, { data: { orgSlug } });
  if (row.org.slug !== orgSlug) throw notFound;
  const membership = await db.membership.findUnique({
    where: { orgId_userId: { orgId: row.orgId, userId: row.userId } },
  });
  if (membership === null) throw notFound;
  await db.portalAccessToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
  return {
    userId: row.user.id,
    email: row.user.email,
    name: row.user.name,
    isAdmin: row.user.isAdmin,
    orgId: row.orgId,
    orgSlug: row.org.slug,
    role: membership.role,
  };
}
