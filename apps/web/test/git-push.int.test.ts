// The git path end to end, real processes and no mocks: a bare repository made with the git CLI
// holds a copy of examples/todo and is served by `git daemon` on 127.0.0.1; the app's git source
// is set through the real procedure (so the webhook secret is the one it returns once); push
// events shaped as GitHub sends them go through the real webhook route handler on a fresh
// database and the local Redis (the portal's own queue prefix); the deploy worker child consumes
// that prefix, fetches the pushed commit, builds it and rolls it out to an engine node child.
//   1. a bad signature → 401, no deployment row, no build job;
//   2. a signed push → 202 { deploymentId } → the deployment goes live and the engine serves the app;
//   3. the same delivery again → 200 duplicate, still one deployment and no second job;
//   4. a second push (a new field) → a second live deployment serving it, the first superseded.
// Why git:// and not file://: the portal only accepts network repository URLs (https, http, ssh,
// git), so a file: URL could not go through the procedure; the worker here allows git: on loopback.
import { createHmac, randomUUID } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@stoa/client';
import { generateAdminKeyPair } from '@stoa/client/admin';
import { deployLogKeys, readDeployLog } from '@stoa/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhookBody } from '../src/server/domain/webhooks';
import { handleGithubWebhook } from '../src/server/routes/github-webhook';
import { buildJobIds, openPortal, TEST_REDIS_URL, type Portal, type TestUser } from './fixtures';
import {
  childEnv,
  copyProject,
  REPO_ROOT,
  startEngineChild,
  startWorkerChild,
  type Child,
} from './setup-deploy-children';
import { findFreePort } from './setup-web';

const LIVE_TIMEOUT_MS = 120_000;
const NEW_FIELD = 'PushedField';

/** git's whole environment: no system or user config, so the developer's settings play no part. */
function gitEnv(home: string): NodeJS.ProcessEnv {
  // Typed loosely first: Next's ProcessEnv declares NODE_ENV, which git does not need.
  const env: Record<string, string> = {
    PATH: childEnv({}).PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    LANG: 'C',
    LC_ALL: 'C',
  };
  return env as NodeJS.ProcessEnv;
}

/** Runs git (a fixed identity) in `cwd`; throws on a non-zero exit; returns its trimmed stdout. */
function gitRunner(home: string): (cwd: string, ...args: string[]) => string {
  const env = gitEnv(home);
  const identity = ['-c', 'user.name=Stoa Test', '-c', 'user.email=git-push@example.test'];
  return (cwd, ...args) => {
    const run = spawnSync('git', [...identity, ...args], { cwd, env, encoding: 'utf8', timeout: 30_000 });
    if (run.status !== 0) throw new Error(`git ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
    return run.stdout.trim();
  };
}

interface ServedRepo {
  /** The clone URL the git source names (git://127.0.0.1:<port>/todo.git). */
  readonly url: string;
  /** A working clone with examples/todo at its root, pushing to the bare repository. */
  readonly workDir: string;
  /** Commits `files` (path → text) in the working clone, pushes `main`; returns the commit id. */
  commitAndPush(message: string, files?: Readonly<Record<string, string>>): string;
  output(): string;
  stop(): Promise<void>;
}

/** A bare repository in `root` served read-only by `git daemon` on 127.0.0.1, ready when this resolves. */
async function serveBareRepo(root: string): Promise<ServedRepo> {
  const home = join(root, 'home');
  const served = join(root, 'served');
  mkdirSync(home);
  mkdirSync(served);
  const git = gitRunner(home);
  const bare = join(served, 'todo.git');
  git(root, 'init', '-q', '--bare', '-b', 'main', bare);
  const project = copyProject(join(REPO_ROOT, 'examples/todo'));
  const workDir = project.dir;
  git(workDir, 'init', '-q', '-b', 'main');
  git(workDir, 'remote', 'add', 'origin', bare);

  const port = await findFreePort();
  const daemon: ChildProcess = spawn(
    'git',
    [
      'daemon',
      '--listen=127.0.0.1',
      `--port=${port}`,
      '--reuseaddr',
      '--export-all',
      '--informative-errors',
      `--base-path=${served}`,
      served,
    ],
    { cwd: root, env: gitEnv(home), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  daemon.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  daemon.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      daemon.kill('SIGTERM');
      await exited;
    }
    project.cleanup();
  };

  const url = `git://127.0.0.1:${port}/todo.git`;
  const repo: ServedRepo = {
    url,
    workDir,
    commitAndPush(message, files = {}) {
      for (const [path, text] of Object.entries(files)) writeFileSync(join(workDir, path), text);
      git(workDir, 'add', '-A');
      git(workDir, 'commit', '-q', '-m', message);
      git(workDir, 'push', '-q', 'origin', 'main');
      return git(workDir, 'rev-parse', 'HEAD');
    },
    output: () => output,
    stop,
  };
  // Ready once it answers: an empty repository lists no refs, but ls-remote exits 0.
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (daemon.exitCode !== null) {
      await stop();
      throw new Error(`git daemon exited:\n${output}`);
    }
    const probe = spawnSync('git', ['ls-remote', url], { env: gitEnv(home), encoding: 'utf8', timeout: 5_000 });
    if (probe.status === 0) return repo;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`git daemon not answering on ${url}:\n${output}\n${probe.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let portal: Portal | undefined;
let temp: string | undefined;
let repo: ServedRepo | undefined;
let engine: (Child & { url: string }) | undefined;
let worker: Child | undefined;
let owner: TestUser;
let org: { id: string; slug: string };
let appId: string;
let secret: string;
const deploymentIds: string[] = [];

/** A push event as GitHub's webhook sends it (the fields the route reads, and the usual others). */
function pushEvent(after: string, before: string, message: string): string {
  const now = new Date().toISOString();
  const person = { name: 'Stoa Test', email: 'git-push@example.test', username: 'stoa-test' };
  return JSON.stringify({
    ref: 'refs/heads/main',
    before,
    after,
    created: /^0+$/.test(before),
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://github.com/${org.slug}/todo/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: [{ id: after, distinct: true, message, timestamp: now, author: person, committer: person }],
    head_commit: { id: after, distinct: true, message, timestamp: now, author: person, committer: person },
    repository: {
      id: 1,
      name: 'todo',
      full_name: `${org.slug}/todo`,
      private: false,
      owner: { login: org.slug, type: 'Organization' },
      html_url: `https://github.com/${org.slug}/todo`,
      clone_url: repo?.url,
      default_branch: 'main',
      master_branch: 'main',
    },
    pusher: { name: 'stoa-test', email: 'git-push@example.test' },
    sender: { login: 'stoa-test', type: 'User' },
  });
}

/** The delivery's request: `signedBody` (the body itself unless a test tampers) signed with `signingSecret`. */
function delivery(body: string, deliveryId: string, signingSecret: string, signedBody = body): Request {
  return new Request(`http://portal.test/api/webhooks/github/${appId}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/stoa-test',
      'x-github-event': 'push',
      'x-github-delivery': deliveryId,
      'x-github-hook-id': '1',
      'x-github-hook-installation-target-type': 'repository',
      'x-github-hook-installation-target-id': '1',
      // GitHub still sends the SHA-1 signature beside the SHA-256 one the route checks.
      'x-hub-signature': `sha1=${createHmac('sha1', signingSecret).update(signedBody).digest('hex')}`,
      'x-hub-signature-256': signWebhookBody(signingSecret, signedBody),
    },
    body,
  });
}

function deliver(req: Request): Promise<Response> {
  return handleGithubWebhook(req, { appId }, { db: portal!.db, jobs: portal!.queue });
}

/** Polls the deployment until live; failed or a timeout throws with its error and the worker's output. */
async function waitUntilLive(deploymentId: string) {
  const deadline = Date.now() + LIVE_TIMEOUT_MS;
  for (;;) {
    const row = await portal!.db.deployment.findUniqueOrThrow({ where: { id: deploymentId } });
    if (row.status === 'live') return row;
    if (row.status === 'failed' || row.status === 'superseded' || Date.now() > deadline) {
      throw new Error(
        `deployment ${deploymentId} is ${row.status}${row.status === 'failed' ? '' : ` after ${LIVE_TIMEOUT_MS} ms`}: ` +
          `${row.error ?? ''}\nworker:\n${worker?.output().slice(-6000) ?? ''}\n` +
          `engine:\n${engine?.output().slice(-2000) ?? ''}\ngit daemon:\n${repo?.output().slice(-1000) ?? ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function deploymentsOfApp() {
  return portal!.db.deployment.findMany({ where: { appId }, orderBy: { createdAt: 'asc' } });
}

beforeAll(async () => {
  portal = await openPortal();
  temp = mkdtempSync(join(tmpdir(), 'stoa-web-git-push-'));
  repo = await serveBareRepo(temp);
  const pair = await generateAdminKeyPair();
  engine = await startEngineChild(pair.publicJwk);
  // The worker registers STOA_ENGINE_URLS as EngineNode rows at start, and rolls out to those.
  worker = startWorkerChild(
    {
      databaseUrl: portal.databaseUrl,
      redisUrl: TEST_REDIS_URL,
      queuePrefix: portal.queuePrefix,
      adminPrivateKey: pair.privateJwk,
      engineUrls: [engine.url],
    },
    // Production allows https on public addresses only; this repository is git:// on loopback.
    { STOA_GIT_ALLOWED_SCHEMES: 'git', STOA_GIT_ALLOW_LOOPBACK: 'true' },
  );
  owner = await portal.createUser('git-push');
  org = await portal.createOrg(owner, 'gitpush');
  appId = (await portal.as(owner).app.create({ orgSlug: org.slug, name: 'todo' })).id;
  const set = await portal
    .as(owner)
    .gitSource.set({ orgSlug: org.slug, appName: 'todo', repoUrl: repo.url, branch: 'main' });
  expect(set.gitSource.webhookPath).toBe(`/api/webhooks/github/${appId}`);
  secret = set.webhookSecret ?? '';
  expect(secret).toMatch(/^[0-9a-f]{64}$/);

  const deadline = Date.now() + 90_000;
  while (!worker.output().includes('"msg":"worker started"')) {
    if (Date.now() > deadline) throw new Error(`the worker did not start:\n${worker.output().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(await portal.db.engineNode.count({ where: { url: engine.url } })).toBe(1);
}, 240_000);

afterAll(async () => {
  await worker?.stop();
  await engine?.stop();
  await repo?.stop();
  // The worker's deploy logs (7-day TTL) are not under the queue prefix: removed here.
  const keys = deploymentIds.flatMap((id) => {
    const log = deployLogKeys(id);
    return [log.list, log.seq];
  });
  if (portal !== undefined && keys.length > 0) await portal.redis.del(...keys);
  await portal?.drop();
  if (temp !== undefined) rmSync(temp, { recursive: true, force: true });
}, 60_000);

describe('git push → webhook → worker → engine', () => {
  let first: { sha: string; deliveryId: string; body: string; deploymentId: string } | undefined;

  it('a bad signature → 401, no deployment row, no build job', async () => {
    const sha = repo!.commitAndPush('todo: first version');
    const body = pushEvent(sha, '0'.repeat(40), 'todo: first version');
    const deliveryId = randomUUID();
    const wrong = await deliver(delivery(body, deliveryId, `${secret}x`));
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    // Signed with the right secret, but for another body.
    const other = pushEvent(sha, '0'.repeat(40), 'other');
    expect((await deliver(delivery(body, deliveryId, secret, other))).status).toBe(401);
    expect(await deploymentsOfApp()).toEqual([]);
    expect(await buildJobIds(portal!)).toEqual([]);
    first = { sha, deliveryId, body, deploymentId: '' };
  });

  it('a signed push → 202, then live from the pushed commit, and the engine serves the app', async () => {
    const { sha, deliveryId, body } = first!;
    const started = performance.now();
    const res = await deliver(delivery(body, deliveryId, secret));
    expect(res.status).toBe(202);
    const { deploymentId } = (await res.json()) as { deploymentId: string };
    deploymentIds.push(deploymentId);
    first = { ...first!, deploymentId };
    expect(await buildJobIds(portal!)).toEqual([deploymentId]);

    const row = await waitUntilLive(deploymentId);
    console.info(`git push: webhook → live in ${Math.round(performance.now() - started)} ms`);
    expect(row).toMatchObject({ appId, source: 'git', commitSha: sha, branch: 'main', deliveryId, createdById: null });
    expect(row.bundleId).toMatch(/^[0-9a-f]{64}$/);
    expect(await portal!.db.bundle.count({ where: { id: row.bundleId!, orgId: org.id } })).toBe(1);
    // The worker fetched that commit from the served repository (its deploy log, as the portal shows it).
    const log = JSON.stringify(await readDeployLog(portal!.redis, deploymentId));
    expect(log).toContain(`fetching ${repo!.url} at ${sha}`);
    expect(log).toContain(`checked out ${sha}`);
    const served = await createClient({ baseUrl: engine!.url, timeoutMs: 10_000 }).app(org.slug, 'todo').openapi();
    expect(served.ok).toBe(true);
    expect(JSON.stringify(served)).toContain('todo.Task');
  }, 180_000);

  it('the same delivery again → 200 duplicate, still one deployment, no second job', async () => {
    const { deliveryId, body, deploymentId } = first!;
    expect(deploymentId).not.toBe('');
    const jobsBefore = await buildJobIds(portal!);
    const again = await deliver(delivery(body, deliveryId, secret));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ deploymentId, duplicate: true });
    expect(await portal!.db.deployment.count({ where: { deliveryId } })).toBe(1);
    expect((await deploymentsOfApp()).map((d) => d.id)).toEqual([deploymentId]);
    expect(await buildJobIds(portal!)).toEqual(jobsBefore);
    expect((await portal!.db.deployment.findUniqueOrThrow({ where: { id: deploymentId } })).status).toBe('live');
  });

  it('a second push (a new field) → a second live deployment serving it; the first superseded', async () => {
    const schemaPath = join(repo!.workDir, 'schema/todo.vsql');
    const schema = readFileSync(schemaPath, 'utf8');
    const changed = schema.replace(
      'Title varchar(200) NOT NULL,',
      `Title varchar(200) NOT NULL,\n        ${NEW_FIELD} varchar(20),`,
    );
    expect(changed).not.toBe(schema);
    const sha = repo!.commitAndPush(`todo: add ${NEW_FIELD}`, { 'schema/todo.vsql': changed });
    const deliveryId = randomUUID();
    const started = performance.now();
    const res = await deliver(delivery(pushEvent(sha, first!.sha, `todo: add ${NEW_FIELD}`), deliveryId, secret));
    expect(res.status).toBe(202);
    const { deploymentId } = (await res.json()) as { deploymentId: string };
    deploymentIds.push(deploymentId);

    const row = await waitUntilLive(deploymentId);
    console.info(`git push (second): webhook → live in ${Math.round(performance.now() - started)} ms`);
    expect(row).toMatchObject({ source: 'git', commitSha: sha, deliveryId });
    expect(row.bundleId).not.toBe(null);
    expect(row.bundleId).not.toBe(
      (await portal!.db.deployment.findUniqueOrThrow({ where: { id: first!.deploymentId } })).bundleId,
    );
    const served = await createClient({ baseUrl: engine!.url, timeoutMs: 10_000 }).app(org.slug, 'todo').openapi();
    expect(served.ok).toBe(true);
    expect(JSON.stringify(served)).toContain(NEW_FIELD);
    const rows = await deploymentsOfApp();
    expect(rows.map((d) => [d.id, d.status])).toEqual([
      [first!.deploymentId, 'superseded'],
      [deploymentId, 'live'],
    ]);
  }, 180_000);
});
