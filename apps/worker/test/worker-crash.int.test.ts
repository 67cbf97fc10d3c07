// Resilience 1: the worker process (`node --import tsx apps/worker/src/main.ts`, as deployed) is
// SIGKILLed while its build child runs. The orphaned build child notices and exits; the job's lock
// lapses; a second worker process finds the stalled job (BullMQ's stalled-job check, made fast by
// STOA_JOB_LOCK_MS / STOA_JOB_STALLED_INTERVAL_MS), builds again (attempt 2) and takes the
// deployment live. The reconciler is held off (long intervals) so the recovery is BullMQ's own.
// Then SIGTERM stops the second worker cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateAdminKeyPair, type AdminPrivateJwk } from '@stoa/client/admin';
import { createTestDatabase, type TestDatabase } from '@stoa/db/testing';
import { createJobQueue, deployLogKeys, readDeployLog, type JobQueue } from '@stoa/jobs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, makeTempDir } from '../src/build/git-repo.test-util.js';
import {
  TODO_DIR,
  createTodoApp,
  createUploadDeployment,
  waitForDeployment,
  workerEnvVars,
  zipProject,
} from '../src/handlers/deploy-fixture.test-util.js';
import { startEngine, type EngineChild } from '../src/rollout/engine-child.test-util.js';
import { inheritedChildEnv } from './setup-child-env.js';

const temp = makeTempDir('crash');
/** The workers' TMPDIR: their job directories and build children live under it. */
const workerTmp = join(temp.dir, 'tmp');
const prefix = `stoa-test-${crypto.randomUUID().slice(0, 8)}`;
let database: TestDatabase;
let engine: EngineChild;
let key: AdminPrivateJwk;
let redis: Redis;
let queue: JobQueue;
const children: ChildProcess[] = [];
let deploymentId: string | undefined;

interface WorkerChild {
  readonly child: ChildProcess;
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWorkerChild(env: Record<string, string>): WorkerChild {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/worker/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...inheritedChildEnv(), ...env, TMPDIR: workerTmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Pids whose command line mentions `text` (the build child names its project dir under workerTmp). */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** result.json files of build children (their out dirs are `stoa-build-*` under the TMPDIR). */
function buildResults(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => path.endsWith('result.json'));
}

beforeAll(async () => {
  mkdirSync(workerTmp);
  const pair = await generateAdminKeyPair();
  key = pair.privateJwk;
  [database, engine] = await Promise.all([createTestDatabase(), startEngine(pair.publicJwk)]);
  redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
  queue = createJobQueue(redis, { prefix });
}, 180_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await queue?.queueOf('deploy.build').obliterate({ force: true });
  await queue?.queueOf('deploy.rollout').obliterate({ force: true });
  await queue?.close();
  if (deploymentId !== undefined) await redis?.del(deployLogKeys(deploymentId).list, deployLogKeys(deploymentId).seq);
  redis?.disconnect();
  await Promise.all([engine?.stop(), database?.drop()]);
  temp.cleanup();
});

describe('a worker killed mid-build', () => {
  it('leaves a stalled job that the next worker retries to a live deployment', async () => {
    const env = workerEnvVars({
      databaseUrl: database.databaseUrl,
      redisUrl: 'redis://127.0.0.1:6379',
      adminKey: key,
      engineUrls: [engine.url],
      extra: {
        STOA_QUEUE_PREFIX: prefix,
        STOA_JOB_LOCK_MS: '2000',
        STOA_JOB_STALLED_INTERVAL_MS: '1000',
        STOA_RECONCILE_INTERVAL_MS: '3600000',
        STOA_RECONCILE_MISSING_MS: '3600000',
        STOA_SHUTDOWN_TIMEOUT_MS: '10000',
      },
    });
    const app = await createTodoApp(database.db, 'crash');
    const deployment = await createUploadDeployment(database.db, app, zipProject(TODO_DIR));
    deploymentId = deployment.id;

    const first = startWorkerChild(env);
    await until('the first worker', () => (first.output().includes('"worker started"') ? true : undefined));
    // The worker seeded the node list from STOA_ENGINE_URLS.
    expect(await database.db.engineNode.findMany({ select: { url: true } })).toEqual([{ url: engine.url }]);
    await queue.enqueue('deploy.build', { deploymentId: deployment.id });

    // Kill it once the build child runs (its first line reached the deploy log).
    await until('the build child', async () => {
      const events = await readDeployLog(redis, deployment.id);
      return events.some((e) => e.type === 'line' && e.text.startsWith('building the bundle')) ? true : undefined;
    });
    expect(processesMentioning(workerTmp).length).toBeGreaterThan(0);
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect((await database.db.deployment.findUniqueOrThrow({ where: { id: deployment.id } })).status).toBe('building');
    // The orphaned build child leaves by itself instead of building for nobody.
    await until(
      'the orphaned build child to exit',
      () => (processesMentioning(workerTmp).length === 0 ? true : undefined),
      3_000,
    );
    // It left before finishing (a cold compile takes seconds): no build result was written.
    expect(buildResults(workerTmp)).toEqual([]);

    const second = startWorkerChild(env);
    const live = await waitForDeployment(database.db, deployment.id, ['live', 'failed'], 60_000).catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\nsecond worker:\n${second.output()}`);
      },
    );
    expect(live).toMatchObject({ status: 'live', attempts: 2, error: null });
    // BullMQ marks the build job completed just after the handler returned.
    const job = await until('the build job to complete', async () => {
      const state = await queue.getState('deploy.build', deployment.id);
      return state === 'completed' ? queue.queueOf('deploy.build').getJob(deployment.id) : undefined;
    });
    expect(job?.stalledCounter).toBe(1);
    const texts = (await readDeployLog(redis, deployment.id)).flatMap((e) => (e.type === 'line' ? [e.text] : []));
    expect(texts).toContain(`build of ${app.slug}/todo started (attempt 1)`);
    expect(texts).toContain(`build of ${app.slug}/todo started (attempt 2)`);

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.output()).toMatch(/"msg":"stopped"/);
  });
});
