// Postgres is the source of truth for deployments; Redis only carries the work. When Redis loses
// its queues (a restart without persistence, a flush) or a worker dies between a job's end and
// its database write, a deployment stays in a non-final state with no job to move it on. The
// reconciler finds deployments that have not changed for a while and enqueues the job their
// status calls for. Enqueueing is idempotent (job id = deployment id): a job that is still
// waiting, delayed or running is left alone; a finished one (its database write was lost) is
// replaced. The database query is injected (packages/db provides it).
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
  /** How long a deployment may sit unchanged before it counts as stuck. */
  readonly staleAfterMs: number;
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
  const stuck = await options.listUnfinished(new Date(now - options.staleAfterMs));
  const requeued: string[] = [];
  for (const deployment of stuck) {
    const name = jobForStatus(deployment.status);
    const result = await options.queue.enqueue(name, { deploymentId: deployment.id }, { replaceFinished: true });
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
