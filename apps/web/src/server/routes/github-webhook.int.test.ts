// The push webhook on a real Postgres and a real Redis queue (unique prefix): a good signature →
// one deployment and one job; a bad or missing one → 401 with nothing written or enqueued; a
// redelivery (also two at once) → the first deployment, no second row, no second job; other
// branches, deletions and other events ignored; another app's secret → 401.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJobIds, openPortal, type Portal, type TestUser } from '../../../test/fixtures';
import { signWebhookBody } from '../domain/webhooks';
import { handleGithubWebhook } from './github-webhook';

let portal: Portal;
let owner: TestUser;
let org: { id: string; slug: string };
let appId: string;
let secret: string;
let otherAppId: string;
let otherSecret: string;

const SHA = 'c0ffee'.padEnd(40, '0');

function pushBody(ref = 'refs/heads/main', after = SHA, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ref, before: '0'.repeat(40), after, repository: { full_name: 'acme/todo' }, ...extra });
}

function hookRequest(
  body: string,
  headers: { signature?: string | null; event?: string; delivery?: string } = {},
): Request {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': headers.event ?? 'push',
    'x-github-delivery': headers.delivery ?? randomUUID(),
  };
  if (headers.signature !== null) h['x-hub-signature-256'] = headers.signature ?? signWebhookBody(secret, body);
  return new Request('http://portal.test/api/webhooks/github/x', { method: 'POST', headers: h, body });
}

function deliver(req: Request, id = appId): Promise<Response> {
  return handleGithubWebhook(req, { appId: id }, { db: portal.db, jobs: portal.queue });
}

async function state() {
  const deployments = await portal.db.deployment.findMany({
    where: { app: { orgId: org.id } },
    orderBy: { id: 'asc' },
  });
  return { deployments: deployments.map((d) => d.id), jobs: await buildJobIds(portal) };
}

beforeAll(async () => {
  portal = await openPortal();
  owner = await portal.createUser('hook-owner');
  org = await portal.createOrg(owner, 'hooks');
  appId = (await portal.as(owner).app.create({ orgSlug: org.slug, name: 'todo' })).id;
  otherAppId = (await portal.as(owner).app.create({ orgSlug: org.slug, name: 'other' })).id;
  const set = await portal
    .as(owner)
    .gitSource.set({ orgSlug: org.slug, appName: 'todo', repoUrl: 'https://github.com/acme/todo.git', branch: 'main' });
  secret = set.webhookSecret ?? '';
  const other = await portal.as(owner).gitSource.set({
    orgSlug: org.slug,
    appName: 'other',
    repoUrl: 'https://github.com/acme/other.git',
    branch: 'main',
  });
  otherSecret = other.webhookSecret ?? '';
});

afterAll(async () => {
  await portal?.drop();
});

describe('POST /api/webhooks/github/{appId}', () => {
  it('a signed push of the branch → 202, one queued git deployment and one job', async () => {
    const delivery = randomUUID();
    const res = await deliver(hookRequest(pushBody(), { delivery }));
    expect(res.status).toBe(202);
    const { deploymentId } = (await res.json()) as { deploymentId: string };
    const row = await portal.db.deployment.findUniqueOrThrow({ where: { id: deploymentId } });
    expect(row).toMatchObject({
      appId,
      source: 'git',
      status: 'queued',
      commitSha: SHA,
      branch: 'main',
      deliveryId: delivery,
      createdById: null,
    });
    const job = await portal.queue.queueOf('deploy.build').getJob(deploymentId);
    expect(job?.data).toEqual({ deploymentId });
    const audit = await portal.db.auditLog.findFirstOrThrow({ where: { target: `deployment:${deploymentId}` } });
    expect(audit).toMatchObject({ action: 'deployment.create', actorId: null, orgId: org.id });

    // Redelivered (GitHub's button), then twice at once: always the first deployment.
    const again = await deliver(hookRequest(pushBody(), { delivery }));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ deploymentId, duplicate: true });
    const before = await state();
    const racing = await Promise.all([1, 2].map(() => deliver(hookRequest(pushBody(), { delivery }))));
    for (const r of racing) expect(((await r.json()) as { deploymentId: string }).deploymentId).toBe(deploymentId);
    expect(await state()).toEqual(before);
    expect(await portal.db.deployment.count({ where: { deliveryId: delivery } })).toBe(1);
  });

  it('the same new delivery twice at once → one deployment, one job (the unique delivery id decides)', async () => {
    for (let round = 0; round < 3; round++) {
      const before = await state();
      const delivery = randomUUID();
      const responses = await Promise.all([1, 2].map(() => deliver(hookRequest(pushBody(), { delivery }))));
      expect(responses.map((r) => r.status).sort()).toEqual([200, 202]);
      const ids = await Promise.all(
        responses.map(async (r) => ((await r.json()) as { deploymentId: string }).deploymentId),
      );
      expect(ids[0]).toBe(ids[1]);
      const after = await state();
      expect(after.deployments.length).toBe(before.deployments.length + 1);
      expect(after.jobs.length).toBe(before.jobs.length + 1);
    }
  });

  it('two new deliveries at once → two deployments (only the same delivery is deduplicated)', async () => {
    const before = await state();
    const responses = await Promise.all([1, 2].map(() => deliver(hookRequest(pushBody()))));
    expect(responses.map((r) => r.status)).toEqual([202, 202]);
    const after = await state();
    expect(after.deployments.length).toBe(before.deployments.length + 2);
    expect(after.jobs.length).toBe(before.jobs.length + 2);
  });

  it('a bad or missing signature → 401, nothing written, nothing enqueued', async () => {
    const before = await state();
    const body = pushBody();
    const attempts = [
      hookRequest(body, { signature: null }),
      hookRequest(body, { signature: 'sha256=' + '0'.repeat(64) }),
      hookRequest(body, { signature: signWebhookBody('wrong secret', body) }),
      hookRequest(body, { signature: signWebhookBody(secret, pushBody('refs/heads/main', 'b'.repeat(40))) }),
      hookRequest(body, { signature: 'garbage' }),
      // …also for events that would be ignored or answered without a deployment.
      hookRequest(body, { signature: null, event: 'ping' }),
    ];
    for (const req of attempts) {
      const res = await deliver(req);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('UNAUTHENTICATED');
    }
    expect(await state()).toEqual(before);
  });

  it("isolation: another app's secret does not sign for this app → 401", async () => {
    const before = await state();
    const body = pushBody();
    const res = await deliver(hookRequest(body, { signature: signWebhookBody(otherSecret, body) }));
    expect(res.status).toBe(401);
    // …and this app's secret does not deploy the other app.
    const res2 = await deliver(hookRequest(body, { signature: signWebhookBody(secret, body) }), otherAppId);
    expect(res2.status).toBe(401);
    expect(await state()).toEqual(before);
  });

  it('ping → 200; other events, other branches and deletions → 202 ignored, nothing written', async () => {
    const before = await state();
    const ping = await deliver(hookRequest('{"zen":"Keep it logically awesome."}', { event: 'ping' }));
    expect(ping.status).toBe(200);
    const ignored = [
      hookRequest(pushBody(), { event: 'issues' }),
      hookRequest(pushBody('refs/heads/feature')),
      hookRequest(pushBody('refs/tags/v1.0')),
      hookRequest(pushBody('refs/heads/main-2')),
      hookRequest(pushBody('refs/heads/main', '0'.repeat(40), { deleted: true })),
    ];
    for (const req of ignored) {
      const res = await deliver(req);
      expect(res.status).toBe(202);
      expect(typeof ((await res.json()) as { ignored: string }).ignored).toBe('string');
    }
    expect(await state()).toEqual(before);
  });

  it('refuses unknown apps (404), bodies over 1 MiB (413), bad payloads and delivery ids (400)', async () => {
    const before = await state();
    expect((await deliver(hookRequest(pushBody()), randomUUID())).status).toBe(404);
    expect((await deliver(hookRequest(pushBody()), 'not-a-uuid')).status).toBe(404);
    const bare = (await portal.as(owner).app.create({ orgSlug: org.slug, name: 'bare' })).id;
    expect((await deliver(hookRequest(pushBody()), bare)).status).toBe(404);
    const big = pushBody('refs/heads/main', SHA, { padding: 'x'.repeat(1024 * 1024) });
    expect((await deliver(hookRequest(big))).status).toBe(413);
    expect((await deliver(hookRequest('not json'))).status).toBe(400);
    expect((await deliver(hookRequest(JSON.stringify({ ref: 'refs/heads/main', after: 'xyz' })))).status).toBe(400);
    expect((await deliver(hookRequest(pushBody(), { delivery: 'bad delivery id!' }))).status).toBe(400);
    expect(await state()).toEqual(before);
  });
});
