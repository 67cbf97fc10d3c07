// Enqueueing catalog jobs on BullMQ. Producers (portal, reconciler) use this; consumers (apps/worker)
// build their BullMQ Workers from the same queue names, prefix and options.
import { Queue, type ConnectionOptions, type JobState, type JobsOptions } from 'bullmq';
import { JOBS, jobIdOf, parsePayload, type JobName, type JobPayload } from './catalog.js';

/** Redis key prefix of every Stoa queue (BullMQ's default is `bull`). */
export const JOB_QUEUE_PREFIX = 'stoa-jobs';

/**
 * Finished jobs are kept so that an id stays deduplicated for a while (a webhook redelivery or a
 * double click does not build twice), then dropped so Redis stays small. Postgres keeps history.
 */
const KEEP_COMPLETED = { age: 7 * 24 * 3600, count: 10_000 };
const KEEP_FAILED = { age: 30 * 24 * 3600, count: 10_000 };

/** BullMQ options of a catalog job: its id, attempts, backoff and retention. */
export function jobOptionsOf<N extends JobName>(name: N, payload: JobPayload<N>): JobsOptions {
  const def = JOBS[name];
  return {
    jobId: jobIdOf(name, payload),
    attempts: def.attempts,
    backoff: { type: def.backoff.type, delay: def.backoff.delay },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}

export interface EnqueueOptions {
  /**
   * When a job with this id exists but has finished (completed or failed), remove it and enqueue
   * again. The reconciler uses it: Postgres says the deployment is not final, so whatever Redis
   * remembers about an earlier run is stale (e.g. the worker died between the job ending and the
   * database write).
   */
  readonly replaceFinished?: boolean;
}

export interface EnqueueResult {
  readonly jobId: string;
  /** False when a job with this id already existed (the call was a no-op). */
  readonly created: boolean;
  /** The state the existing job was in when `created` is false (`unknown` if it vanished meanwhile). */
  readonly existingState?: JobState | 'unknown';
}

export interface JobQueue {
  /** Validates the payload with the catalog schema (InvalidJobPayloadError) and adds the job once. */
  enqueue<N extends JobName>(name: N, payload: JobPayload<N>, options?: EnqueueOptions): Promise<EnqueueResult>;
  /** The BullMQ state of the job with this id, `unknown` when Redis has no such job. */
  getState(name: JobName, jobId: string): Promise<JobState | 'unknown'>;
  /** BullMQ's Queue of a job name (for tests and admin views). */
  queueOf(name: JobName): Queue;
  /** Closes the queues (a connection passed as an ioredis instance stays open: it is the caller's). */
  close(): Promise<void>;
}

export interface JobQueueOptions {
  /** Redis key prefix; tests use a unique one. Default JOB_QUEUE_PREFIX. */
  readonly prefix?: string;
  /** Milliseconds since epoch; injectable for tests. */
  readonly now?: () => number;
}

export function createJobQueue(connection: ConnectionOptions, options: JobQueueOptions = {}): JobQueue {
  const prefix = options.prefix ?? JOB_QUEUE_PREFIX;
  const now = options.now ?? Date.now;
  const queues = new Map<JobName, Queue>();
  const queueOf = (name: JobName): Queue => {
    let queue = queues.get(name);
    if (queue === undefined) {
      queue = new Queue(JOBS[name].queue, { connection, prefix });
      queues.set(name, queue);
    }
    return queue;
  };
  const getState = async (name: JobName, jobId: string): Promise<JobState | 'unknown'> =>
    queueOf(name).getJobState(jobId);

  const add = async <N extends JobName>(name: N, payload: JobPayload<N>): Promise<EnqueueResult> => {
    const queue = queueOf(name);
    const opts = jobOptionsOf(name, payload);
    const jobId = opts.jobId ?? '';
    // BullMQ's add() is a no-op for an existing id but does not say so; the stored timestamp does.
    // (Two producers adding the same id within the same millisecond would both see `created`.)
    const timestamp = now();
    await queue.add(name, payload, { ...opts, timestamp });
    const stored = await queue.getJob(jobId);
    if (stored === undefined || stored.timestamp === timestamp) return { jobId, created: true };
    return { jobId, created: false, existingState: await getState(name, jobId) };
  };

  return {
    async enqueue(name, payload, enqueueOptions = {}) {
      const valid = parsePayload(name, payload);
      const result = await add(name, valid);
      const state = result.existingState;
      if (result.created || enqueueOptions.replaceFinished !== true) return result;
      if (state !== 'completed' && state !== 'failed') return result;
      await queueOf(name).remove(result.jobId);
      return add(name, valid);
    },
    getState,
    queueOf,
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
      queues.clear();
    },
  };
}
