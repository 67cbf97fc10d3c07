// Browser smoke test of the built portal: `next build --webpack`, `next start` on a free port
// against a fresh migrated database and the local Redis (a unique queue prefix), Debian's Chromium
// driven by playwright-core.
// 1. sign up → sign in → create org → create app (listed, with its page) → invite → the invitee joins.
// 2. deploys: upload a zip (progress, a queued row, its job in Redis) → the log terminal (xterm)
//    shows events written to Redis as the worker would, the stage, then `end` → the row turns live
//    with its schema diff; rollback; the git source (secret once, webhook URL) and a signed push to
//    the real webhook route; a portal access token deploying through /api/v1; the admin area's
//    engine nodes with a health check.
// 3. a real deploy: the deploy worker and an engine node as child processes; examples/todo zipped
//    and uploaded in the browser; the xterm terminal follows the build and rollout to "live", and
//    the engine serves the app; then `stoa deploy --portal` with a portal access token (a new
//    field, followed to live by the CLI); a broken schema uploaded in the browser fails with
//    schema/todo.vsql:line:col in the terminal; a rollback in the browser to the first version.
// Screenshots: apps/web/.test-results/screenshots/.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createClient } from '@stoa/client';
import { generateAdminKeyPair } from '@stoa/client/admin';
import { createTestDatabase, type TestDatabase } from '@stoa/db/testing';
import { createJobQueue, deployLogKeys, JOB_NAMES, type DeployLogEventInput, type JobQueue } from '@stoa/jobs';
import { zipSync } from 'fflate';
import { Redis } from 'ioredis';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhookBody } from '../src/server/domain/webhooks';
import {
  copyProject,
  REPO_ROOT,
  runStoaCli,
  startEngineChild,
  startWorkerChild,
  zipProjectCopy,
  type Child,
} from './setup-deploy-children';
import { checkNpmStart } from './npm-start-check';
import {
  CHROMIUM_ARGS,
  createOrgWithApp,
  shoot,
  signUpAndIn,
  terminalText,
  uploadArchive,
  waitForLogResult,
} from './portal-page';
import { buildPortal, findFreePort, startPortal, type RunningPortal } from './setup-web';

const REDIS_URL = 'redis://127.0.0.1:6379';
const QUEUE_PREFIX = `stoa-web-e2e-${randomBytes(4).toString('hex')}`;

describe('portal in a browser', () => {
  let database: TestDatabase | undefined;
  let portal: RunningPortal | undefined;
  let browser: Browser | undefined;
  let redis: Redis | undefined;
  let queue: JobQueue | undefined;
  const logKeys: string[] = [];
  let buildMs = 0;

  beforeAll(async () => {
    // Both at once; allSettled so a failed build still leaves `database` set for afterAll to drop.
    const [db, build] = await Promise.allSettled([createTestDatabase(), buildPortal()]);
    if (db.status === 'rejected') throw db.reason;
    database = db.value;
    if (build.status === 'rejected') throw build.reason;
    buildMs = build.value.ms;
    const port = await findFreePort();
    portal = await startPortal(port, {
      DATABASE_URL: db.value.databaseUrl,
      // next-auth builds its callback URLs from this; it must be the served origin, port included.
      NEXTAUTH_URL: `http://127.0.0.1:${port}`,
      NEXTAUTH_SECRET: randomBytes(32).toString('base64url'),
      REDIS_URL,
      STOA_QUEUE_PREFIX: QUEUE_PREFIX,
    });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    queue = createJobQueue(redis, { prefix: QUEUE_PREFIX });
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.stop();
    if (queue !== undefined) {
      for (const name of JOB_NAMES) await queue.queueOf(name).obliterate({ force: true });
      await queue.close();
    }
    if (logKeys.length > 0) await redis?.del(...logKeys);
    redis?.disconnect();
    await database?.drop();
  });

  it('sends signed-out visitors to the sign-in page', async () => {
    const res = await fetch(`${portal!.origin}/orgs/anything`, { redirect: 'manual' });
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.status).toBeLessThan(400);
    expect(res.headers.get('location')).toContain('/signin?callbackUrl=%2Forgs%2Fanything');
  });

  it('sign up → sign in → create org → create app → invite a member', async () => {
    expect(buildMs).toBeGreaterThan(0);
    const context = await browser!.newContext({ baseURL: portal!.origin, viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const email = `e2e-${randomBytes(4).toString('hex')}@example.test`;
    await signUpAndIn(page, { name: 'Erin Example', email, password: 'e2e-password-123' }, true);
    await shoot(page, '03-no-org-yet');

    const slug = `e2e-${randomBytes(3).toString('hex')}`;
    await page.getByTestId('org-name-input').fill('E2E Org');
    await page.getByTestId('org-slug-input').fill(slug);
    await page.getByTestId('create-org-submit').click();
    await page.getByTestId('apps-empty').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/orgs/${slug}`);
    expect(await page.getByTestId('my-role').textContent()).toBe('owner');
    expect(await page.getByTestId('org-switcher').inputValue()).toBe(slug);

    await page.getByTestId('app-name-input').fill('todo');
    await page.getByTestId('create-app-submit').click();
    await page.getByTestId('app-row-todo').waitFor();
    expect(await page.getByTestId('apps-list').locator('li').count()).toBe(1);
    expect(await page.getByTestId('app-row-todo').textContent()).toContain(`${slug}/todo`);
    await shoot(page, '04-app-created');

    await page.getByTestId('app-row-todo').getByRole('link', { name: 'todo' }).click();
    await page.getByTestId('app-page').waitFor();
    expect(await page.getByTestId('app-engine-path').textContent()).toBe(`${slug}/todo`);
    await page.getByTestId('deployments-empty').waitFor();
    await shoot(page, '05-app-page');

    // Invite a developer: the token is shown once, the invitation is listed.
    const inviteeEmail = `e2e-dev-${randomBytes(4).toString('hex')}@example.test`;
    await page.getByTestId('nav-members').click();
    await page.getByTestId(`member-row-${email}`).waitFor();
    await page.getByTestId('invite-email').fill(inviteeEmail);
    await page.getByTestId('invite-role').selectOption('developer');
    await page.getByTestId('invite-submit').click();
    const token = (await page.getByTestId('invite-token').textContent()) ?? '';
    expect(token).toMatch(/^stoa_inv_/);
    expect(await page.getByTestId('invite-link').textContent()).toBe(`${portal!.origin}/invite#${token}`);
    await page.getByTestId(`invitation-row-${inviteeEmail}`).waitFor();
    await shoot(page, '06-members-invited');

    // The invitee follows the link after signing up and lands in the org as a developer.
    const inviteeContext = await browser!.newContext({
      baseURL: portal!.origin,
      viewport: { width: 1200, height: 800 },
    });
    const invitee = await inviteeContext.newPage();
    await signUpAndIn(invitee, { name: 'Dev Eloper', email: inviteeEmail, password: 'e2e-password-456' });
    await invitee.goto(`/invite#${token}`);
    await expect.poll(() => invitee.getByTestId('invitation-token').inputValue()).toBe(token);
    await invitee.getByTestId('accept-invitation-submit').click();
    await invitee.getByTestId('apps-list').waitFor();
    expect(new URL(invitee.url()).pathname).toBe(`/orgs/${slug}`);
    expect(await invitee.getByTestId('my-role').textContent()).toBe('developer');
    await shoot(invitee, '07-invitee-joined');

    // The browsers did what the database says.
    const org = await database!.db.org.findUniqueOrThrow({
      where: { slug },
      include: { apps: true, memberships: { include: { user: true }, orderBy: { createdAt: 'asc' } } },
    });
    expect(org.apps.map((a) => a.name)).toEqual(['todo']);
    expect(org.memberships.map((m) => [m.user.email, m.role])).toEqual([
      [email, 'owner'],
      [inviteeEmail, 'developer'],
    ]);
    await inviteeContext.close();
    await context.close();
  });
  /** Writes a deploy log event the way the worker's writer does (INCR, RPUSH, PUBLISH). */
  async function writeLogEvent(deploymentId: string, event: DeployLogEventInput): Promise<void> {
    const keys = deployLogKeys(deploymentId);
    if (!logKeys.includes(keys.list)) logKeys.push(keys.list, keys.seq);
    const seq = await redis!.incr(keys.seq);
    const json = JSON.stringify({ ...event, seq });
    await redis!.multi().rpush(keys.list, json).publish(keys.channel, json).exec();
  }

  it('deploys: upload with progress, live log in the terminal, rollback, git webhook, tokens, nodes', async () => {
    const db = database!.db;
    const origin = portal!.origin;
    const context = await browser!.newContext({ baseURL: origin, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const email = `e2e-deploy-${randomBytes(4).toString('hex')}@example.test`;
    await signUpAndIn(page, { name: 'Dee Ployer', email, password: 'e2e-password-789' });
    const slug = `e2e-d-${randomBytes(3).toString('hex')}`;
    await createOrgWithApp(page, { name: 'Deploy Org', slug }, 'todo');
    await page.getByTestId('deployments-empty').waitFor();
    expect(await page.getByTestId('git-source-empty').isVisible()).toBe(true);

    // Upload: a .zip through the form, with progress, answered by a queued row and its log panel.
    const zip = Buffer.from(zipSync({ 'todo/stoa.json': new TextEncoder().encode('{"name":"todo"}') }));
    await uploadArchive(page, 'todo.zip', zip);
    await page.getByTestId('deployments-table').waitFor();
    const deployment = await db.deployment.findFirstOrThrow({
      where: { app: { name: 'todo', org: { slug } } },
      include: { sourceUpload: true },
    });
    expect(deployment).toMatchObject({ source: 'upload', status: 'queued' });
    expect(Buffer.from(deployment.sourceUpload?.bytes ?? new Uint8Array()).equals(zip)).toBe(true);
    expect((await queue!.queueOf('deploy.build').getJob(deployment.id))?.data).toEqual({ deploymentId: deployment.id });
    await page.getByTestId(`deployment-row-${deployment.id}`).waitFor();
    expect(await page.getByTestId(`deployment-status-${deployment.id}`).innerText()).toContain('queued');
    expect(await page.getByTestId(`deployment-row-${deployment.id}`).innerText()).toContain('Dee Ployer');
    await expect.poll(() => page.getByTestId('deploy-log-state').innerText(), { timeout: 8_000 }).toContain('Live');
    expect(await page.getByTestId('deploy-running').isVisible()).toBe(true);

    // The worker's events, through Redis → the SSE route → xterm.
    await writeLogEvent(deployment.id, { at: Date.now(), type: 'progress', stage: 'build', pct: 40 });
    await writeLogEvent(deployment.id, { at: Date.now(), type: 'line', level: 'info', text: 'compiling schema.vsql' });
    await expect.poll(() => terminalText(page), { timeout: 10_000 }).toContain('compiling schema.vsql');
    expect(await page.getByTestId('deploy-stage').getAttribute('data-stage')).toBe('build');
    expect(await page.getByTestId('deploy-stage').innerText()).toContain('build 40%');
    await db.deployment.update({
      where: { id: deployment.id },
      data: { status: 'building', startedAt: new Date() },
    });
    await expect
      .poll(() => page.getByTestId(`deployment-status-${deployment.id}`).innerText(), { timeout: 8_000 })
      .toContain('building');
    await shoot(page, '08-deploy-running');
    const bundle = createHash('sha256').update('bundle-1').digest('hex');
    await db.bundle.create({
      data: { id: bundle, orgId: deployment.sourceUpload!.orgId, bytes: new Uint8Array(8), size: 8, manifest: {} },
    });
    await db.deployment.update({
      where: { id: deployment.id },
      data: { status: 'live', bundleId: bundle, schemaDiff: '+ table todo.Task', finishedAt: new Date() },
    });
    await writeLogEvent(deployment.id, { at: Date.now(), type: 'end', status: 'live', text: `${slug}/todo is live` });
    await expect.poll(() => page.getByTestId('deploy-log-result').innerText(), { timeout: 8_000 }).toBe('live');
    await expect.poll(() => terminalText(page), { timeout: 8_000 }).toContain(`${slug}/todo is live`);
    await expect
      .poll(() => page.getByTestId(`deployment-status-${deployment.id}`).innerText(), { timeout: 8_000 })
      .toContain('live');
    expect(await page.getByTestId('deploy-running').count()).toBe(0);
    await page.getByTestId(`diff-toggle-${deployment.id}`).click();
    expect(await page.getByTestId(`diff-${deployment.id}`).innerText()).toBe('+ table todo.Task');
    await shoot(page, '09-deploy-live');

    // Rollback: an earlier version (superseded) offers it; the new row is a queued rollback.
    const older = await db.deployment.create({
      data: {
        appId: deployment.appId,
        status: 'superseded',
        source: 'upload',
        bundleId: bundle,
        createdAt: new Date(Date.now() - 3_600_000),
      },
    });
    await page.reload();
    await page.getByTestId(`rollback-${older.id}`).click();
    await expect.poll(() => db.deployment.count({ where: { appId: deployment.appId, source: 'rollback' } })).toBe(1);
    const rollback = await db.deployment.findFirstOrThrow({ where: { appId: deployment.appId, source: 'rollback' } });
    expect(rollback).toMatchObject({ status: 'queued', bundleId: bundle });
    await page.getByTestId(`deployment-row-${rollback.id}`).waitFor();
    expect(await queue!.queueOf('deploy.build').getJob(rollback.id)).toBeDefined();

    // Git source: the secret once, the webhook URL; a signed push through the real route deploys.
    await page.getByTestId('git-repo-url').fill('https://github.com/acme/todo.git');
    await page.getByTestId('git-source-submit').click();
    const secret = (await page.getByTestId('webhook-secret').innerText()).trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const webhookUrl = (await page.getByTestId('webhook-url').innerText()).trim();
    expect(webhookUrl).toBe(`${origin}/api/webhooks/github/${deployment.appId}`);
    await shoot(page, '10-git-source');
    const push = JSON.stringify({ ref: 'refs/heads/main', after: 'f'.repeat(40) });
    const hook = (signature: string, delivery: string) =>
      fetch(webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': delivery,
          'x-hub-signature-256': signature,
        },
        body: push,
      });
    const delivery = crypto.randomUUID();
    expect((await hook(signWebhookBody('wrong', push), delivery)).status).toBe(401);
    const accepted = await hook(signWebhookBody(secret, push), delivery);
    expect(accepted.status).toBe(202);
    const { deploymentId: gitId } = (await accepted.json()) as { deploymentId: string };
    expect((await hook(signWebhookBody(secret, push), delivery)).status).toBe(200);
    expect(await db.deployment.count({ where: { deliveryId: delivery } })).toBe(1);
    await page.getByTestId(`deployment-row-${gitId}`).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId(`deployment-row-${gitId}`).innerText()).toContain('git push');

    // The SSE route needs a session; the upload route too.
    expect((await fetch(`${origin}/api/deployments/${deployment.id}/logs`)).status).toBe(401);
    const anonymousUpload = await fetch(`${origin}/api/orgs/${slug}/apps/todo/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/zip' },
      body: zip,
    });
    expect(anonymousUpload.status).toBe(401);

    // A portal access token, shown once, deploys through /api/v1.
    await page.getByTestId('nav-tokens').click();
    await page.getByTestId('tokens-empty').waitFor();
    await page.getByTestId('token-name').fill('ci');
    await page.getByTestId('create-token-submit').click();
    const token = (await page.getByTestId('token-value').innerText()).trim();
    expect(token).toMatch(/^stoa_pat_/);
    await page.getByTestId('token-row-ci').waitFor();
    await shoot(page, '11-token');
    const viaToken = await fetch(`${origin}/api/v1/orgs/${slug}/apps/todo/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/zip', authorization: `Bearer ${token}` },
      body: zip,
    });
    expect(viaToken.status).toBe(201);
    const { deploymentId: cliId } = (await viaToken.json()) as { deploymentId: string };
    expect((await db.deployment.findUniqueOrThrow({ where: { id: cliId } })).source).toBe('cli');

    // The admin area: forbidden until the user is a platform admin; then nodes with a health check.
    await page.goto('/admin/nodes');
    await page.getByTestId('admin-forbidden').waitFor();
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    await db.user.update({ where: { id: user.id }, data: { isAdmin: true } });
    const fakeNode: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ready"}');
    });
    await new Promise<void>((resolve) => fakeNode.listen(0, '127.0.0.1', resolve));
    try {
      await page.reload();
      await page.getByTestId('nodes-empty').waitFor();
      await page.getByTestId('node-url').fill(`http://127.0.0.1:${(fakeNode.address() as AddressInfo).port}`);
      await page.getByTestId('node-name').fill('edge-1');
      await page.getByTestId('register-node-submit').click();
      await page.getByTestId('node-row-edge-1').waitFor();
      expect(await page.getByTestId('node-status-edge-1').innerText()).toBe('unknown');
      await page.getByTestId('check-node-edge-1').click();
      await expect.poll(() => page.getByTestId('node-status-edge-1').innerText(), { timeout: 8_000 }).toBe('healthy');
      await shoot(page, '12-admin-nodes');
      // Removed again: the next test's worker rolls out to every registered node.
      await page.getByTestId('remove-node-edge-1').click();
      await page.getByTestId('nodes-empty').waitFor();
      expect(await db.engineNode.count()).toBe(0);
    } finally {
      await new Promise((resolve) => fakeNode.close(resolve));
    }
    await context.close();
    // No worker ran here: close this test's deployments and drop their jobs, so the next test's
    // worker (and its reconciler) does not pick them up (the git one would try to reach github.com).
    await db.deployment.updateMany({
      where: { status: { in: ['queued', 'building', 'built', 'rolling_out'] } },
      data: { status: 'failed', error: 'closed by the test' },
    });
    for (const name of JOB_NAMES) await queue!.queueOf(name).obliterate({ force: true });
  });
  /** The id of the app's deployment that is not one of `known`, once it exists. */
  async function waitForNewDeployment(slug: string, known: readonly string[]): Promise<string> {
    let id: string | undefined;
    await expect
      .poll(
        async () => {
          const row = await database!.db.deployment.findFirst({
            where: { app: { org: { slug } }, id: { notIn: [...known] } },
            select: { id: true },
          });
          id = row?.id;
          return id;
        },
        { timeout: 10_000 },
      )
      .toBeDefined();
    return id!;
  }

  it('a real deploy: worker + engine children, examples/todo uploaded, the terminal reaches live', async () => {
    const db = database!.db;
    const pair = await generateAdminKeyPair();
    const children: Child[] = [];
    const context = await browser!.newContext({ baseURL: portal!.origin, viewport: { width: 1280, height: 1000 } });
    try {
      const engine = await startEngineChild(pair.publicJwk);
      children.push(engine);
      const worker = startWorkerChild({
        databaseUrl: database!.databaseUrl,
        redisUrl: REDIS_URL,
        queuePrefix: QUEUE_PREFIX,
        adminPrivateKey: pair.privateJwk,
        engineUrls: [engine.url],
      });
      children.push(worker);

      const page = await context.newPage();
      await signUpAndIn(page, {
        name: 'Rea Ldeploy',
        email: `e2e-real-${randomBytes(4).toString('hex')}@example.test`,
        password: 'pw-real-1234',
      });
      const slug = `e2e-r-${randomBytes(3).toString('hex')}`;
      await createOrgWithApp(page, { name: 'Real Org', slug }, 'todo');
      await page.getByTestId('deployments-empty').waitFor();

      const zip = zipProjectCopy(join(REPO_ROOT, 'examples/todo'), 'todo');
      await page
        .getByTestId('upload-file')
        .setInputFiles({ name: 'todo.zip', mimeType: 'application/zip', buffer: zip });
      const started = Date.now();
      await page.getByTestId('upload-submit').click();
      await page.getByTestId('deployments-table').waitFor();
      // Until the terminal shows the end; a failed deployment or a timeout says why (row + worker log).
      const deadline = Date.now() + 90_000;
      while ((await page.getByTestId('deploy-log-result').count()) === 0) {
        const row = await db.deployment.findFirst({ where: { app: { org: { slug } } } });
        if (row?.status === 'failed' || Date.now() > deadline) {
          throw new Error(
            `deployment ${row?.status ?? 'missing'}: ${row?.error ?? ''}\nterminal:\n${await terminalText(page)}\n` +
              `worker:\n${worker.output().slice(-4000)}\nengine:\n${engine.output().slice(-2000)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(await page.getByTestId('deploy-log-result').innerText()).toBe('live');
      const ms = Date.now() - started;
      const text = await terminalText(page);
      expect(text).toContain(`${slug}/todo is live`);
      expect(text).toMatch(/» (unpack|build)/);
      expect(await page.getByTestId('deploy-stage').getAttribute('data-stage')).toBe('done');
      const deployment = await db.deployment.findFirstOrThrow({ where: { app: { org: { slug } } } });
      expect(deployment).toMatchObject({ status: 'live', source: 'upload' });
      expect(deployment.bundleId).toMatch(/^[0-9a-f]{64}$/);
      await expect
        .poll(() => page.getByTestId(`deployment-status-${deployment.id}`).innerText(), { timeout: 8_000 })
        .toContain('live');
      await shoot(page, '13-real-deploy-live');
      // The engine serves it now: the app's OpenAPI document answers.
      const served = await createClient({ baseUrl: engine.url, timeoutMs: 10_000 }).app(slug, 'todo').openapi();
      expect(served.ok).toBe(true);
      console.info(`real deploy: upload → live in ${ms} ms`);

      // `stoa deploy` through the portal with a portal access token: a compatible change (a new
      // field), built by the worker, followed by the CLI to live.
      await page.getByTestId('nav-tokens').click();
      await page.getByTestId('token-name').fill('laptop');
      await page.getByTestId('create-token-submit').click();
      const token = (await page.getByTestId('token-value').innerText()).trim();
      const withMood = copyProject(join(REPO_ROOT, 'examples/todo'), (path, text) =>
        path === 'schema/todo.vsql'
          ? text.replace('Assignee varchar(100),', 'Assignee varchar(100),\n        Mood varchar(20),')
          : text,
      );
      let cli: Awaited<ReturnType<typeof runStoaCli>>;
      try {
        cli = await runStoaCli(['deploy', withMood.dir, '--portal', portal!.origin, '--org', slug], {
          STOA_PORTAL_TOKEN: token,
        });
      } finally {
        withMood.cleanup();
      }
      expect(
        cli.code,
        `stoa deploy failed:\n${cli.stdout}\n${cli.stderr}\nworker:\n${worker.output().slice(-3000)}`,
      ).toBe(0);
      expect(cli.stdout).toContain(`live ${slug}/todo: deployment`);
      expect(cli.stdout).toMatch(/» build/);
      expect(cli.stdout + cli.stderr).not.toContain(token);
      const viaCli = await db.deployment.findFirstOrThrow({ where: { app: { org: { slug } }, source: 'cli' } });
      expect(viaCli).toMatchObject({ status: 'live' });
      expect(viaCli.schemaDiff).toContain('todo.Task.Mood');
      const client = createClient({ baseUrl: engine.url, timeoutMs: 10_000 }).app(slug, 'todo');
      expect(JSON.stringify(await client.openapi())).toContain('Mood');

      // A broken schema, uploaded in the browser: the build fails and the terminal shows where.
      await page.getByTestId('nav-apps').click();
      await page.getByTestId('app-row-todo').getByRole('link', { name: 'todo' }).click();
      await page.getByTestId('deployments-table').waitFor();
      const broken = zipProjectCopy(join(REPO_ROOT, 'examples/todo'), 'todo', (path, text) =>
        path === 'schema/todo.vsql' ? text.replace('Priority int32 NOT NULL,', 'Priority int32 NOT NULL') : text,
      );
      await uploadArchive(page, 'broken.zip', broken);
      const failed = await waitForNewDeployment(slug, [deployment.id, viaCli.id]);
      expect(await waitForLogResult(page, failed, () => `worker:\n${worker.output().slice(-4000)}`)).toBe('failed');
      await expect.poll(() => terminalText(page), { timeout: 8_000 }).toMatch(/schema\/todo\.vsql:16:\d+/);
      expect(await db.deployment.findUniqueOrThrow({ where: { id: failed } })).toMatchObject({ status: 'failed' });
      await expect
        .poll(() => page.getByTestId(`deployment-status-${failed}`).innerText(), { timeout: 8_000 })
        .toContain('failed');
      await shoot(page, '14-broken-schema');
      // The live version did not change.
      expect(JSON.stringify(await client.openapi())).toContain('Mood');

      // Rollback in the browser to the first version (superseded by the CLI's): it drops the field
      // the CLI's version added, so the worker re-activates it with the engine's rollback.
      await page.getByTestId(`rollback-${deployment.id}`).click();
      const rolledBack = await waitForNewDeployment(slug, [deployment.id, viaCli.id, failed]);
      expect(await waitForLogResult(page, rolledBack, () => `worker:\n${worker.output().slice(-4000)}`)).toBe('live');
      // xterm renders on animation frames (the result badge can come first) and wraps at 110 columns.
      await expect
        .poll(async () => (await terminalText(page)).replace(/\n/g, ''), { timeout: 8_000 })
        .toContain('rolling back (data kept, hidden)');
      expect(await db.deployment.findUniqueOrThrow({ where: { id: rolledBack } })).toMatchObject({
        status: 'live',
        source: 'rollback',
        bundleId: deployment.bundleId,
      });
      expect(await db.deployment.findUniqueOrThrow({ where: { id: viaCli.id } })).toMatchObject({
        status: 'superseded',
      });
      const afterRollback = JSON.stringify(await client.openapi());
      expect(afterRollback).toContain('todo.Task');
      expect(afterRollback).not.toContain('Mood');
      await shoot(page, '15-rolled-back');
    } finally {
      await context.close();
      for (const child of children.reverse()) await child.stop();
    }
  }, 300_000);

  it('npm start: engine + worker + portal from one command, used as its banner says, stopped by Ctrl-C', async () => {
    await checkNpmStart(browser!);
  }, 360_000);
});
