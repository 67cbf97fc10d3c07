// The reconciler on a timer: once at start (a worker that comes up after Redis lost its queues
// catches up at once) and every `intervalMs` after, never two passes at a time. Every worker runs
// one; their enqueues deduplicate (job id = deployment id). Postgres is read through
// `listUnfinishedDeployments`, the only query the reconciler needs.
import type { Db } from '@stoa/db';
import type { JobQueue } from '@stoa/jobs';
import type { Logger } from 'pino';
import { reconcileDeployments, type ReconcileReport, type UnfinishedDeployment } from './reconcile.js';

const UNFINISHED = ['queued', 'building', 'built', 'rolling_out'] as const;
/** Deployments looked at per pass (oldest first); more wait for the next pass. */
const PAGE = 500;

/** Non-final deployments last updated before `olderThan`, oldest first. */
export function listUnfinishedDeployments(db: Db) {
  return async (olderThan: Date): Promise<UnfinishedDeployment[]> => {
    const rows = await db.deployment.findMany({
      where: { status: { in: [...UNFINISHED] }, updatedAt: { lt: olderThan } },
      select: { id: true, status: true, updatedAt: true },
      orderBy: { updatedAt: 'asc' },
      take: PAGE,
    });
    return rows.flatMap((row) => {
      const status = UNFINISHED.find((s) => s === row.status);
      return status === undefined ? [] : [{ id: row.id, status, updatedAt: row.updatedAt }];
    });
  };
}

export interface ReconcileLoopOptions {
  readonly db: Db;
  readonly queue: Pick<JobQueue, 'enqueue'>;
  readonly intervalMs: number;
  readonly missingAfterMs: number;
  readonly staleAfterMs: number;
  readonly logger: Logger;
  /** Every pass's report (tests, metrics). */
  readonly onReport?: (report: ReconcileReport) => void;
}

export interface ReconcileLoop {
  /** One pass now (or the one running). */
  runOnce(): Promise<void>;
  /** Stops the timer and waits for a running pass. */
  stop(): Promise<void>;
}

export function startReconcileLoop(options: ReconcileLoopOptions): ReconcileLoop {
  const { logger } = options;
  const listUnfinished = listUnfinishedDeployments(options.db);
  let running: Promise<void> | undefined;
  let stopped = false;

  const runOnce = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    running ??= reconcileDeployments({
      listUnfinished,
      queue: options.queue,
      staleAfterMs: options.staleAfterMs,
      missingAfterMs: options.missingAfterMs,
      log: (line) => logger.warn(line),
    })
      .then((report) => options.onReport?.(report))
      // Postgres or Redis away: the next pass tries again.
      .catch((error: unknown) => logger.warn({ err: error }, 'reconcile pass failed'))
      .finally(() => (running = undefined));
    return running;
  };

  const timer = setInterval(() => void runOnce(), options.intervalMs);
  void runOnce();
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
