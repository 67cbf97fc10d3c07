// The queue and the deploy log follower on the real Redis at 127.0.0.1:6379, each test under its
// own key prefix (deleted afterwards).
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JOBS } from './catalog.js';
import { deployLogKeys, followDeployLog, readDeployLog, type DeployLogEvent } from './deploy-log.js';
import { createJobQueue, type JobQueue } from './queue.js';

let redis: Redis;
const opened: JobQueue[] = [];
const prefixes: string[] = [];

beforeAll(async () => {
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((q) => q.close()));
  for (const prefix of prefixes.splice(0)) await deleteKeys(`${prefix}*`);
});

afterAll(async () => {
  await redis.quit();
});

async function deleteKeys(pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

function newQueue(now?: () => number): { queue: JobQueue; prefix: string } {
  const prefix = `stoa-jobs-test-${randomUUID()}`;
  prefixes.push(prefix);
  const queue = createJobQueue(redis, { prefix, ...(now === undefined ? {} : { now }) });
  opened.push(queue);
  return { queue, prefix };
}

describe('createJobQueue on Redis', () => {
  it('adds a job once per deployment id, with the catalog attempts and backoff', async () => {
    const { queue, prefix } = newQueue();
    const deploymentId = randomUUID();
    const first = await queue.enqueue('deploy.build', { deploymentId });
    expect(first).toEqual({ jobId: deploymentId, created: true });
    const again = await queue.enqueue('deploy.build', { deploymentId });
    expect(again).toEqual({ jobId: deploymentId, created: false, existingState: 'waiting' });

    const bull = queue.queueOf('deploy.build');
    expect(await bull.getJobCounts('waiting')).toEqual({ waiting: 1 });
    const job = await bull.getJob(deploymentId);
    expect(job?.name).toBe('deploy.build');
    expect(job?.data).toEqual({ deploymentId });
    expect(job?.opts.attempts).toBe(JOBS['deploy.build'].attempts);
    expect(job?.opts.backoff).toEqual({ type: 'exponential', delay: JOBS['deploy.build'].backoff.delay });
    // The keys really live under the test's prefix, in the catalog's queue.
    expect(await redis.exists(`${prefix}:${JOBS['deploy.build'].queue}:${deploymentId}`)).toBe(1);
  });

  it('keeps the build and the rollout of one deployment apart (same id, separate queues)', async () => {
    const { queue } = newQueue();
    const deploymentId = randomUUID();
    expect((await queue.enqueue('deploy.build', { deploymentId })).created).toBe(true);
    expect((await queue.enqueue('deploy.rollout', { deploymentId })).created).toBe(true);
    expect(await queue.getState('deploy.rollout', deploymentId)).toBe('waiting');
    expect(await queue.getState('deploy.rollout', randomUUID())).toBe('unknown');
  });

  it('validates the payload before touching Redis', async () => {
    const { queue } = newQueue();
    await expect(queue.enqueue('deploy.build', { deploymentId: 'x' })).rejects.toThrow(/invalid payload: deploymentId/);
    expect(await queue.queueOf('deploy.build').count()).toBe(0);
  });

  it('replaces a finished job only when asked (the reconciler after lost database writes)', async () => {
    let clock = 1_700_000_000_000;
    const { queue, prefix } = newQueue(() => ++clock);
    const deploymentId = randomUUID();
    await queue.enqueue('deploy.rollout', { deploymentId });
    // A real BullMQ worker consumes it and fails it permanently.
    const failed = new Promise<void>((resolve) => {
      const worker = new Worker(JOBS['deploy.rollout'].queue, () => Promise.reject(new UnrecoverableError('refused')), {
        connection: { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null },
        prefix,
      });
      worker.on('failed', () => void worker.close().then(resolve));
    });
    await failed;
    expect(await queue.getState('deploy.rollout', deploymentId)).toBe('failed');

    const plain = await queue.enqueue('deploy.rollout', { deploymentId });
    expect(plain).toEqual({ jobId: deploymentId, created: false, existingState: 'failed' });
    const replaced = await queue.enqueue('deploy.rollout', { deploymentId }, { replaceFinished: true });
    expect(replaced).toEqual({ jobId: deploymentId, created: true });
    expect(await queue.getState('deploy.rollout', deploymentId)).toBe('waiting');
    // A job that is still waiting is never replaced.
    const waiting = await queue.enqueue('deploy.rollout', { deploymentId }, { replaceFinished: true });
    expect(waiting.created).toBe(false);
  });
});

describe('followDeployLog', () => {
  it('yields the backlog then live events in seq order, without duplicates, until the end event', async () => {
    const deploymentId = randomUUID();
    const keys = deployLogKeys(deploymentId);
    prefixes.push(keys.channel);
    const event = (seq: number, text: string): string =>
      JSON.stringify({ seq, at: 1, type: 'line', level: 'info', text });
    await redis.rpush(keys.list, event(1, 'one'), event(2, 'two'), 'garbage');

    const seen: DeployLogEvent[] = [];
    const done = (async () => {
      for await (const e of followDeployLog(redis, deploymentId)) seen.push(e);
    })();
    // Wait for the follower's subscription, then publish a duplicate of the backlog and new events.
    const deadline = Date.now() + 5_000;
    while (((await redis.pubsub('NUMSUB', keys.channel)) as [string, number])[1] < 1) {
      if (Date.now() > deadline) throw new Error('the follower did not subscribe');
      await new Promise((r) => setTimeout(r, 10));
    }
    await redis.publish(keys.channel, event(2, 'two'));
    await redis.publish(keys.channel, event(3, 'three'));
    await redis.publish(keys.channel, JSON.stringify({ seq: 4, at: 1, type: 'end', status: 'live' }));
    await redis.publish(keys.channel, event(5, 'after the end'));
    await done;
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(seen.at(-1)).toMatchObject({ type: 'end', status: 'live' });
    expect((await readDeployLog(redis, deploymentId, 1)).map((e) => e.seq)).toEqual([2]);
  });

  it('resumes after a given seq and stops when the signal aborts', async () => {
    const deploymentId = randomUUID();
    const keys = deployLogKeys(deploymentId);
    prefixes.push(keys.channel);
    await redis.rpush(
      keys.list,
      ...[1, 2, 3].map((seq) => JSON.stringify({ seq, at: 1, type: 'progress', stage: 'build', pct: seq * 10 })),
    );
    const controller = new AbortController();
    const seen: number[] = [];
    for await (const e of followDeployLog(redis, deploymentId, { afterSeq: 1, signal: controller.signal })) {
      seen.push(e.seq);
      if (e.seq === 3) setTimeout(() => controller.abort(), 20);
    }
    expect(seen).toEqual([2, 3]);
  });
});
