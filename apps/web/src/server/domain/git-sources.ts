/**
 * An app's git source: the repository and branch a GitHub-compatible push webhook deploys from.
 * Admins and owners manage it. The webhook secret is generated here (32 random bytes, hex) and
 * returned once — when the source is created and when it is rotated; reading a source never
 * returns it. It is stored as is, because verifying `X-Hub-Signature-256` needs the key itself.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '@stoa/errors';
import { toAppError, type Db } from '@stoa/db';
import { assertRole, type OrgActor } from './access';
import { recordAudit } from './audit';
import { findOrgApp } from './deployments';

export interface GitSourceDto {
  readonly repoUrl: string;
  readonly branch: string;
  /** Where the repository host posts pushes (relative to the portal's origin). */
  readonly webhookPath: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function webhookPathOf(appId: string): string {
  return `/api/webhooks/github/${appId}`;
}

function newWebhookSecret(): string {
  return randomBytes(32).toString('hex');
}

function toDto(appId: string, source: { repoUrl: string; branch: string; createdAt: Date; updatedAt: Date }) {
  return {
    repoUrl: source.repoUrl,
    branch: source.branch,
    webhookPath: webhookPathOf(appId),
    createdAt: source.createdAt.toISOString(),
    updatedAt: source.updatedAt.toISOString(),
  } satisfies GitSourceDto;
}

/** The app's git source, or null when it has none (admin and above). */
export async function getGitSource(db: Db, actor: OrgActor, input: { appName: string }): Promise<GitSourceDto | null> {
  assertRole(actor, 'admin', 'reading git sources');
  const app = await findOrgApp(db, actor, input.appName);
  const source = await db.gitSource.findUnique({ where: { appId: app.id } });
  return source === null ? null : toDto(app.id, source);
}

/**
 * Sets the app's repository and branch (admin and above). Creating the source generates its
 * webhook secret and returns it (once); updating one keeps the secret (`webhookSecret: null`), so
 * changing the branch does not break the configured webhook — rotate it for a new one.
 */
export async function setGitSource(
  db: Db,
  actor: OrgActor,
  input: { appName: string; repoUrl: string; branch: string },
): Promise<{ gitSource: GitSourceDto; webhookSecret: string | null }> {
  assertRole(actor, 'admin', 'setting git sources');
  const set = db.$transaction(async (tx) => {
    const app = await findOrgApp(tx, actor, input.appName);
    const existing = await tx.gitSource.findUnique({ where: { appId: app.id } });
    const fields = { repoUrl: input.repoUrl, branch: input.branch };
    const secret = existing === null ? newWebhookSecret() : null;
    const source =
      secret !== null
        ? await tx.gitSource.create({ data: { appId: app.id, ...fields, webhookSecret: secret } })
        : await tx.gitSource.update({ where: { appId: app.id }, data: fields });
    await recordAudit(tx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: existing === null ? 'gitSource.create' : 'gitSource.update',
      target: `app:${app.id}`,
      data: { repoUrl: input.repoUrl, branch: input.branch },
    });
    return { gitSource: toDto(app.id, source), webhookSecret: secret };
  });
  // Two first sets at once: one creates, the other meets the unique appId (CONFLICT: try again).
  return set.catch((error: unknown) => {
    throw toAppError(error);
  });
}

/** A new webhook secret for the app's git source, returned once (admin and above). */
export async function rotateWebhookSecret(
  db: Db,
  actor: OrgActor,
  input: { appName: string },
): Promise<{ gitSource: GitSourceDto; webhookSecret: string }> {
  assertRole(actor, 'admin', 'rotating webhook secrets');
  return db.$transaction(async (tx) => {
    const app = await findOrgApp(tx, actor, input.appName);
    const secret = newWebhookSecret();
    const { count } = await tx.gitSource.updateMany({ where: { appId: app.id }, data: { webhookSecret: secret } });
    if (count === 0) throw new AppError('NOT_FOUND', `app ${input.appName} has no git source`);
    const source = await tx.gitSource.findUniqueOrThrow({ where: { appId: app.id } });
    await recordAudit(tx, {
      orgId: actor.orgId,
      actorId: actor.userId,
      action: 'gitSource.rotateSecret',
      target: `app:${app.id}`,
    });
    return { gitSource: toDto(app.id, source), webhookSecret: secret };
  });
}
