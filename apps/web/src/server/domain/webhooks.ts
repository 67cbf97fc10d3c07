/**
 * GitHub-compatible push webhooks (the route: src/server/routes/github-webhook.ts).
 *
 * - The signature is `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`, compared
 *   with `crypto.timingSafeEqual` (a malformed header is refused before any comparison: its shape
 *   is no secret).
 * - A delivery is recorded once: `Deployment.deliveryId` (GitHub's `X-GitHub-Delivery`) is unique,
 *   so a redelivery — GitHub's "Redeliver" button, or a retry after a timeout — finds the first
 *   deployment instead of creating a second one (also when two arrive at once: the second insert
 *   meets the unique index). The job id is the deployment id, so there is no second job either.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '@stoa/errors';
import { toAppError, type Db } from '@stoa/db';
import { z } from 'zod';
import { enqueueBuild, insertQueuedDeployment, type DeployJobs } from './deployments';

/** Largest webhook body read (GitHub caps payloads at 25 MB; a push's fields we need are small). */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

const SIGNATURE_PATTERN = /^sha256=([0-9a-f]{64})$/i;
/** GitHub's delivery ids are GUIDs; other hosts send similar tokens. */
export const DELIVERY_ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/** The signature header a host sends for `body` with `secret` (tests and tools). */
export function signWebhookBody(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when `header` is the HMAC-SHA256 of `body` under `secret`; compared in constant time. */
export function verifyWebhookSignature(secret: string, body: Uint8Array, header: string | null): boolean {
  const match = header === null ? null : SIGNATURE_PATTERN.exec(header.trim());
  if (match === null || match[1] === undefined) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(expected, given);
}

/** The fields of a push event the portal uses (GitHub's payload; others are compatible). */
export const pushEventSchema = z.object({
  ref: z.string().max(1024),
  /** The commit the ref points to after the push (40 hex; 64 in SHA-256 repositories). */
  after: z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, 'expected a commit id'),
  deleted: z.boolean().optional(),
});
export type PushEvent = z.infer<typeof pushEventSchema>;

/** Why a push does not deploy, or undefined when it does. */
export function reasonToIgnorePush(push: PushEvent, branch: string): string | undefined {
  if (push.deleted === true || /^0+$/.test(push.after)) return 'the branch was deleted';
  if (push.ref !== `refs/heads/${branch}`) return `${push.ref} is not refs/heads/${branch}`;
  return undefined;
}

export interface RecordedPush {
  readonly deploymentId: string;
  /** True when this delivery was recorded before (nothing new was created). */
  readonly duplicate: boolean;
}

/**
 * Records a verified push of `app`'s branch as a queued `git` deployment (no portal user acted:
 * `createdById` is null) and enqueues its build — once per delivery id.
 */
export async function recordGitPush(
  db: Db,
  input: {
    app: { id: string; orgId: string; name: string };
    deliveryId: string;
    commitSha: string;
    branch: string;
  },
  jobs: DeployJobs,
): Promise<RecordedPush> {
  const earlier = await findDelivery(db, input.app.id, input.deliveryId);
  if (earlier !== undefined) return earlier;
  try {
    const push = { commitSha: input.commitSha, branch: input.branch, deliveryId: input.deliveryId };
    const deployment = await db.$transaction((tx) =>
      insertQueuedDeployment(
        tx,
        input.app,
        null,
        { source: 'git', ...push },
        { action: 'deployment.create', data: { source: 'git', ...push } },
      ),
    );
    await enqueueBuild(jobs, deployment.id);
    return { deploymentId: deployment.id, duplicate: false };
  } catch (error) {
    const appError = toAppError(error);
    if (appError.code !== 'CONFLICT') throw appError;
    // The same delivery, recorded by a concurrent request a moment ago.
    const raced = await findDelivery(db, input.app.id, input.deliveryId);
    if (raced === undefined) throw appError;
    return raced;
  }
}

async function findDelivery(db: Db, appId: string, deliveryId: string): Promise<RecordedPush | undefined> {
  const existing = await db.deployment.findUnique({
    where: { deliveryId },
    select: { id: true, appId: true },
  });
  if (existing === null) return undefined;
  // Delivery ids are global: one seen for another app says nothing about that app here.
  if (existing.appId !== appId) throw new AppError('CONFLICT', 'this delivery id was used before');
  return { deploymentId: existing.id, duplicate: true };
}
