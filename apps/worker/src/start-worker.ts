// Everything a running worker is, from a parsed environment: Postgres (migrated first), the engine
// node list seeded from STOA_ENGINE_URLS, the Redis connections, a BullMQ Worker per queue running
// the deploy handlers, and the reconciler. main.ts adds the process around it (logger, signals);
// the integration tests start it in-process.
//
// Redis connections: one for BullMQ (queues and workers share it; BullMQ opens its own blocking
// connection per worker) with `maxRetriesPerRequest: null`, as BullMQ requires — commands wait for
// Redis to come back; one for the deploy log that gives up after two reconnects, so a Redis outage
// delays a log line, never a job.
import { hostname, tmpdir } from 'node:os';
import type { AdminPrivateJwk } from '@stoa/client/admin';
import { createDb, migrateDatabase, type Db } from '@stoa/db';
import { JOBS, createJobQueue, type JobName, type JobQueue } from '@stoa/jobs';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WorkerEnv } from './env.js';
import { handleDeployBuild } from './handlers/deploy-build.js';
import type { HandlerDeps } from './handlers/deploy-job.js';
import { handleDeployRollout } from './handlers/deploy-rollout.js';
import { startReconcileLoop, type ReconcileLoop } from './reconcile/reconcile-loop.js';
import type { ReconcileReport } from './reconcile/reconcile.js';

export interface StartWorkerOptions {
  readonly env: WorkerEnv & { readonly adminKey: AdminPrivateJwk };
  readonly logger: Logger;
  /** Where jobs make their working directories (default the OS temp dir). */
  readonly tempRoot?: string;
  readonly onReconcile?: (report: ReconcileReport) => void;
}

export interface RunningWorker {
  readonly db: Db;
  readonly queue: JobQueue;
  readonly reconciler: ReconcileLoop;
  /**
   * Stops taking jobs and waits up to `timeoutMs` for the running ones. Past the deadline they are
   * abandoned (the process is about to exit): their locks lapse and another worker retries them.
   * `clean` is false then.
   */
  close(timeoutMs: number): Promise<{ readonly clean: boolean }>;
}

/** Registers the STOA_ENGINE_URLS nodes that are not registered yet (admins may have added more). */
export async function seedEngineNodes(db: Db, urls: readonly string[]): Promise<void> {
  for (const url of urls) {
    await db.engineNode.upsert({ where: { url }, create: { url, name: new URL(url).host }, update: {} });
  }
}

export async function startWorker(options: StartWorkerOptions): Promise<RunningWorker> {
  const { env, logger } = options;
  const started = performance.now();
  const migrated = await migrateDatabase({
    databaseUrl: env.databaseUrl,
    log: (line) => logger.debug({ prisma: line }, 'migrate'),
  });
  const db = createDb({ databaseUrl: env.databaseUrl });
  const closers: (() => Promise<unknown>)[] = [() => db.close()];
  try {
    await seedEngineNodes(db, env.engineUrls);
    const connection = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
    closers.unshift(() => connection.quit());
    const logRedis = new Redis(env.redisUrl, { maxRetriesPerRequest: 2 });
    closers.unshift(() => logRedis.quit());
    for (const [name, redis] of [
      ['queue', connection],
      ['deploy log', logRedis],
    ] as const) {
      redis.on('error', (error) => logger.warn({ err: error, connection: name }, 'redis error'));
    }
    const queue = createJobQueue(connection, { prefix: env.jobs.prefix });
    closers.unshift(() => queue.close());
    for (const name of Object.keys(JOBS) as JobName[]) {
      queue.queueOf(name).on('error', (error) => logger.warn({ err: error, queue: name }, 'queue error'));
    }
    const deps: HandlerDeps = {
      db,
      redis: logRedis,
      queue,
      logger,
      settings: {
        build: env.build,
        git: env.git,
        upload: env.upload,
        rollout: env.rollout,
        adminKey: env.adminKey,
        subject: `worker:${hostname()}`,
        tempRoot: options.tempRoot ?? tmpdir(),
      },
    };
    const common = {
      connection,
      prefix: env.jobs.prefix,
      name: `${hostname()}:${process.pid}`,
      lockDuration: env.jobs.lockMs,
      stalledInterval: env.jobs.stalledIntervalMs,
    };
    const workers = [
      new Worker(JOBS['deploy.build'].queue, (job) => handleDeployBuild(deps, job), {
        ...common,
        concurrency: env.jobs.buildConcurrency,
      }),
      new Worker(JOBS['deploy.rollout'].queue, (job) => handleDeployRollout(deps, job), {
        ...common,
        concurrency: env.jobs.rolloutConcurrency,
      }),
    ];
    for (const worker of workers) {
      worker.on('error', (error) => logger.warn({ err: error, queue: worker.name }, 'worker error'));
      worker.on('failed', (job, error) =>
        logger.info({ queue: worker.name, jobId: job?.id, attempts: job?.attemptsMade, err: error }, 'job failed'),
      );
      worker.on('completed', (job, result: unknown) =>
        logger.info({ queue: worker.name, jobId: job.id, result }, 'job completed'),
      );
    }
    const reconciler = startReconcileLoop({
      db,
      queue,
      intervalMs: env.reconcile.intervalMs,
      missingAfterMs: env.reconcile.missingAfterMs,
      staleAfterMs: env.reconcile.staleAfterMs,
      logger,
      ...(options.onReconcile === undefined ? {} : { onReport: options.onReconcile }),
    });
    logger.info(
      {
        migrations: migrated.applied,
        nodes: env.engineUrls.length,
        concurrency: { build: env.jobs.buildConcurrency, rollout: env.jobs.rolloutConcurrency },
        ms: Math.round(performance.now() - started),
      },
      'worker started',
    );

    let closing: Promise<{ clean: boolean }> | undefined;
    const close = async (timeoutMs: number): Promise<{ clean: boolean }> => {
      await reconciler.stop();
      const drained = Promise.all(workers.map((w) => w.close())).then(() => true);
      const clean = await Promise.race([drained, sleep(timeoutMs).then(() => false)]);
      if (!clean) {
        logger.warn({ timeoutMs }, 'running jobs did not finish in time: left to another worker');
        connection.disconnect();
        logRedis.disconnect();
        await db.close();
        return { clean };
      }
      for (const closer of closers) await closer();
      return { clean };
    };
    return {
      db,
      queue,
      reconciler,
      close: (timeoutMs) => (closing ??= close(timeoutMs)),
    };
  } catch (error) {
    for (const closer of closers) await closer().catch(() => undefined);
    throw error;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
