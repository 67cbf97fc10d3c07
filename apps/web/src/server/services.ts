/**
 * The portal's connections beyond Postgres, created on first use and kept on `globalThis` (Next
 * may evaluate this module once per bundle layer; each copy must not open its own connections):
 *
 * - one ioredis connection for the job queue and the deploy log (`followDeployLog` subscribes on a
 *   duplicate of it). It gives up a command after two reconnect attempts: a request must fail
 *   rather than hang while Redis is down (a deployment whose job could not be enqueued stays
 *   `queued` in Postgres and the worker's reconciler enqueues it later);
 * - the `@stoa/jobs` queue under STOA_QUEUE_PREFIX (the worker's prefix).
 */
import { createJobQueue, type JobQueue } from '@stoa/jobs';
import { Redis } from 'ioredis';
import { readEnv } from '../env';
import type { PortalServices } from './trpc/context';

const servicesKey = Symbol.for('stoa.web.services');

interface ProcessServices extends PortalServices {
  readonly redis: Redis;
  readonly queue: JobQueue;
}

/** How long a health check of an engine node may take. */
export const NODE_CHECK_TIMEOUT_MS = 3_000;

/** The process's Redis connection, job queue and settings (created on first call). */
export function getServices(): ProcessServices {
  const holder = globalThis as { [servicesKey]?: ProcessServices };
  if (holder[servicesKey] === undefined) {
    const env = readEnv();
    const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    // Without a listener ioredis prints every reconnect failure as an unhandled error event.
    redis.on('error', (error: Error) => console.error('apps/web: redis:', error.message));
    const queue = createJobQueue(redis, { prefix: env.queuePrefix });
    holder[servicesKey] = {
      redis,
      queue,
      jobs: queue,
      engineUrls: env.engineUrls,
      nodeCheckTimeoutMs: NODE_CHECK_TIMEOUT_MS,
    };
  }
  return holder[servicesKey];
}
