// Postgres is the source of truth for deployments; Redis only carries the work. When Redis loses
// its queues (a restart without persistence, a flush) or a worker dies between a job's end and
// its database write, a deployment stays in a non-final state with no job to move it on. The
// reconciler enqueues the job the deployment's status calls for, by two rules:
//
// - missing: unchanged for `missingAfterMs` (short) → enqueue; a no-op when Redis still has the job
//   in any state (job id = deployment id), so only lost jobs come back — fast recovery after a
//   Redis restart;
// - stale: unchanged for `staleAfterMs` (long) → enqueue with `replaceFinished`: a job that Redis
//   remembers as completed or failed while Postgres says "not final" is stale (its database write
//   was lost) and is replaced. Waiting, delayed and running jobs are always left alone.
//
// A deployment that crashes its worker every time is bounded by the build handler (it counts its
// starts in `attempts`), not here. The database query is injected (see list-unfinished.ts).
import type { JobName, JobQueue } from '@stoa/jobs';

/** Non-final deployment statuses (prisma/schema.prisma `DeploymentStatus`). */
export type UnfinishedStatus = 'queued' | 'building' | 'built' | 'rolling_out';

export interface UnfinishedDeployment {
  readonly id: string;
  readonly status: UnfinishedStatus;
  readonly updatedAt: Date;
}

/** The job that moves a deployment on from `status`. */
export function jobForStatus(status: UnfinishedStatus): JobName {
  return status === 'queued' || status === 'building' ? 'deploy.build' : 'deploy.rollout';
}

export interface ReconcileOptions {
  /** Non-final deployments last updated before `olderThan` (oldest first, bounded). */
  readonly listUnfinished: (olderThan: Date) => Promise<readonly UnfinishedDeployment[]>;
  readonly queue: Pick<JobQueue, 'enqueue'>;
  /** How long a deployment may sit unchanged before a finished job of it counts as stale. */
  readonly staleAfterMs: number;
  /** How long a deployment may sit unchanged before a missing job is re-created (default: staleAfterMs). */
  readonly missingAfterMs?: number;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

export interface ReconcileReport {
  readonly checked: number;
  /** `<job name> <deployment id>` for every job (re)created. */
  readonly requeued: readonly string[];
}

export async function reconcileDeployments(options: ReconcileOptions): Promise<ReconcileReport> {
  const now = (options.now ?? Date.now)();
  const missingAfterMs = Math.min(options.missingAfterMs ?? options.staleAfterMs, options.staleAfterMs);
  const staleBefore = now - options.staleAfterMs;
  const stuck = await options.listUnfinished(new Date(now - missingAfterMs));
  const requeued: string[] = [];
  for (const deployment of stuck) {
    const name = jobForStatus(deployment.status);
    const stale = deployment.updatedAt.getTime() <= staleBefore;
    const result = await options.queue.enqueue(
      name,
      { deploymentId: deployment.id },
      stale ? { replaceFinished: true } : {},
    );
    if (result.created) {
      requeued.push(`${name} ${deployment.id}`);
      const idle = Math.round((now - deployment.updatedAt.getTime()) / 1000);
      options.log?.(
        `deployment ${deployment.id} was ${deployment.status} for ${idle} s without a job: ${name} enqueued`,
      );
    }
  }
  return { checked: stuck.length, requeued };
}
