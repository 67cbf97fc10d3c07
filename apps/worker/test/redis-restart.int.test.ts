// Resilience 2: Redis loses the queue. The worker (startWorker, in-process) runs on a dedicated
// `redis-server` without persistence; two deployments are enqueued, one build at a time. While the
// first builds, that Redis is SIGKILLed and a fresh, empty one started on the same port: the
// waiting job of the second deployment is gone. Postgres still says "queued", so the reconciler
// (its "missing job" rule) enqueues it again, and both deployments end live on the engine.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@stoa/client';
import { generateAdminKeyPair, unwrap, type AdminPrivateJwk } from '@stoa/client/admin';
import { createTestDatabase, type TestDatabase } from '@stoa/db/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../src/build/git-repo.test-util.js';
import { parseEnv, resolveAdminKey } from '../src/env.js';
import {
  TODO_DIR,
  createTodoApp,
  createUploadDeployment,
  waitForDeployment,
  workerEnvVars,
  zipProject,
} from '../src/handlers/deploy-fixture.test-util.js';
import { freePort, startEngine, type EngineChild } from '../src/rollout/engine-child.test-util.js';
import { startWorker, type RunningWorker } from '../src/start-worker.js';

const REDIS_SERVER = execFileSync('which', ['redis-server'], { encoding: 'utf8' }).trim();
const temp = makeTempDir('redis-restart');
const workDir = join(temp.dir, 'work');
let key: AdminPrivateJwk;
let database: TestDatabase;
let engine: EngineChild;
let worker: RunningWorker | undefined;
let redisServer: ChildProcess | undefined;
let port: number;
const logLines: string[] = [];

/** A redis-server without persistence on `port`; resolves once it accepts connections. */
function startRedis(): Promise<ChildProcess> {
  const dir = join(temp.dir, `redis-${Date.now()}`);
  mkdirSync(dir);
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${output}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${output}`));
    });
  });
}

async function stopRedis(signal: NodeJS.Signals): Promise<void> {
  const child = redisServer;
  redisServer = undefined;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  mkdirSync(workDir);
  port = await freePort();
  const pair = await generateAdminKeyPair();
  key = pair.privateJwk;
  [database, engine, redisServer] = await Promise.all([
    createTestDatabase(),
    startEngine(pair.publicJwk),
    startRedis(),
  ]);
}, 180_000);

afterAll(async () => {
  await worker?.close(10_000);
  await stopRedis('SIGKILL');
  await Promise.all([engine?.stop(), database?.drop()]);
  temp.cleanup();
});

describe('Redis restarted empty during a deploy', () => {
  it('the reconciler re-enqueues the lost job from Postgres and every deployment ends live', async () => {
    const parsed = parseEnv(
      workerEnvVars({
        databaseUrl: database.databaseUrl,
        redisUrl: `redis://127.0.0.1:${port}`,
        adminKey: key,
        engineUrls: [engine.url],
        extra: {
          STOA_BUILD_CONCURRENCY: '1',
          STOA_BUILD_CACHE_DIR: join(temp.dir, 'asc-cache'),
          STOA_RECONCILE_INTERVAL_MS: '500',
          STOA_RECONCILE_MISSING_MS: '1000',
        },
      }),
    );
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
    const requeued: string[] = [];
    worker = await startWorker({
      env: { ...parsed.env, adminKey: resolveAdminKey(parsed.env.adminPrivateKey) },
      logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
      tempRoot: workDir,
      onReconcile: (report) => requeued.push(...report.requeued),
    });
    const archive = zipProject(TODO_DIR);
    const apps = [await createTodoApp(database.db, 'alpha'), await createTodoApp(database.db, 'beta')];
    const ids: string[] = [];
    for (const app of apps) {
      const deployment = await createUploadDeployment(database.db, app, archive);
      ids.push(deployment.id);
      await worker.queue.enqueue('deploy.build', { deploymentId: deployment.id });
    }

    // One build runs, the other job waits in Redis.
    const running = await until('a build to start', async () => {
      const rows = await database.db.deployment.findMany({ where: { id: { in: ids } } });
      return rows.find((row) => row.status === 'building');
    });
    const lost = ids.find((id) => id !== running.id)!;
    expect(await worker.queue.getState('deploy.build', lost)).toBe('waiting');

    await stopRedis('SIGKILL');
    redisServer = await startRedis();
    expect((await database.db.deployment.findUniqueOrThrow({ where: { id: lost } })).status).toBe('queued');

    for (const id of ids) {
      const done = await waitForDeployment(database.db, id, ['live', 'failed'], 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\nworker log:\n${logLines.join('')}`);
      });
      expect(done).toMatchObject({ status: 'live', error: null });
    }
    expect(requeued).toContain(`deploy.build ${lost}`);
    // The job of the lost deployment exists only because the reconciler made it on the new Redis.
    await until('its job to complete', async () =>
      (await worker?.queue.getState('deploy.build', lost)) === 'completed' ? true : undefined,
    );
    for (const app of apps) {
      const spec = unwrap(await createClient({ baseUrl: engine.url }).app(app.slug, 'todo').openapi());
      expect(JSON.stringify(spec)).toContain('todo.Task');
    }
  });
});
