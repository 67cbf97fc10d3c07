// The deploy handlers on real things, run by the worker's real BullMQ Workers (startWorker,
// in-process): a test database (Postgres), Redis on 127.0.0.1:6379 under a unique queue prefix,
// git repositories in temp dirs, the build child, and an engine node child trusting a fresh admin
// key. One app goes through: upload → live; a compatible upload → live, the first superseded; a git
// push → live; a broken schema → failed at once with the VSQL frame; an incompatible change →
// failed, nothing activated; duplicate jobs for a live deployment → no-ops; a rollback → live.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@stoa/client';
import { createAdminClient, generateAdminKeyPair, unwrap, type AdminPrivateJwk } from '@stoa/client/admin';
import { createTestDatabase, type TestDatabase } from '@stoa/db/testing';
import { deployLogKeys, readDeployLog, type JobName } from '@stoa/jobs';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRepo, makeTempDir } from '../src/build/git-repo.test-util.js';
import { parseEnv, resolveAdminKey } from '../src/env.js';
import {
  ADD_COLOR,
  ADD_NOTES,
  BREAK_SYNTAX,
  RETYPE_TITLE,
  createTodoApp,
  createUploadDeployment,
  waitForDeployment,
  workerEnvVars,
  writeTodoVariant,
  zipProject,
  type TestApp,
} from '../src/handlers/deploy-fixture.test-util.js';
import { startEngine, type EngineChild } from '../src/rollout/engine-child.test-util.js';
import { startWorker, type RunningWorker } from '../src/start-worker.js';

const temp = makeTempDir('handlers');
const workDir = join(temp.dir, 'work');
const logLines: string[] = [];
let database: TestDatabase;
let engine: EngineChild;
let key: AdminPrivateJwk;
let worker: RunningWorker;
let redis: Redis;
let app: TestApp;
const deploymentIds: string[] = [];

beforeAll(async () => {
  mkdirSync(workDir);
  const pair = await generateAdminKeyPair();
  key = pair.privateJwk;
  [database, engine] = await Promise.all([createTestDatabase(), startEngine(pair.publicJwk)]);
  const parsed = parseEnv(
    workerEnvVars({
      databaseUrl: database.databaseUrl,
      redisUrl: 'redis://127.0.0.1:6379',
      adminKey: key,
      engineUrls: [engine.url],
      extra: {
        STOA_QUEUE_PREFIX: `stoa-test-${crypto.randomUUID().slice(0, 8)}`,
        STOA_BUILD_CACHE_DIR: join(temp.dir, 'asc-cache'),
      },
    }),
  );
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const env = { ...parsed.env, adminKey: resolveAdminKey(parsed.env.adminPrivateKey) };
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
  worker = await startWorker({ env, logger, tempRoot: workDir });
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  app = await createTodoApp(database.db, 'acme');
}, 180_000);

afterAll(async () => {
  await worker?.queue.queueOf('deploy.build').obliterate({ force: true });
  await worker?.queue.queueOf('deploy.rollout').obliterate({ force: true });
  await worker?.close(10_000);
  for (const id of deploymentIds) await redis?.del(deployLogKeys(id).list, deployLogKeys(id).seq);
  redis?.disconnect();
  await Promise.all([engine?.stop(), database?.drop()]);
  temp.cleanup();
});

/** Creates the upload deployment of a todo variant and enqueues its build (as the portal does). */
async function deployUpload(label: string, edits: (readonly [string, string])[] = []): Promise<string> {
  const dir = writeTodoVariant(join(temp.dir, label), edits);
  const deployment = await createUploadDeployment(database.db, app, zipProject(dir));
  deploymentIds.push(deployment.id);
  await worker.queue.enqueue('deploy.build', { deploymentId: deployment.id });
  return deployment.id;
}

/** The job once BullMQ has finished it (the deployment row is written before the job ends). */
async function finishedJob(name: JobName, id: string): Promise<Job> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    // State first: the job read after it is finished carries its return value or failure.
    const state = await worker.queue.getState(name, id);
    const job = state === 'completed' || state === 'failed' ? await worker.queue.queueOf(name).getJob(id) : undefined;
    if (job !== undefined) return job;
    if (Date.now() > deadline) throw new Error(`${name} ${id} still ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function activeBundle(): Promise<string | undefined> {
  const admin = createAdminClient({ baseUrl: engine.url, key, subject: 'test:check' });
  return unwrap(await admin.getApp(app.slug, 'todo')).active?.bundle;
}

describe('deploy.build and deploy.rollout', () => {
  let first: string;
  let second: string;
  let fromGit: string;

  it('takes an uploaded project live: bundle stored, diff recorded, log streamed, archive and temp dirs dropped', async () => {
    first = await deployUpload('v1');
    const live = await waitForDeployment(database.db, first);
    expect(live).toMatchObject({ status: 'live', attempts: 1, error: null, schemaDiff: '', sourceUploadId: null });
    expect(live.startedAt).toBeInstanceOf(Date);
    expect(live.finishedAt!.getTime()).toBeGreaterThanOrEqual(live.startedAt!.getTime());
    const bundle = await database.db.bundle.findUniqueOrThrow({ where: { id: live.bundleId! } });
    expect(bundle).toMatchObject({ orgId: app.orgId, size: bundle.bytes.length });
    expect(bundle.manifest).toMatchObject({ name: 'todo', partitions: 4 });
    expect(await database.db.sourceUpload.count()).toBe(0);
    expect(await activeBundle()).toBe(bundle.id);
    const spec = unwrap(await createClient({ baseUrl: engine.url }).app(app.slug, 'todo').openapi());
    expect(JSON.stringify(spec)).toContain('todo.Task');

    const events = await readDeployLog(redis, first);
    const stages = events.flatMap((e) => (e.type === 'progress' && e.pct === undefined ? [e.stage] : []));
    expect(stages).toEqual(['unpack', 'build', 'done']);
    const texts = events.flatMap((e) => (e.type === 'line' ? [e.text] : []));
    expect(texts[0]).toBe(`build of ${app.slug}/todo started (attempt 1)`);
    expect(texts).toContainEqual(
      expect.stringMatching(new RegExp(`^bundle ${bundle.id} built in \\d+ ms and stored$`)),
    );
    expect(texts.some((t) => /todo live as version 1/.test(t))).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'end', status: 'live' });
    // The BullMQ jobs carry the same lines in their own logs.
    const jobLog = await worker.queue.queueOf('deploy.build').getJobLogs(first);
    expect(jobLog.logs).toContain(`build of ${app.slug}/todo started (attempt 1)`);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('takes a compatible change live with its schema diff and supersedes the previous deployment', async () => {
    second = await deployUpload('v2', [ADD_NOTES]);
    const live = await waitForDeployment(database.db, second);
    expect(live.status).toBe('live');
    expect(live.schemaDiff).toMatch(/^\+ field todo\.Task\.Notes/m);
    expect((await database.db.deployment.findUniqueOrThrow({ where: { id: first } })).status).toBe('superseded');
    expect(await activeBundle()).toBe(live.bundleId);
  });

  it('builds a pushed commit from a bare repository and takes it live', async () => {
    const repo = createTestRepo(join(temp.dir, 'repo'));
    const sha = repo.commitFolder(writeTodoVariant(join(temp.dir, 'v3'), [ADD_NOTES, ADD_COLOR]), {
      exclude: ['.stoa'],
    });
    await database.db.gitSource.create({
      data: { appId: app.appId, repoUrl: repo.url, branch: 'main', webhookSecret: 'test-secret' },
    });
    const deployment = await database.db.deployment.create({
      data: { appId: app.appId, source: 'git', commitSha: sha, branch: 'main', deliveryId: crypto.randomUUID() },
    });
    fromGit = deployment.id;
    deploymentIds.push(fromGit);
    await worker.queue.enqueue('deploy.build', { deploymentId: fromGit });
    const live = await waitForDeployment(database.db, fromGit);
    expect(live.status).toBe('live');
    expect(live.schemaDiff).toMatch(/^\+ field todo\.Task\.Color/m);
    const texts = (await readDeployLog(redis, fromGit)).flatMap((e) => (e.type === 'line' ? [e.text] : []));
    expect(texts).toContain(`fetching ${repo.url} at ${sha}`);
    expect((await database.db.deployment.findUniqueOrThrow({ where: { id: second } })).status).toBe('superseded');
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('fails a broken schema at once, with the VSQL position and frame, without retrying', async () => {
    const id = await deployUpload('broken', [BREAK_SYNTAX]);
    const failed = await waitForDeployment(database.db, id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/schema\/todo\.vsql:1[34]:\d+: /);
    expect(failed.error).toMatch(/\n> 1[34] \|/);
    expect(failed.bundleId).toBeNull();
    expect(failed.finishedAt).toBeInstanceOf(Date);
    const job = await finishedJob('deploy.build', id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/VSQL error/);
    const events = await readDeployLog(redis, id);
    expect(events.at(-1)).toMatchObject({ type: 'end', status: 'failed' });
    expect(await database.db.sourceUpload.count()).toBe(0);
    expect(readdirSync(workDir)).toEqual([]);
    expect((await database.db.deployment.findUniqueOrThrow({ where: { id: fromGit } })).status).toBe('live');
  });

  it('fails an incompatible change with its breaking changes, leaving the live version active', async () => {
    const liveBundle = await activeBundle();
    const id = await deployUpload('retyped', [ADD_NOTES, ADD_COLOR, RETYPE_TITLE]);
    const failed = await waitForDeployment(database.db, id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/^acme-[0-9a-f]{8}\/todo: /);
    expect(failed.error).toMatch(/\nbreaking changes:\n- .*Title/);
    expect(failed.bundleId).not.toBeNull();
    const job = await finishedJob('deploy.rollout', id);
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(await activeBundle()).toBe(liveBundle);
    expect((await database.db.deployment.findUniqueOrThrow({ where: { id: fromGit } })).status).toBe('live');
  });

  it('treats duplicate jobs for a live deployment as no-ops', async () => {
    const before = await database.db.deployment.findUniqueOrThrow({ where: { id: fromGit } });
    for (const name of ['deploy.build', 'deploy.rollout'] as const) {
      const queued = await worker.queue.enqueue(name, { deploymentId: fromGit }, { replaceFinished: true });
      expect(queued.created).toBe(true);
      const job = await finishedJob(name, fromGit);
      expect(await job.getState()).toBe('completed');
      expect(job.returnvalue).toEqual({ result: 'skipped', status: 'live', reason: 'the deployment is final' });
    }
    const after = await database.db.deployment.findUniqueOrThrow({ where: { id: fromGit } });
    expect(after).toEqual(before);
  });

  it('rolls back to a bundle without building it', async () => {
    const current = await database.db.deployment.findUniqueOrThrow({ where: { id: fromGit } });
    const rollback = await database.db.deployment.create({
      data: { appId: app.appId, source: 'rollback', bundleId: current.bundleId },
    });
    deploymentIds.push(rollback.id);
    await worker.queue.enqueue('deploy.build', { deploymentId: rollback.id });
    const live = await waitForDeployment(database.db, rollback.id);
    expect(live).toMatchObject({ status: 'live', bundleId: current.bundleId, schemaDiff: '' });
    expect((await database.db.deployment.findUniqueOrThrow({ where: { id: fromGit } })).status).toBe('superseded');
    const texts = (await readDeployLog(redis, rollback.id)).flatMap((e) => (e.type === 'line' ? [e.text] : []));
    expect(texts).toContain(`rollback to bundle ${current.bundleId}: nothing to build`);
    expect(texts.some((t) => /already live/.test(t))).toBe(true);
  });
});
