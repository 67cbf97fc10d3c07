// The typed job catalog (docs/ARCHITECTURE.md §11, issue 8): every background job the control plane
// runs, with its queue, payload schema, attempts and backoff. The portal enqueues from here; the
// handlers live only in apps/worker. A payload carries ids, never data: Postgres is the source of
// truth and a handler re-reads the deployment when it runs.
import { AppError } from '@stoa/errors';
import { z } from 'zod';

/** BullMQ's exponential backoff: `delay · 2^(attempt − 1)` ms between attempts. */
export interface JobBackoff {
  readonly type: 'exponential';
  readonly delay: number;
}

export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  /** BullMQ queue name (no ':'). One queue per job: see `jobIdOf` for why. */
  readonly queue: string;
  readonly payload: S;
  /** Total tries, the first included; permanent failures end earlier (UnrecoverableError). */
  readonly attempts: number;
  readonly backoff: JobBackoff;
  /** What the job does, for logs and the portal. */
  readonly description: string;
}

const deploymentPayload = z.strictObject({
  deploymentId: z.uuid({ message: 'expected the deployment id (a UUID)' }),
});

export const JOBS = {
  'deploy.build': {
    queue: 'deploy-build',
    payload: deploymentPayload,
    // A build that failed for a transient reason (git host down, a wall-clock timeout under load,
    // a crashed child) is worth two more tries; project errors fail at once.
    attempts: 3,
    backoff: { type: 'exponential', delay: 15_000 },
    description: 'fetch the commit (or unpack the upload) and build the bundle',
  },
  'deploy.rollout': {
    queue: 'deploy-rollout',
    payload: deploymentPayload,
    // Rollouts are idempotent on the engine (same bundle = `unchanged`), so a node that was down
    // for a minute is retried longer: 5 s, 10 s, 20 s, 40 s, 80 s.
    attempts: 6,
    backoff: { type: 'exponential', delay: 5_000 },
    description: 'upload the bundle to every engine node and activate it',
  },
} as const satisfies Record<string, JobDefinition>;

export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOBS)[N]['payload']>;

export const JOB_NAMES = Object.keys(JOBS) as readonly JobName[];

export function isJobName(value: string): value is JobName {
  return Object.hasOwn(JOBS, value);
}

/** A job's data that does not match its catalog schema: never becomes valid, so never retried. */
export class InvalidJobPayloadError extends AppError {
  constructor(name: string, problem: string, data: Record<string, unknown> = {}) {
    super('VALIDATION_FAILED', `job ${name}: invalid payload: ${problem}`, { data: { job: name, ...data } });
  }
}

/** Validates `data` against the catalog schema of `name`; throws InvalidJobPayloadError saying why. */
export function parsePayload<N extends JobName>(name: N, data: unknown): JobPayload<N> {
  if (!isJobName(name)) throw new InvalidJobPayloadError(String(name), 'unknown job name');
  const parsed = JOBS[name].payload.safeParse(data);
  if (parsed.success) return parsed.data as JobPayload<N>;
  const issue = parsed.error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? '(payload)' : issue.path.join('.');
  throw new InvalidJobPayloadError(name, `${field}: ${issue?.message ?? 'invalid'}`, { field });
}

/**
 * The BullMQ job id: the deployment id (issue 8), which makes enqueueing idempotent — adding a
 * job whose id exists is a no-op. Each job name has its own queue so that the build and the rollout
 * of one deployment can both carry that id (ids are unique per queue), and BullMQ refuses ':' in
 * custom ids, which rules out `deploy.build:<id>`.
 */
export function jobIdOf<N extends JobName>(_name: N, payload: JobPayload<N>): string {
  return payload.deploymentId;
}
