// The deploy-side procedures on a real Postgres and a real Redis queue (unique prefix): deployment
// history and rollback eligibility, git sources and their webhook secret, portal access tokens, and
// the engine nodes of the admin area (health checks against real HTTP servers).
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { insertDeployment } from '../../../test/deployment-fixtures';
import { expectTrpcError, openPortal, uniqueSuffix, type Portal, type TestUser } from '../../../test/fixtures';
import { loadActor, resolveOrgActor } from '../domain/access';
import { createUploadDeployment, rollbackDeployment } from '../domain/deployments';

let portal: Portal;
const SEEDED_URL = `http://127.0.0.1:1/seeded-${uniqueSuffix()}`;

beforeAll(async () => {
  portal = await openPortal({ engineUrls: [SEEDED_URL] });
});

afterAll(async () => {
  await portal?.drop();
});

async function buildJob(deploymentId: string) {
  return portal.queue.queueOf('deploy.build').getJob(deploymentId);
}

async function auditOf(orgId: string, action: string) {
  return portal.db.auditLog.findMany({ where: { orgId, action }, orderBy: { createdAt: 'asc' } });
}

describe('deployments', () => {
  let owner: TestUser;
  let developer: TestUser;
  let viewer: TestUser;
  let org: { id: string; slug: string };
  let appId: string;
  let otherAppId: string;

  beforeAll(async () => {
    [owner, developer, viewer] = await Promise.all([
      portal.createUser('d-owner'),
      portal.createUser('d-dev'),
      portal.createUser('d-viewer'),
    ]);
    org = await portal.createOrg(owner, 'deploys');
    await portal.addMember(org, owner, developer, 'developer');
    await portal.addMember(org, owner, viewer, 'viewer');
    appId = (await portal.as(owner).app.create({ orgSlug: org.slug, name: 'todo' })).id;
    otherAppId = (await portal.as(owner).app.create({ orgSlug: org.slug, name: 'shop' })).id;
  });

  it('deployment.list: newest first, with status, source, who, times, diff and error', async () => {
    const t0 = Date.now() - 60_000;
    const first = await insertDeployment(portal.db, appId, 'superseded', {
      createdById: developer.id,
      createdAt: new Date(t0),
    });
    const git = await insertDeployment(portal.db, appId, 'live', {
      source: 'git',
      createdAt: new Date(t0 + 1000),
      schemaDiff: '+ table todo.Note',
    });
    await portal.db.deployment.update({ where: { id: git.id }, data: { commitSha: 'a'.repeat(40), branch: 'main' } });
    const failed = await insertDeployment(portal.db, appId, 'failed', {
      createdById: owner.id,
      createdAt: new Date(t0 + 2000),
    });
    await portal.db.deployment.update({ where: { id: failed.id }, data: { error: 'stoa.json: name is missing' } });
    await insertDeployment(portal.db, otherAppId, 'live', { createdById: owner.id });

    const list = await portal.as(viewer).deployment.list({ orgSlug: org.slug, appName: 'todo' });
    expect(list.map((d) => d.id)).toEqual([failed.id, git.id, first.id]);
    expect(list[0]).toMatchObject({
      status: 'failed',
      source: 'upload',
      who: `${owner.name} <${owner.email}>`,
      error: 'stoa.json: name is missing',
      final: true,
      rollbackTarget: false,
    });
    expect(list[1]).toMatchObject({
      status: 'live',
      source: 'git',
      who: 'git push',
      commitSha: 'a'.repeat(40),
      branch: 'main',
      schemaDiff: '+ table todo.Note',
      bundleId: git.bundleId,
      rollbackTarget: true,
      createdBy: null,
    });
    expect(list[1]?.finishedAt).not.toBeNull();
    expect(list[2]).toMatchObject({ status: 'superseded', who: `${developer.name} <${developer.email}>` });
    expect(new Date(list[2]?.createdAt ?? '').getTime()).toBe(t0);
    expect(await portal.as(viewer).deployment.list({ orgSlug: org.slug, appName: 'todo', limit: 1 })).toHaveLength(1);
    await expectTrpcError(portal.as(viewer).deployment.list({ orgSlug: org.slug, appName: 'nope' }), 'NOT_FOUND');

    const one = await portal.as(viewer).deployment.get({ orgSlug: org.slug, deploymentId: git.id });
    expect(one).toEqual(list[1]);
  });

  it('deployment.rollback: a new queued rollback deployment with the bundle, a job and an audit row', async () => {
    const target = await insertDeployment(portal.db, appId, 'superseded', { createdById: owner.id });
    const created = await portal
      .as(developer)
      .deployment.rollback({ orgSlug: org.slug, appName: 'todo', deploymentId: target.id });
    expect(created).toMatchObject({
      source: 'rollback',
      status: 'queued',
      bundleId: target.bundleId,
      who: `${developer.name} <${developer.email}>`,
      final: false,
    });
    const row = await portal.db.deployment.findUniqueOrThrow({ where: { id: created.id } });
    expect([row.appId, row.createdById, row.sourceUploadId]).toEqual([appId, developer.id, null]);
    const job = await buildJob(created.id);
    expect(job?.data).toEqual({ deploymentId: created.id });
    expect(job?.name).toBe('deploy.build');
    const audit = (await auditOf(org.id, 'deployment.rollback')).find((a) => a.target === `deployment:${created.id}`);
    expect(audit?.actorId).toBe(developer.id);
    expect(audit?.data).toEqual({ app: 'todo', to: target.id, bundleId: target.bundleId });

    // The live one is a target too (the engine answers "unchanged").
    const live = await insertDeployment(portal.db, appId, 'live');
    const again = await portal
      .as(owner)
      .deployment.rollback({ orgSlug: org.slug, appName: 'todo', deploymentId: live.id });
    expect(again.bundleId).toBe(live.bundleId);
  });

  it('deployment.rollback refuses targets that never ran, other apps and viewers', async () => {
    const before = await portal.db.deployment.count();
    const failed = await insertDeployment(portal.db, appId, 'failed', { withBundle: true });
    const queued = await insertDeployment(portal.db, appId, 'queued');
    const built = await insertDeployment(portal.db, appId, 'built');
    const bundleless = await insertDeployment(portal.db, appId, 'superseded', { withBundle: false });
    const dev = portal.as(developer);
    for (const target of [failed, queued, built, bundleless]) {
      const error = await expectTrpcError(
        dev.deployment.rollback({ orgSlug: org.slug, appName: 'todo', deploymentId: target.id }),
        'CONFLICT',
      );
      expect(error.message).toMatch(/only a deployment that was live can be rolled back to/);
    }
    const shopLive = await insertDeployment(portal.db, otherAppId, 'live');
    await expectTrpcError(
      dev.deployment.rollback({ orgSlug: org.slug, appName: 'todo', deploymentId: shopLive.id }),
      'NOT_FOUND',
    );
    const target = await insertDeployment(portal.db, appId, 'superseded');
    await expectTrpcError(
      portal.as(viewer).deployment.rollback({ orgSlug: org.slug, appName: 'todo', deploymentId: target.id }),
      'FORBIDDEN',
    );
    await expectTrpcError(
      dev.deployment.rollback({ orgSlug: org.slug, appName: 'todo', deploymentId: 'not-a-uuid' }),
      'BAD_REQUEST',
    );
    // Only the fixtures' own rows were added; no rollback deployment and no job.
    expect(await portal.db.deployment.count()).toBe(before + 6);
    expect(await portal.db.deployment.count({ where: { source: 'rollback', createdById: viewer.id } })).toBe(0);
  });
});

describe('when Redis refuses the job', () => {
  it('the deployment still exists, queued, for the reconciler; the caller gets it', async () => {
    const owner = await portal.createUser('redis-down');
    const org = await portal.createOrg(owner, 'redis-down');
    const app = await portal.as(owner).app.create({ orgSlug: org.slug, name: 'todo' });
    const actor = await resolveOrgActor(portal.db, await loadActor(portal.db, owner.id), org.slug);
    const down = { enqueue: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')) };
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const archive = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]);
      const uploaded = await createUploadDeployment(
        portal.db,
        actor,
        { appName: 'todo', archive, source: 'upload' },
        down,
      );
      expect(uploaded.status).toBe('queued');
      expect(await portal.db.deployment.count({ where: { id: uploaded.id, status: 'queued' } })).toBe(1);
      const target = await insertDeployment(portal.db, app.id, 'superseded');
      const rolled = await rollbackDeployment(portal.db, actor, { appName: 'todo', deploymentId: target.id }, down);
      expect(await portal.db.deployment.count({ where: { id: rolled.id, status: 'queued' } })).toBe(1);
      expect(logged).toHaveBeenCalledTimes(2);
      expect(String(logged.mock.calls[0]?.[0])).toContain('the reconciler will retry');
      expect(await portal.queue.queueOf('deploy.build').getJob(uploaded.id)).toBeUndefined();
    } finally {
      logged.mockRestore();
    }
  });
});

describe('git sources', () => {
  let owner: TestUser;
  let admin: TestUser;
  let developer: TestUser;
  let org: { id: string; slug: string };

  beforeAll(async () => {
    [owner, admin, developer] = await Promise.all([
      portal.createUser('g-owner'),
      portal.createUser('g-admin'),
      portal.createUser('g-dev'),
    ]);
    org = await portal.createOrg(owner, 'git');
    await portal.addMember(org, owner, admin, 'admin');
    await portal.addMember(org, owner, developer, 'developer');
    await portal.as(owner).app.create({ orgSlug: org.slug, name: 'todo' });
  });

  it('validates the repository URL shape and the branch', async () => {
    const bad = [
      'github.com/acme/todo',
      'ftp://github.com/acme/todo.git',
      'file:///srv/git/todo.git',
      'https://user:secret@github.com/acme/todo.git',
      'https://token@github.com/acme/todo.git',
      'https://github.com/',
      'https://github.com/acme/todo.git?x=1',
      'https://github.com/acme/todo.git#main',
    ];
    for (const repoUrl of bad) {
      await expectTrpcError(
        portal.as(admin).gitSource.set({ orgSlug: org.slug, appName: 'todo', repoUrl, branch: 'main' }),
        'BAD_REQUEST',
      );
    }
    for (const branch of ['', '-x', 'a..b', 'feature/', 'x.lock', 'a b', 'a//b']) {
      await expectTrpcError(
        portal
          .as(admin)
          .gitSource.set({ orgSlug: org.slug, appName: 'todo', repoUrl: 'https://github.com/a/b.git', branch }),
        'BAD_REQUEST',
      );
    }
    expect(await portal.db.gitSource.count({ where: { app: { orgId: org.id } } })).toBe(0);
  });

  it('set creates with a secret shown once; get never returns it; set again keeps it; rotate replaces it', async () => {
    const a = portal.as(admin);
    expect(await a.gitSource.get({ orgSlug: org.slug, appName: 'todo' })).toBeNull();
    const created = await a.gitSource.set({
      orgSlug: org.slug,
      appName: 'todo',
      repoUrl: 'https://github.com/acme/todo.git',
      branch: 'release/v1',
    });
    expect(created.webhookSecret).toMatch(/^[0-9a-f]{64}$/);
    const app = await portal.db.app.findFirstOrThrow({ where: { orgId: org.id, name: 'todo' } });
    expect(created.gitSource).toMatchObject({
      repoUrl: 'https://github.com/acme/todo.git',
      branch: 'release/v1',
      webhookPath: `/api/webhooks/github/${app.id}`,
    });
    const stored = await portal.db.gitSource.findUniqueOrThrow({ where: { appId: app.id } });
    expect(stored.webhookSecret).toBe(created.webhookSecret);

    const read = await a.gitSource.get({ orgSlug: org.slug, appName: 'todo' });
    expect(read).toEqual(created.gitSource);
    expect(JSON.stringify(read)).not.toContain(created.webhookSecret);

    const updated = await a.gitSource.set({
      orgSlug: org.slug,
      appName: 'todo',
      repoUrl: 'ssh://git@github.com/acme/todo.git',
      branch: 'main',
    });
    expect(updated.webhookSecret).toBeNull();
    expect(updated.gitSource.branch).toBe('main');
    expect((await portal.db.gitSource.findUniqueOrThrow({ where: { appId: app.id } })).webhookSecret).toBe(
      created.webhookSecret,
    );

    const rotated = await portal.as(owner).gitSource.rotateSecret({ orgSlug: org.slug, appName: 'todo' });
    expect(rotated.webhookSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.webhookSecret).not.toBe(created.webhookSecret);
    expect((await portal.db.gitSource.findUniqueOrThrow({ where: { appId: app.id } })).webhookSecret).toBe(
      rotated.webhookSecret,
    );

    const audit = await portal.db.auditLog.findMany({
      where: { orgId: org.id, target: `app:${app.id}`, action: { startsWith: 'gitSource.' } },
    });
    expect(audit.map((row) => row.action).sort()).toEqual([
      'gitSource.create',
      'gitSource.rotateSecret',
      'gitSource.update',
    ]);
    const auditText = JSON.stringify(audit);
    expect(auditText).not.toContain(created.webhookSecret);
    expect(auditText).not.toContain(rotated.webhookSecret);
  });

  it('is for admins: developers get FORBIDDEN; rotating without a source is NOT_FOUND', async () => {
    const d = portal.as(developer);
    await expectTrpcError(d.gitSource.get({ orgSlug: org.slug, appName: 'todo' }), 'FORBIDDEN');
    await expectTrpcError(
      d.gitSource.set({ orgSlug: org.slug, appName: 'todo', repoUrl: 'https://x.test/a/b.git', branch: 'main' }),
      'FORBIDDEN',
    );
    await expectTrpcError(d.gitSource.rotateSecret({ orgSlug: org.slug, appName: 'todo' }), 'FORBIDDEN');
    await portal.as(owner).app.create({ orgSlug: org.slug, name: 'bare' });
    await expectTrpcError(portal.as(owner).gitSource.rotateSecret({ orgSlug: org.slug, appName: 'bare' }), 'NOT_FOUND');
  });
});

describe('portal access tokens', () => {
  let owner: TestUser;
  let developer: TestUser;
  let viewer: TestUser;
  let org: { id: string; slug: string };

  beforeAll(async () => {
    [owner, developer, viewer] = await Promise.all([
      portal.createUser('t-owner'),
      portal.createUser('t-dev'),
      portal.createUser('t-viewer'),
    ]);
    org = await portal.createOrg(owner, 'tokens');
    await portal.addMember(org, owner, developer, 'developer');
    await portal.addMember(org, owner, viewer, 'viewer');
  });

  it('create returns the token once; only its sha256 and a prefix are stored', async () => {
    const { token, accessToken } = await portal
      .as(developer)
      .token.create({ orgSlug: org.slug, name: 'laptop', expiresInDays: 30 });
    expect(token).toMatch(/^stoa_pat_[\w-]{43}$/);
    expect(accessToken).toMatchObject({ name: 'laptop', prefix: token.slice(0, 17), active: true, revokedAt: null });
    const expires = new Date(accessToken.expiresAt ?? '').getTime() - new Date(accessToken.createdAt).getTime();
    expect(expires).toBe(30 * 24 * 3600 * 1000);
    const row = await portal.db.portalAccessToken.findUniqueOrThrow({ where: { id: accessToken.id } });
    expect(row.tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect([row.userId, row.orgId]).toEqual([developer.id, org.id]);
    const listed = await portal.as(developer).token.list({ orgSlug: org.slug });
    expect(listed).toEqual([accessToken]);
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(JSON.stringify(listed)).not.toContain(row.tokenHash);
    const audit = await auditOf(org.id, 'token.create');
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('each user sees and revokes only their own; viewers cannot create', async () => {
    const mine = await portal.as(owner).token.create({ orgSlug: org.slug, name: 'ci' });
    expect((await portal.as(developer).token.list({ orgSlug: org.slug })).map((t) => t.id)).not.toContain(
      mine.accessToken.id,
    );
    await expectTrpcError(
      portal.as(developer).token.revoke({ orgSlug: org.slug, tokenId: mine.accessToken.id }),
      'NOT_FOUND',
    );
    expect(
      (await portal.db.portalAccessToken.findUniqueOrThrow({ where: { id: mine.accessToken.id } })).revokedAt,
    ).toBe(null);
    const revoked = await portal.as(owner).token.revoke({ orgSlug: org.slug, tokenId: mine.accessToken.id });
    expect(revoked.active).toBe(false);
    expect(revoked.revokedAt).not.toBeNull();
    // Revoking twice changes nothing and writes one audit row.
    await portal.as(owner).token.revoke({ orgSlug: org.slug, tokenId: mine.accessToken.id });
    expect(
      (await auditOf(org.id, 'token.revoke')).filter((a) => a.target === `token:${mine.accessToken.id}`),
    ).toHaveLength(1);
    await expectTrpcError(portal.as(viewer).token.create({ orgSlug: org.slug, name: 'v' }), 'FORBIDDEN');
    await expectTrpcError(portal.as(owner).token.create({ orgSlug: org.slug, name: '  ' }), 'BAD_REQUEST');
    await expectTrpcError(
      portal.as(owner).token.create({ orgSlug: org.slug, name: 'x', expiresInDays: 366 }),
      'BAD_REQUEST',
    );
  });
});

describe('engine nodes (platform admins)', () => {
  let admin: TestUser;
  let user: TestUser;
  const servers: Server[] = [];

  /** A stand-in engine node: `/readyz` answers `status`. */
  async function fakeNode(status: number): Promise<string> {
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/readyz' ? status : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? { status: 'ready' } : { status: 503, message: 'apps loading' }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    [admin, user] = await Promise.all([portal.createUser('n-admin'), portal.createUser('n-user')]);
    await portal.makeAdmin(admin);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('non-admins get FORBIDDEN for every node procedure', async () => {
    const u = portal.as(user);
    const node = await portal.db.engineNode.create({
      data: { url: `http://127.0.0.1:2/${uniqueSuffix()}`, name: 'x' },
    });
    await expectTrpcError(u.node.list(), 'FORBIDDEN');
    await expectTrpcError(u.node.register({ url: 'http://127.0.0.1:3' }), 'FORBIDDEN');
    await expectTrpcError(u.node.remove({ nodeId: node.id }), 'FORBIDDEN');
    await expectTrpcError(u.node.check({ nodeId: node.id }), 'FORBIDDEN');
    expect(await portal.db.engineNode.count({ where: { id: node.id } })).toBe(1);
    expect(await portal.db.engineNode.count({ where: { url: 'http://127.0.0.1:3' } })).toBe(0);
    await portal.db.engineNode.delete({ where: { id: node.id } });
  });

  it('list registers STOA_ENGINE_URLS once; register normalises and refuses duplicates; remove', async () => {
    const a = portal.as(admin);
    const first = await a.node.list();
    expect(first.filter((n) => n.url === SEEDED_URL)).toHaveLength(1);
    const seeded = first.find((n) => n.url === SEEDED_URL);
    await a.node.remove({ nodeId: seeded?.id ?? '' });
    // Seeded once per process: a removed seed stays removed until the next start.
    expect((await a.node.list()).some((n) => n.url === SEEDED_URL)).toBe(false);

    const url = `http://127.0.0.1:4/engine-${uniqueSuffix()}`;
    const node = await a.node.register({ url: `${url}/`, name: 'edge 1' });
    expect(node).toMatchObject({ url, name: 'edge 1', lastStatus: 'unknown', lastSeenAt: null });
    expect(node.registeredBy).toBe(`${admin.name} <${admin.email}>`);
    await expectTrpcError(a.node.register({ url }), 'CONFLICT');
    for (const bad of ['ftp://x', 'http://u:p@host', 'http://host/?q=1', 'not a url']) {
      await expectTrpcError(a.node.register({ url: bad }), 'BAD_REQUEST');
    }
    expect((await a.node.remove({ nodeId: node.id })).nodeId).toBe(node.id);
    await expectTrpcError(a.node.remove({ nodeId: node.id }), 'NOT_FOUND');
    const audit = await portal.db.auditLog.findMany({ where: { actorId: admin.id, target: `node:${node.id}` } });
    expect(audit.map((r) => r.action).sort()).toEqual(['node.register', 'node.remove']);
  });

  it('check asks /readyz through @stoa/client: healthy, unready, unreachable', async () => {
    const a = portal.as(admin);
    const healthy = await a.node.register({ url: await fakeNode(200) });
    const loading = await a.node.register({ url: await fakeNode(503) });
    const closed = await fakeNode(200);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const dead = await a.node.register({ url: closed });

    const ok = await a.node.check({ nodeId: healthy.id });
    expect(ok.node.lastStatus).toBe('healthy');
    expect(ok.node.lastSeenAt).not.toBeNull();
    const unready = await a.node.check({ nodeId: loading.id });
    expect(unready.node.lastStatus).toBe('unready');
    expect(unready.node.lastSeenAt).not.toBeNull();
    const unreachable = await a.node.check({ nodeId: dead.id });
    expect(unreachable.node.lastStatus).toBe('unreachable');
    expect(unreachable.node.lastSeenAt).toBeNull();
    expect(unreachable.detail).toMatch(/ECONNREFUSED|fetch failed/);
    const listed = await a.node.list();
    expect(listed.find((n) => n.id === healthy.id)?.lastStatus).toBe('healthy');
  });
});
