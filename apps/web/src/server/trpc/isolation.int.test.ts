// Tenant isolation: a member of org A can read or change nothing of org B through any procedure.
// The case table is keyed by every procedure path of the router — a new procedure without a case
// fails to compile (Record<ProcedurePath, …>) and fails the coverage test below.
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDeployment } from '../../../test/deployment-fixtures';
import { expectTrpcError, openPortal, type Caller, type Portal, type TestUser } from '../../../test/fixtures';
import { listProcedurePaths, type ProcedurePath } from './root';

interface Fixture {
  readonly a: { readonly id: string; readonly slug: string };
  readonly b: { readonly id: string; readonly slug: string };
  readonly ownerA: TestUser;
  readonly viewerA: TestUser;
  readonly ownerB: TestUser;
  readonly developerB: TestUser;
  readonly aAppName: string;
  readonly bAppName: string;
  readonly bInvitationId: string;
  readonly bInvitationToken: string;
  /** A live deployment of B's app (with a bundle: a rollback target). */
  readonly bDeploymentId: string;
  readonly bTokenId: string;
  readonly bNodeId: string;
}

interface IsolationCase {
  /** Calls aimed at B's data (B's slug, or A's slug with B's ids); each must fail with `codes`. */
  readonly attempts: readonly ((caller: Caller, fx: Fixture) => Promise<unknown>)[];
  readonly codes: readonly TRPC_ERROR_CODE_KEY[];
  /** What A's owner may see must not include B's rows. */
  readonly check?: (ownerA: Caller, fx: Fixture) => Promise<void>;
}

const HIDDEN: readonly TRPC_ERROR_CODE_KEY[] = ['NOT_FOUND'];

const CASES: Record<ProcedurePath, IsolationCase> = {
  'auth.signUp': {
    // Public and not org-scoped: the one thing it can do to B is take a member's email.
    attempts: [
      (c, fx) => c.auth.signUp({ email: fx.ownerB.email.toUpperCase(), name: 'x', password: 'long-enough-1' }),
    ],
    codes: ['CONFLICT'],
  },
  'org.listMine': {
    attempts: [],
    codes: [],
    check: async (c, fx) => {
      const slugs = (await c.org.listMine()).map((o) => o.slug);
      expect(slugs).toContain(fx.a.slug);
      expect(slugs).not.toContain(fx.b.slug);
    },
  },
  'org.create': {
    // Slugs are global (they are engine owners), so a taken one says CONFLICT — and joins nothing.
    attempts: [(c, fx) => c.org.create({ slug: fx.b.slug, name: 'Takeover' })],
    codes: ['CONFLICT'],
  },
  'org.get': {
    attempts: [(c, fx) => c.org.get({ orgSlug: fx.b.slug })],
    codes: HIDDEN,
  },
  'member.list': {
    attempts: [(c, fx) => c.member.list({ orgSlug: fx.b.slug })],
    codes: HIDDEN,
    check: async (c, fx) => {
      const ids = (await c.member.list({ orgSlug: fx.a.slug })).map((m) => m.userId);
      expect(ids).not.toContain(fx.ownerB.id);
      expect(ids).not.toContain(fx.developerB.id);
    },
  },
  'member.changeRole': {
    attempts: [
      (c, fx) => c.member.changeRole({ orgSlug: fx.b.slug, userId: fx.developerB.id, role: 'owner' }),
      (c, fx) => c.member.changeRole({ orgSlug: fx.b.slug, userId: fx.ownerB.id, role: 'viewer' }),
      (c, fx) => c.member.changeRole({ orgSlug: fx.a.slug, userId: fx.developerB.id, role: 'viewer' }),
      (c, fx) => c.member.changeRole({ orgSlug: fx.a.slug, userId: fx.ownerB.id, role: 'viewer' }),
    ],
    codes: ['NOT_FOUND', 'FORBIDDEN'],
  },
  'member.remove': {
    attempts: [
      (c, fx) => c.member.remove({ orgSlug: fx.b.slug, userId: fx.developerB.id }),
      (c, fx) => c.member.remove({ orgSlug: fx.b.slug, userId: fx.ownerB.id }),
      (c, fx) => c.member.remove({ orgSlug: fx.a.slug, userId: fx.developerB.id }),
    ],
    codes: ['NOT_FOUND', 'FORBIDDEN'],
  },
  'invitation.create': {
    attempts: [(c, fx) => c.invitation.create({ orgSlug: fx.b.slug, email: 'spy@example.test', role: 'owner' })],
    codes: HIDDEN,
  },
  'invitation.list': {
    attempts: [(c, fx) => c.invitation.list({ orgSlug: fx.b.slug })],
    codes: HIDDEN,
    check: async (c, fx) => {
      const ids = (await c.invitation.list({ orgSlug: fx.a.slug })).map((i) => i.id);
      expect(ids).not.toContain(fx.bInvitationId);
    },
  },
  'invitation.revoke': {
    attempts: [
      (c, fx) => c.invitation.revoke({ orgSlug: fx.b.slug, invitationId: fx.bInvitationId }),
      (c, fx) => c.invitation.revoke({ orgSlug: fx.a.slug, invitationId: fx.bInvitationId }),
    ],
    codes: ['NOT_FOUND', 'FORBIDDEN'],
  },
  'invitation.accept': {
    // A leaked token of B addressed to someone else must not let A in.
    attempts: [(c, fx) => c.invitation.accept({ token: fx.bInvitationToken })],
    codes: ['FORBIDDEN'],
  },
  'app.list': {
    attempts: [(c, fx) => c.app.list({ orgSlug: fx.b.slug })],
    codes: HIDDEN,
    check: async (c, fx) => {
      const names = (await c.app.list({ orgSlug: fx.a.slug })).map((app) => app.name);
      expect(names).not.toContain(fx.bAppName);
    },
  },
  'app.create': {
    attempts: [(c, fx) => c.app.create({ orgSlug: fx.b.slug, name: 'intruder' })],
    codes: HIDDEN,
  },
  'app.get': {
    attempts: [
      (c, fx) => c.app.get({ orgSlug: fx.b.slug, name: fx.bAppName }),
      (c, fx) => c.app.get({ orgSlug: fx.a.slug, name: fx.bAppName }),
    ],
    codes: HIDDEN,
  },
  'deployment.list': {
    attempts: [
      (c, fx) => c.deployment.list({ orgSlug: fx.b.slug, appName: fx.bAppName }),
      (c, fx) => c.deployment.list({ orgSlug: fx.a.slug, appName: fx.bAppName }),
    ],
    codes: HIDDEN,
    check: async (c, fx) => {
      const ids = (await c.deployment.list({ orgSlug: fx.a.slug, appName: fx.aAppName })).map((d) => d.id);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).not.toContain(fx.bDeploymentId);
    },
  },
  'deployment.get': {
    attempts: [
      (c, fx) => c.deployment.get({ orgSlug: fx.b.slug, deploymentId: fx.bDeploymentId }),
      (c, fx) => c.deployment.get({ orgSlug: fx.a.slug, deploymentId: fx.bDeploymentId }),
    ],
    codes: HIDDEN,
  },
  'deployment.rollback': {
    // B's deployment is a valid rollback target — for B. Through A it does not exist.
    attempts: [
      (c, fx) => c.deployment.rollback({ orgSlug: fx.b.slug, appName: fx.bAppName, deploymentId: fx.bDeploymentId }),
      (c, fx) => c.deployment.rollback({ orgSlug: fx.a.slug, appName: fx.aAppName, deploymentId: fx.bDeploymentId }),
      (c, fx) => c.deployment.rollback({ orgSlug: fx.a.slug, appName: fx.bAppName, deploymentId: fx.bDeploymentId }),
    ],
    codes: ['NOT_FOUND', 'FORBIDDEN'],
  },
  'gitSource.get': {
    attempts: [
      (c, fx) => c.gitSource.get({ orgSlug: fx.b.slug, appName: fx.bAppName }),
      (c, fx) => c.gitSource.get({ orgSlug: fx.a.slug, appName: fx.bAppName }),
    ],
    codes: ['NOT_FOUND', 'FORBIDDEN'],
    check: async (c, fx) => {
      expect(await c.gitSource.get({ orgSlug: fx.a.slug, appName: fx.aAppName })).toBeNull();
    },
  },
  'gitSource.set': {
    attempts: [
      (c, fx) =>
        c.gitSource.set({
          orgSlug: fx.b.slug,
          appName: fx.bAppName,
          repoUrl: 'https://evil.test/x.git',
          branch: 'main',
        }),
      (c, fx) =>
        c.gitSource.set({
          orgSlug: fx.a.slug,
          appName: fx.bAppName,
          repoUrl: 'https://evil.test/x.git',
          branch: 'main',
        }),
    ],
    codes: ['NOT_FOUND', 'FORBIDDEN'],
  },
  'gitSource.rotateSecret': {
    attempts: [
      (c, fx) => c.gitSource.rotateSecret({ orgSlug: fx.b.slug, appName: fx.bAppName }),
      (c, fx) => c.gitSource.rotateSecret({ orgSlug: fx.a.slug, appName: fx.bAppName }),
    ],
    codes: ['NOT_FOUND', 'FORBIDDEN'],
  },
  'token.list': {
    attempts: [(c, fx) => c.token.list({ orgSlug: fx.b.slug })],
    codes: HIDDEN,
    check: async (c, fx) => {
      const ids = (await c.token.list({ orgSlug: fx.a.slug })).map((t) => t.id);
      expect(ids).not.toContain(fx.bTokenId);
    },
  },
  'token.create': {
    // A token for B would be a key to B.
    attempts: [(c, fx) => c.token.create({ orgSlug: fx.b.slug, name: 'spy' })],
    codes: HIDDEN,
  },
  'token.revoke': {
    attempts: [
      (c, fx) => c.token.revoke({ orgSlug: fx.b.slug, tokenId: fx.bTokenId }),
      (c, fx) => c.token.revoke({ orgSlug: fx.a.slug, tokenId: fx.bTokenId }),
    ],
    codes: HIDDEN,
  },
  // Engine nodes belong to no org: only platform administrators reach them (no member of A is one).
  'node.list': {
    attempts: [(c) => c.node.list()],
    codes: ['FORBIDDEN'],
  },
  'node.register': {
    attempts: [(c) => c.node.register({ url: 'http://127.0.0.1:9/', name: 'rogue' })],
    codes: ['FORBIDDEN'],
  },
  'node.remove': {
    attempts: [(c, fx) => c.node.remove({ nodeId: fx.bNodeId })],
    codes: ['FORBIDDEN'],
  },
  'node.check': {
    attempts: [(c, fx) => c.node.check({ nodeId: fx.bNodeId })],
    codes: ['FORBIDDEN'],
  },
};

/** Procedures anyone may call; every other one must answer UNAUTHORIZED without a session. */
const PUBLIC_PROCEDURES: readonly ProcedurePath[] = ['auth.signUp'];

/** Everything of org B, read straight from the database, the engine nodes, and the job counts. */
async function snapshotOrgB(portal: Portal, orgId: string) {
  const db = portal.db;
  const [org, memberships, invitations, apps, audit] = await Promise.all([
    db.org.findUnique({ where: { id: orgId } }),
    db.membership.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    db.invitation.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    db.app.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    db.auditLog.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
  ]);
  const [deployments, gitSources, tokens, uploads, bundles, nodes, platformAudit, jobs] = await Promise.all([
    db.deployment.findMany({ where: { app: { orgId } }, orderBy: { id: 'asc' } }),
    db.gitSource.findMany({ where: { app: { orgId } }, orderBy: { id: 'asc' } }),
    db.portalAccessToken.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    db.sourceUpload.findMany({ where: { orgId }, select: { id: true, size: true }, orderBy: { id: 'asc' } }),
    db.bundle.findMany({ where: { orgId }, select: { id: true }, orderBy: { id: 'asc' } }),
    db.engineNode.findMany({ orderBy: { id: 'asc' } }),
    db.auditLog.count({ where: { orgId: null, action: { startsWith: 'node.' } } }),
    portal.queue.queueOf('deploy.build').getJobCounts(),
  ]);
  return {
    org,
    memberships,
    invitations,
    apps,
    audit,
    deployments,
    gitSources,
    tokens,
    uploads,
    bundles,
    nodes,
    platformAudit,
    jobs,
  };
}

function procedureAt(caller: Caller, path: string): (input?: unknown) => Promise<unknown> {
  const [group, name] = path.split('.');
  const fn = (caller as unknown as Record<string, Record<string, unknown> | undefined>)[group ?? '']?.[name ?? ''];
  if (typeof fn !== 'function') throw new Error(`no procedure at ${path}`);
  return fn as (input?: unknown) => Promise<unknown>;
}

describe('tenant isolation', () => {
  let portal: Portal;
  let fx: Fixture;

  beforeAll(async () => {
    portal = await openPortal();
    const [ownerA, viewerA, ownerB, developerB] = await Promise.all([
      portal.createUser('owner-a'),
      portal.createUser('viewer-a'),
      portal.createUser('owner-b'),
      portal.createUser('developer-b'),
    ]);
    const a = await portal.createOrg(ownerA, 'org-a');
    const b = await portal.createOrg(ownerB, 'org-b');
    await portal.addMember(a, ownerA, viewerA, 'viewer');
    await portal.addMember(b, ownerB, developerB, 'developer');
    const aAppName = 'a-app';
    const aApp = await portal.as(ownerA).app.create({ orgSlug: a.slug, name: aAppName });
    await insertDeployment(portal.db, aApp.id, 'live', { createdById: ownerA.id });
    const bAppName = 'b-only-app';
    const bApp = await portal.as(ownerB).app.create({ orgSlug: b.slug, name: bAppName });
    await insertDeployment(portal.db, bApp.id, 'superseded', { createdById: ownerB.id });
    const bLive = await insertDeployment(portal.db, bApp.id, 'live', { createdById: developerB.id });
    await portal.as(ownerB).gitSource.set({
      orgSlug: b.slug,
      appName: bAppName,
      repoUrl: 'https://git.example.test/b/app.git',
      branch: 'main',
    });
    const bToken = await portal.as(developerB).token.create({ orgSlug: b.slug, name: 'b-ci' });
    const node = await portal.db.engineNode.create({ data: { url: 'http://127.0.0.1:9', name: 'node-b' } });
    const pending = await portal
      .as(ownerB)
      .invitation.create({ orgSlug: b.slug, email: 'pending-b@example.test', role: 'admin' });
    fx = {
      a,
      b,
      ownerA,
      viewerA,
      ownerB,
      developerB,
      aAppName,
      bAppName,
      bInvitationId: pending.invitation.id,
      bInvitationToken: pending.token,
      bDeploymentId: bLive.id,
      bTokenId: bToken.accessToken.id,
      bNodeId: node.id,
    };
  });

  afterAll(async () => {
    await portal?.drop();
  });

  it('has an isolation case for every procedure of the router', () => {
    expect(Object.keys(CASES).sort()).toEqual(listProcedurePaths());
  });

  for (const path of Object.keys(CASES) as ProcedurePath[]) {
    it(`${path}: members of A reach nothing of B`, async () => {
      const testCase = CASES[path];
      const before = await snapshotOrgB(portal, fx.b.id);
      for (const member of [fx.ownerA, fx.viewerA]) {
        const caller = portal.as(member);
        for (const attempt of testCase.attempts) await expectTrpcError(attempt(caller, fx), testCase.codes);
      }
      await testCase.check?.(portal.as(fx.ownerA), fx);
      expect(await snapshotOrgB(portal, fx.b.id)).toEqual(before);
      // …and A's members did not become members of B.
      const joined = await portal.db.membership.count({
        where: { orgId: fx.b.id, userId: { in: [fx.ownerA.id, fx.viewerA.id] } },
      });
      expect(joined).toBe(0);
    });
  }

  it('every procedure but the public ones answers UNAUTHORIZED without a session', async () => {
    const before = await snapshotOrgB(portal, fx.b.id);
    for (const path of listProcedurePaths()) {
      if ((PUBLIC_PROCEDURES as readonly string[]).includes(path)) continue;
      const input = {
        orgSlug: fx.b.slug,
        userId: fx.ownerB.id,
        role: 'viewer',
        name: fx.bAppName,
        appName: fx.bAppName,
        token: 'x'.repeat(20),
        deploymentId: fx.bDeploymentId,
        repoUrl: 'https://evil.test/x.git',
        branch: 'main',
        tokenId: fx.bTokenId,
        nodeId: fx.bNodeId,
        url: 'http://127.0.0.1:9',
      };
      await expectTrpcError(procedureAt(portal.anonymous, path)(input), 'UNAUTHORIZED');
    }
    expect(await snapshotOrgB(portal, fx.b.id)).toEqual(before);
  });

  it('a session for a deleted user is no session', async () => {
    const ghost = await portal.createUser('ghost');
    await portal.db.user.delete({ where: { id: ghost.id } });
    await expectTrpcError(portal.as(ghost).org.listMine(), 'UNAUTHORIZED');
    await expectTrpcError(portal.as(ghost).org.get({ orgSlug: fx.b.slug }), 'UNAUTHORIZED');
  });

  it('a member removed from B loses access at once', async () => {
    const temp = await portal.createUser('temp-b');
    await portal.addMember(fx.b, fx.ownerB, temp, 'viewer');
    expect((await portal.as(temp).app.list({ orgSlug: fx.b.slug })).map((app) => app.name)).toEqual([fx.bAppName]);
    await portal.as(fx.ownerB).member.remove({ orgSlug: fx.b.slug, userId: temp.id });
    await expectTrpcError(portal.as(temp).app.list({ orgSlug: fx.b.slug }), 'NOT_FOUND');
  });
});
