// What both deploy handlers share: their collaborators, the job they get from BullMQ, and the run
// frame around their work — the payload parsed, a deploy log opened (Redis + the job's own log),
// and on failure the deployment's `error` recorded, then either left in its state for BullMQ's next
// attempt or moved to `failed` (permanent failure, or the last attempt), and the job failure thrown
// (`toJobFailure`: UnrecoverableError for permanent ones, so BullMQ retries only the others).
//
// Every status change is a conditional update (`updateMany where {id, status in [...]}`): a retried,
// duplicated or late job can never move a deployment backwards, only the one that finds it in the
// expected state moves it on.
import type { AdminPrivateJwk } from '@stoa/client/admin';
import type { Db, DeploymentStatus } from '@stoa/db';
import { AppError } from '@stoa/errors';
import { parsePayload, type JobName, type JobQueue } from '@stoa/jobs';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WorkerEnv } from '../env.js';
import { isRetryable, toJobFailure } from '../failures.js';
import { createDeployLog, type DeployLog, type JobLogSink } from '../logs/deploy-log.js';

/** The part of a BullMQ Job the handlers use (tests and BullMQ pass real jobs). */
export interface DeployJob extends JobLogSink {
  readonly id?: string | undefined;
  readonly data: unknown;
  /** Attempts that already failed (0 while the first runs; a stalled restart does not count). */
  readonly attemptsMade: number;
  readonly opts: { readonly attempts?: number | undefined };
}

export interface HandlerSettings {
  readonly build: WorkerEnv['build'];
  readonly git: WorkerEnv['git'];
  readonly upload: WorkerEnv['upload'];
  readonly rollout: WorkerEnv['rollout'];
  readonly adminKey: AdminPrivateJwk;
  /** `sub` of the admin tokens the nodes record (`worker:<hostname>`). */
  readonly subject: string;
  /** Where each job makes (and removes) its working directory. */
  readonly tempRoot: string;
}

export interface HandlerDeps {
  readonly db: Db;
  /** The deploy log's connection (fails fast: a Redis hiccup must not hold a job). */
  readonly redis: Redis;
  readonly queue: Pick<JobQueue, 'enqueue'>;
  readonly settings: HandlerSettings;
  readonly logger: Logger;
}

const FINAL_STATUSES = ['live', 'failed', 'superseded'] as const satisfies DeploymentStatus[];

export function isFinal(status: DeploymentStatus): boolean {
  return (FINAL_STATUSES as readonly DeploymentStatus[]).includes(status);
}

/** What a handler returns when it had nothing to do (stored as the job's return value). */
export interface Skipped {
  readonly result: 'skipped';
  readonly status: DeploymentStatus | 'missing';
  readonly reason: string;
}

/** Longest `error` stored (the log keeps 16 KiB per event; the row may say more). */
const MAX_ERROR_TEXT = 64 * 1024;
/** A deploy log write that hangs (Redis gone) must not hold the job past this. */
const LOG_CLOSE_TIMEOUT_MS = 5_000;

/**
 * The text stored as `Deployment.error`: the message (a build error's file:line:col and code frames
 * included) plus what the error's data adds for a human — the breaking changes and schema diff of
 * a refused change, the nodes' states after a partial rollout.
 */
export function describeFailure(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error);
  if (error instanceof AppError && error.data !== undefined) {
    const { breaking, diff, nodes } = error.data as Record<string, unknown>;
    if (Array.isArray(breaking) && breaking.length > 0) {
      const lines = breaking.map((b) => `- ${describeBreaking(b)}`);
      text += `\nbreaking changes:\n${lines.join('\n')}`;
    }
    if (typeof diff === 'string' && diff !== '' && !text.includes(diff)) text += `\nschema diff:\n${diff}`;
    if (typeof nodes === 'object' && nodes !== null && Object.keys(nodes).length > 1) {
      const states = Object.entries(nodes).map(([url, state]) => `${url}: ${String(state)}`);
      text += `\nnodes:\n${states.join('\n')}`;
    }
  }
  return text.length <= MAX_ERROR_TEXT ? text : `${text.slice(0, MAX_ERROR_TEXT)}… (cut)`;
}

function describeBreaking(change: unknown): string {
  if (typeof change === 'object' && change !== null && 'message' in change) return String(change.message);
  return JSON.stringify(change);
}

export interface RunContext {
  readonly deploymentId: string;
  readonly log: DeployLog;
}

export interface RunOptions {
  /** The statuses this job moves a deployment out of: a failure marks only those `failed`. */
  readonly owns: readonly DeploymentStatus[];
  /** After the deployment was marked failed (e.g. the build drops its uploaded archive). */
  readonly afterFinalFailure?: (deploymentId: string) => Promise<void>;
}

/**
 * Runs one deploy job: parses the payload (a bad one fails at once), opens the deploy log, runs
 * `work`, and turns a failure into the deployment's record and the job's failure (see the header).
 */
export async function runDeploymentJob<R>(
  name: JobName,
  deps: HandlerDeps,
  job: DeployJob,
  options: RunOptions,
  work: (context: RunContext) => Promise<R>,
): Promise<R> {
  let deploymentId: string;
  try {
    ({ deploymentId } = parsePayload(name, job.data));
  } catch (error) {
    deps.logger.error({ job: name, jobId: job.id, err: error }, 'invalid job payload');
    throw toJobFailure(error);
  }
  const logger = deps.logger.child({ job: name, deploymentId });
  const log = createDeployLog(deps.redis, deploymentId, {
    job,
    onError: (error) => logger.warn({ err: error }, 'deploy log write failed'),
  });
  try {
    return await work({ deploymentId, log });
  } catch (error) {
    await recordFailure(deps, job, { deploymentId, log, logger, options }, error);
    throw toJobFailure(error);
  } finally {
    await Promise.race([log.close(), new Promise((resolve) => setTimeout(resolve, LOG_CLOSE_TIMEOUT_MS).unref())]);
  }
}

async function recordFailure(
  deps: HandlerDeps,
  job: DeployJob,
  run: { deploymentId: string; log: DeployLog; logger: Logger; options: RunOptions },
  error: unknown,
): Promise<void> {
  const { deploymentId, log, logger, options } = run;
  const attempt = job.attemptsMade + 1;
  const attempts = job.opts.attempts ?? 1;
  const retryable = isRetryable(error);
  const final = !retryable || attempt >= attempts;
  const message = describeFailure(error);
  const where = { id: deploymentId, status: { in: [...options.owns] } };
  try {
    if (final) {
      const moved = await deps.db.deployment.updateMany({
        where,
        data: { status: 'failed', error: message, finishedAt: new Date() },
      });
      if (moved.count > 0) {
        log.line(message, 'error');
        log.end('failed', message.split('\n')[0]);
        await options.afterFinalFailure?.(deploymentId);
      }
      logger.warn({ err: error, attempt, attempts, retryable, recorded: moved.count > 0 }, 'deployment failed');
    } else {
      await deps.db.deployment.updateMany({ where, data: { error: message } });
      log.line(`attempt ${attempt} of ${attempts} failed (will be retried): ${message}`, 'warn');
      logger.warn({ err: error, attempt, attempts }, 'deploy attempt failed; retrying');
    }
  } catch (dbError) {
    // The deployment stays non-final; the reconciler gives it a job again later.
    logger.error({ err: dbError, cause: message }, 'could not record the failure');
  }
}
