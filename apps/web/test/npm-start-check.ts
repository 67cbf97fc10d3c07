// `npm start` as a user runs it (scripts/start.mjs): engine + worker + portal from one command on
// a fresh database, then the way the banner says to use it — the printed curl line against the
// engine, the seeded admin signing in to the portal, an upload deployed by the worker to the
// engine, which serves it — and Ctrl-C (SIGINT) stopping all of it.
//
// Runs inside the browser test file, after its portal build: `scripts/start.mjs` builds the portal
// only when its sources are newer than the build, and two builds of one `.next` must never overlap.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@stoa/client';
import { createTestDatabase } from '@stoa/db/testing';
import { createJobQueue, JOB_NAMES } from '@stoa/jobs';
import { Redis } from 'ioredis';
import type { Browser } from 'playwright-core';
import { expect } from 'vitest';
import { createOrgWithApp, shoot, signIn, uploadArchive, waitForLogResult } from './portal-page';
import { childEnv, REPO_ROOT, zipProjectCopy } from './setup-deploy-children';
import { findFreePort } from './setup-web';

const REDIS_URL = 'redis://127.0.0.1:6379';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(2_000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

export async function checkNpmStart(browser: Browser): Promise<void> {
  const database = await createTestDatabase();
  const [enginePort, webPort] = [await findFreePort(), await findFreePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'stoa-npm-start-'));
  const prefix = `stoa-npm-start-${randomBytes(4).toString('hex')}`;
  // Its own process group, so a failed test can stop start.mjs and everything it started.
  const start = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv({
      STOA_ENGINE_PORT: String(enginePort),
      STOA_WEB_PORT: String(webPort),
      STOA_DATA_DIR: dataDir,
      DATABASE_URL: database.databaseUrl,
      REDIS_URL,
      STOA_QUEUE_PREFIX: prefix,
      NEXTAUTH_SECRET: randomBytes(32).toString('base64url'),
    }),
  });
  let output = '';
  start.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  start.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => start.once('exit', (code) => resolve(code)));
  const context = await browser.newContext({ baseURL: `http://127.0.0.1:${webPort}` });
  try {
    // 1. Up: the banner's portal line.
    const deadline = Date.now() + 120_000;
    while (!/\[start\] portal: http:\/\/127\.0\.0\.1:\d+/.test(output)) {
      if (start.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(output).not.toContain('building the portal');

    // 2. The engine's curl line works as printed (token + demo workspace of local/todo).
    const token = /export TOKEN=(\S+)/.exec(output)?.[1];
    const curlUrl = new RegExp(
      `-X POST (http://127\\.0\\.0\\.1:${enginePort}/api/v2/apps/local/todo/workspaces/\\d+/docs/todo\\.Task)`,
    ).exec(output)?.[1];
    expect(token, output).toBeDefined();
    expect(curlUrl, output).toBeDefined();
    const created = await fetch(curlUrl!, {
      method: 'POST',
      headers: { authorization: `Bearer ${token!}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Title: 'Try Stoa', Done: false, Priority: 1 }),
    });
    expect(created.status).toBe(201);

    // 3. The seeded admin signs in (password printed once), deploys the todo example through the
    //    portal; the worker builds and rolls it out to the engine npm start runs.
    const password = /portal admin created: admin@stoa\.local \/ (\S+)/.exec(output)?.[1];
    expect(password, output).toBeDefined();
    const page = await context.newPage();
    await signIn(page, 'admin@stoa.local', password!);
    const slug = `start-${randomBytes(3).toString('hex')}`;
    await createOrgWithApp(page, { name: 'Start Org', slug }, 'todo');
    await uploadArchive(page, 'todo.zip', zipProjectCopy(join(REPO_ROOT, 'examples/todo'), 'todo'));
    let row: { id: string } | null = null;
    for (let i = 0; i < 100 && row === null; i++) {
      row = await database.db.deployment.findFirst({ where: { app: { org: { slug } } }, select: { id: true } });
      if (row === null) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (row === null) throw new Error(`the upload made no deployment:\n${output.slice(-4000)}`);
    expect(await waitForLogResult(page, row.id, () => `npm start:\n${output.slice(-4000)}`)).toBe('live');
    await shoot(page, '16-npm-start-deploy-live');
    const served = await createClient({ baseUrl: `http://127.0.0.1:${enginePort}`, timeoutMs: 10_000 })
      .app(slug, 'todo')
      .openapi();
    expect(served.ok).toBe(true);

    // 4. Ctrl-C stops everything: start.mjs exits (it kills a child still running after 20 s),
    //    nothing listens any more.
    process.kill(-start.pid!, 'SIGINT');
    const stopped = await Promise.race([
      exited.then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 45_000)),
    ]);
    if (!stopped) throw new Error(`npm start did not exit 45 s after Ctrl-C:\n${output.slice(-4000)}`);
    // A child that needed the kill is worth knowing about, but Ctrl-C did its job.
    const killed = output.split('\n').filter((line) => line.includes('did not stop within'));
    if (killed.length > 0) console.warn(`npm start: ${killed.join('; ')}`);
    expect(await reachable(enginePort)).toBe(false);
    expect(await reachable(webPort)).toBe(false);
  } finally {
    await context.close();
    if (start.exitCode === null && start.signalCode === null) {
      process.kill(-start.pid!, 'SIGKILL');
      await exited;
    }
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const queue = createJobQueue(redis, { prefix });
    for (const name of JOB_NAMES) await queue.queueOf(name).obliterate({ force: true });
    await queue.close();
    redis.disconnect();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
