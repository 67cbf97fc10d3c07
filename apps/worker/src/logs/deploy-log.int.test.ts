// The deploy log on the real Redis at 127.0.0.1:6379: a late follower gets backlog + live events in
// order, the backlog is capped and expires, the BullMQ job log mirrors it, and a Redis outage
// never reaches the job.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { MAX_DEPLOY_LOG_TEXT, deployLogKeys, followDeployLog, readDeployLog, type DeployLogEvent } from '@stoa/jobs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployLog } from './deploy-log.js';

let redis: Redis;
const cleanup: string[] = [];

beforeAll(async () => {
  redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
});

afterAll(async () => {
  for (const pattern of cleanup) {
    const keys = await redis.keys(pattern);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

function newDeployment(): string {
  const id = randomUUID();
  cleanup.push(`${deployLogKeys(id).channel}*`);
  return id;
}

async function subscribers(channel: string): Promise<number> {
  const [, count] = (await redis.pubsub('NUMSUB', channel)) as [string, number];
  return count;
}

describe('createDeployLog', () => {
  it('publishes numbered events that a late follower receives after the backlog, in order, until the end', async () => {
    const id = newDeployment();
    let clock = 1_000;
    const log = createDeployLog(redis, id, { now: () => ++clock });
    log.progress('fetch', 0);
    log.line('fetching https://example.com/repo.git');
    log.progress('build', 12.6);
    await log.flush();

    const seen: DeployLogEvent[] = [];
    const follower = (async () => {
      for await (const event of followDeployLog(redis, id)) seen.push(event);
    })();
    while ((await subscribers(deployLogKeys(id).channel)) < 1) await new Promise((r) => setTimeout(r, 10));
    log.line('schema/app.vsql:3:5: Expected ")"', 'error');
    log.end('failed', 'the build failed');
    log.line('ignored by followers: after the end');
    await log.close();
    log.line('dropped: the log is closed');
    await follower;

    expect(seen).toEqual([
      { seq: 1, at: 1001, type: 'progress', stage: 'fetch', pct: 0 },
      { seq: 2, at: 1002, type: 'line', level: 'info', text: 'fetching https://example.com/repo.git' },
      { seq: 3, at: 1003, type: 'progress', stage: 'build', pct: 13 },
      { seq: 4, at: 1004, type: 'line', level: 'error', text: 'schema/app.vsql:3:5: Expected ")"' },
      { seq: 5, at: 1005, type: 'end', status: 'failed', text: 'the build failed' },
    ]);
    expect((await readDeployLog(redis, id)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('numbers events across writers (build and rollout on different workers), caps and expires the backlog', async () => {
    const id = newDeployment();
    const keys = deployLogKeys(id);
    const build = createDeployLog(redis, id, { maxEvents: 3, ttlSeconds: 60 });
    const rollout = createDeployLog(redis, id, { maxEvents: 3, ttlSeconds: 60 });
    build.line('a');
    rollout.line('b');
    build.line('c');
    rollout.line('d');
    await Promise.all([build.close(), rollout.close()]);
    const backlog = await readDeployLog(redis, id);
    expect(backlog.map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(new Set(backlog.map((e) => (e.type === 'line' ? e.text : ''))).size).toBe(3);
    const ttl = await redis.ttl(keys.list);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
    expect(await redis.ttl(keys.seq)).toBeGreaterThan(0);
  });

  it('cuts very long text and mirrors lines and progress into the BullMQ job', async () => {
    const id = newDeployment();
    const prefix = `stoa-worker-test-${randomUUID()}`;
    cleanup.push(`${prefix}*`);
    const queue = new Queue('deploy-build', { connection: redis, prefix });
    try {
      const job = await queue.add('deploy.build', { deploymentId: id }, { jobId: id });
      const log = createDeployLog(redis, id, { job });
      log.line('x'.repeat(MAX_DEPLOY_LOG_TEXT + 10));
      log.progress('upload', 50);
      log.end('live');
      await log.close();
      const [event] = await readDeployLog(redis, id);
      expect(event?.type === 'line' && event.text.endsWith('… (10 more characters)')).toBe(true);
      const { logs } = await queue.getJobLogs(id);
      expect(logs).toHaveLength(2);
      expect(logs[1]).toBe('[live]');
      expect((await queue.getJob(id))?.progress).toEqual({ stage: 'upload', pct: 50 });
    } finally {
      await queue.close();
    }
  });

  it('never throws into the job when Redis is down; errors go to onError', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const down = new Redis({
      port,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const errors: unknown[] = [];
    const log = createDeployLog(down, randomUUID(), { onError: (e) => errors.push(e) });
    log.line('lost');
    log.progress('build');
    await expect(log.close()).resolves.toBeUndefined();
    expect(errors).toHaveLength(2);
    down.disconnect();
  });
});
