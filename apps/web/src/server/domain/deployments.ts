/**
 * Deployments of the actor's org: the history of an app, one deployment, a rollback, and a new
 * deployment from an uploaded project archive (the portal's upload form and `stoa deploy` through a
 * portal access token). Builds and rollouts are the worker's (apps/worker): the portal writes the
 * Deployment row as `queued` and enqueues `deploy.build`.
 *
 * Enqueueing happens after the transaction commits. When Redis refuses, the deployment still
 * exists as `queued` and the worker's reconciler enqueues it (its "missing" rule, seconds later), so
 * an enqueue failure is logged, not answered: the caller's deployment is real.
 */
import { AppError } from '@stoa/errors';
import type { Db, DeploymentSource, DeploymentStatus, Prisma } from '@stoa/db';
import type { JobQueue } from '@stoa/jobs';
import { assertRole, type OrgActor } from './access';
import { recordAudit } from './audit';

/** The engine's bundle cap, and the CHECK on `SourceUpload.size` (prisma migration). */
export const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;

/**
 * Prisma's interactive transactions time out after 5 s by default; writing a 32 MiB archive into
 * Postgres on a busy server can take longer, and a timeout would turn a valid upload into a 500.
 */
const UPLOAD_TRANSACTION = { maxWait: 10_000, timeout: 60_000 } as const;
export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_HISTORY_LIMIT = 200;

const FINAL_STATUSES: readonly DeploymentStatus[] = ['live', 'failed', 'superseded'];
/** A deployment whose bundle once served the app can be rolled back to. */
const ROLLBACK_TARGET_STATUSES: readonly DeploymentStatus[] = ['live', 'superseded'];

export type DeployJobs = Pick<JobQueue, 'enqueue'>;

export interface DeploymentDto {
  readonly id: string;
  readonly appName: string;
  readonly status: DeploymentStatus;
  readonly source: DeploymentSource;
  readonly commitSha: string | null;
  readonly branch: string | null;
  /** Who started it: the user's name and email, "git push", or "a deleted user". */
  readonly who: string;
  readonly createdBy: { readonly name: string; readonly email: string } | null;
  readonly bundleId: string | null;
  /** The schema diff against the version live before (set when it went live). */
  readonly schemaDiff: string | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** live, failed or superseded: nothing will change any more. */
  readonly final: boolean;
  /** It has a bundle and was live: a rollback to it is possible. */
  readonly rollbackTarget: boolean;
}

const withDetails = {
  app: { select: { name: true } },
  createdBy: { select: { name: true, email: true } },
} as const satisfies Prisma.DeploymentInclude;

type DeploymentRow = Prisma.DeploymentGetPayload<{ include: typeof withDetails }>;

export function isFinalStatus(status: DeploymentStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

function describeWho(row: DeploymentRow): string {
  if (row.createdBy !== null) return `${row.createdBy.name} <${row.createdBy.email}>`;
  return row.source === 'git' ? 'git push' : 'a deleted user';
}

export function toDeploymentDto(row: DeploymentRow): DeploymentDto {
  return {
    id: row.id,
    appName: row.app.name,
    status: row.status,
    source: row.source,
    commitSha: row.commitSha,
    branch: row.branch,
    who: describeWho(row),
    createdBy: row.createdBy,
    bundleId: row.bundleId,
    schemaDiff: row.schemaDiff,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    final: isFinalStatus(row.status),
    rollbackTarget: row.bundleId !== null && ROLLBACK_TARGET_STATUSES.includes(row.status),
  };
}

/** The app `appName` of the actor's org (NOT_FOUND otherwise). */
export async function findOrgApp(db: Db | Prisma.TransactionClient, actor: OrgActor, appName: string) {
  const app = await db.app.findUnique({ where: { orgId_name: { orgId: actor.orgId, name: appName } } });
  if (app === null) throw new AppError('NOT_FOUND', `app ${appName} not found in ${actor.orgSlug}`);
  return app;
}

/** Enqueues the deployment's build; a Redis failure is logged (the reconciler enqueues it later). */
export async function enqueueBuild(jobs: DeployJobs, deploymentId: string): Promise<boolean> {
  try {
    await jobs.enqueue('deploy.build', { deploymentId });
    return true;
  } catch (error) {
    console.error(`apps/web: enqueueing deploy.build ${deploymentId} failed; the reconciler will retry:`, error);
    return false;
  }
}

/** The deployments of one app of the actor's org, newest first. */
export async function listDeployments(
  db: Db,
  actor: OrgActor,
  input: { appName: string; limit?: number },
): Promise<DeploymentDto[]> {
  const app = await findOrgApp(db, actor, input.appName);
  const rows = await db.deployment.findMany({
    where: { appId: app.id, app: { orgId: actor.orgId } },
    include: withDetails,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: Math.min(input.limit ?? DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT),
  });
  return rows.map(toDeploymentDto);
}

/** One deployment of the actor's org. */
export async function getDeployment(db: Db, actor: OrgActor, input: { deploymentId: string }): Promise<DeploymentDto> {
  const row = await db.deployment.findFirst({
    where: { id: input.deploymentId, app: { orgId: actor.orgId } },
    include: withDetails,
  });
  if (row === null) throw new AppError('NOT_FOUND', 'deployment not found');
  return toDeploymentDto(row);
}

/**
 * Rolls the app `appName` back to the bundle of an earlier deployment (developer and above): the
 * target must be a deployment of that app with a bundle that was live (now `live` or
 * `superseded`). Creates a `rollback` deployment naming the bundle — the worker skips the build
 * and rolls it out — and enqueues its `deploy.build`.
 */
export async function rollbackDeployment(
  db: Db,
  actor: OrgActor,
  input: { appName: string; deploymentId: string },
  jobs: DeployJobs,
): Promise<DeploymentDto> {
  assertRole(actor, 'developer', 'rolling back');
  const created = await db.$transaction(async (tx) => {
    const app = await findOrgApp(tx, actor, input.appName);
    const target = await tx.deployment.findFirst({
      where: { id: input.deploymentId, appId: app.id, app: { orgId: actor.orgId } },
    });
    if (target === null) throw new AppError('NOT_FOUND', `deployment not found in ${input.appName}`);
    if (target.bundleId === null || !ROLLBACK_TARGET_STATUSES.includes(target.status)) {
      throw new AppError(
        'CONFLICT',
        `only a deployment that was live can be rolled back to (this one is ${target.status}${target.bundleId === null ? ', without a bundle' : ''})`,
        { data: { status: target.status } },
      );
    }
    return insertQueuedDeployment(
      tx,
      app,
      actor.userId,
      { source: 'rollback', bundleId: target.bundleId },
      { action: 'deployment.rollback', data: { to: target.id, bundleId: target.bundleId } },
    );
  });
  await enqueueBuild(jobs, created.id);
  return toDeploymentDto(created);
}

/** What distinguishes one queued deployment from another: where it comes from. */
type QueuedDeploymentOrigin = Pick<
  Prisma.DeploymentUncheckedCreateInput,
  'source' | 'bundleId' | 'sourceUploadId' | 'commitSha' | 'branch' | 'deliveryId'
>;

/**
 * The one way an upload, a rollback or a git push becomes a deployment: a `queued` row of `app` and
 * its audit row, inside the caller's transaction (the caller enqueues the build after the commit).
 * `actorId` is null when no portal user acted (a git push).
 */
export async function insertQueuedDeployment(
  tx: Prisma.TransactionClient,
  app: { readonly id: string; readonly orgId: string; readonly name: string },
  actorId: string | null,
  origin: QueuedDeploymentOrigin,
  audit: { readonly action: 'deployment.create' | 'deployment.rollback'; readonly data: Prisma.InputJsonObject },
) {
  const deployment = await tx.deployment.create({
    data: { ...origin, appId: app.id, status: 'queued', createdById: actorId },
    include: withDetails,
  });
  await recordAudit(tx, {
    orgId: app.orgId,
    actorId,
    action: audit.action,
    target: `deployment:${deployment.id}`,
    data: { app: app.name, ...audit.data },
  });
  return deployment;
}

const ZIP_LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04];

/** True when `bytes` begin like a zip archive with at least one entry (`PK\x03\x04`). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return ZIP_LOCAL_HEADER.every((byte, i) => bytes[i] === byte);
}

/**
 * A deployment of the app `appName` from a project archive (developer and above): the archive
 * (a zip, ≤ 32 MiB; the worker unpacks and checks it) is stored as a SourceUpload and the
 * Deployment created with it in one transaction; then `deploy.build` is enqueued. `source` is
 * `upload` from the portal's form, `cli` through a portal access token.
 */
export async function createUploadDeployment(
  db: Db,
  actor: OrgActor,
  input: { appName: string; archive: Uint8Array<ArrayBuffer>; source: 'upload' | 'cli' },
  jobs: DeployJobs,
): Promise<DeploymentDto> {
  assertRole(actor, 'developer', 'deploying');
  const { archive } = input;
  if (archive.length > MAX_UPLOAD_BYTES) {
    throw new AppError('PAYLOAD_TOO_LARGE', `the archive is larger than ${MAX_UPLOAD_BYTES} bytes`);
  }
  if (!looksLikeZip(archive)) throw new AppError('BAD_REQUEST', 'the body is not a zip archive with files in it');
  const created = await db.$transaction(async (tx) => {
    const app = await findOrgApp(tx, actor, input.appName);
    const upload = await tx.sourceUpload.create({
      data: { orgId: actor.orgId, bytes: archive, size: archive.length },
      select: { id: true },
    });
    return insertQueuedDeployment(
      tx,
      app,
      actor.userId,
      { source: input.source, sourceUploadId: upload.id },
      { action: 'deployment.create', data: { source: input.source, size: archive.length } },
    );
  }, UPLOAD_TRANSACTION);
  await enqueueBuild(jobs, created.id);
  return toDeploymentDto(created);
}
