// The archive upload routes on a real Postgres and a real Redis queue (unique prefix): the portal's
// form (session) and the tools' route (portal access token). Org scoping exactly like the tRPC
// procedures, the 32 MiB cap while streaming, and nothing written or enqueued on any refusal.
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildJobIds, openPortal, routeDepsAs, type Portal, type TestUser } from '../../../test/fixtures';
import { MAX_UPLOAD_BYTES } from '../domain/deployments';
import { handleSessionUpload, handleTokenUpload } from './upload';

let portal: Portal;
let ownerA: TestUser;
let developerA: TestUser;
let viewerA: TestUser;
let ownerB: TestUser;
let a: { id: string; slug: string };
let b: { id: string; slug: string };

const ARCHIVE = zipSync({
  'todo/stoa.json': new TextEncoder().encode('{"name":"todo"}'),
  'todo/schema.vsql': new TextEncoder().encode('APPLICATION todo();'),
});

function uploadRequest(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  // Node's fetch needs `duplex` for stream bodies (a field DOM's RequestInit does not declare).
  const init: RequestInit & { duplex?: 'half' } = {
    method: 'POST',
    headers: { 'content-type': 'application/zip', ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  };
  return new Request('http://portal.test/api/orgs/x/apps/y/deployments', init);
}

async function countRows(orgId: string) {
  const [deployments, uploads] = await Promise.all([
    portal.db.deployment.count({ where: { app: { orgId } } }),
    portal.db.sourceUpload.count({ where: { orgId } }),
  ]);
  return { deployments, uploads, jobs: (await buildJobIds(portal)).length };
}

async function readJson(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  portal = await openPortal();
  [ownerA, developerA, viewerA, ownerB] = await Promise.all([
    portal.createUser('u-owner-a'),
    portal.createUser('u-dev-a'),
    portal.createUser('u-viewer-a'),
    portal.createUser('u-owner-b'),
  ]);
  a = await portal.createOrg(ownerA, 'up-a');
  b = await portal.createOrg(ownerB, 'up-b');
  await portal.addMember(a, ownerA, developerA, 'developer');
  await portal.addMember(a, ownerA, viewerA, 'viewer');
  await portal.as(ownerA).app.create({ orgSlug: a.slug, name: 'todo' });
  await portal.as(ownerB).app.create({ orgSlug: b.slug, name: 'secret-app' });
});

afterAll(async () => {
  await portal?.drop();
});

describe('POST /api/orgs/{slug}/apps/{app}/deployments (session)', () => {
  it('stores the archive and a queued upload deployment in one go, enqueues its build → 201', async () => {
    const res = await handleSessionUpload(
      uploadRequest(ARCHIVE),
      { slug: a.slug, app: 'todo' },
      routeDepsAs(portal, developerA),
    );
    expect(res.status).toBe(201);
    const { deploymentId } = (await readJson(res)) as { deploymentId: string };
    const row = await portal.db.deployment.findUniqueOrThrow({
      where: { id: deploymentId },
      include: { sourceUpload: true },
    });
    expect(row).toMatchObject({ source: 'upload', status: 'queued', createdById: developerA.id, bundleId: null });
    expect(Buffer.from(row.sourceUpload?.bytes ?? new Uint8Array()).equals(Buffer.from(ARCHIVE))).toBe(true);
    expect(row.sourceUpload).toMatchObject({ orgId: a.id, size: ARCHIVE.length });
    expect(await buildJobIds(portal)).toContain(deploymentId);
    const audit = await portal.db.auditLog.findFirst({ where: { target: `deployment:${deploymentId}` } });
    expect(audit).toMatchObject({ action: 'deployment.create', actorId: developerA.id, orgId: a.id });
  });

  it('refuses: no session 401, viewer 403, unknown app 404, wrong type 415, not a zip 400 — nothing stored', async () => {
    const before = await countRows(a.id);
    const params = { slug: a.slug, app: 'todo' };
    const cases: [Response, number][] = [
      [await handleSessionUpload(uploadRequest(ARCHIVE), params, routeDepsAs(portal, null)), 401],
      [await handleSessionUpload(uploadRequest(ARCHIVE), params, routeDepsAs(portal, viewerA)), 403],
      [
        await handleSessionUpload(uploadRequest(ARCHIVE), { slug: a.slug, app: 'nope' }, routeDepsAs(portal, ownerA)),
        404,
      ],
      [
        await handleSessionUpload(
          uploadRequest(ARCHIVE),
          { slug: 'Not A Slug', app: 'todo' },
          routeDepsAs(portal, ownerA),
        ),
        404,
      ],
      [
        await handleSessionUpload(
          uploadRequest(ARCHIVE, { 'content-type': 'multipart/form-data; boundary=x' }),
          params,
          routeDepsAs(portal, ownerA),
        ),
        415,
      ],
      [await handleSessionUpload(uploadRequest('just text'), params, routeDepsAs(portal, ownerA)), 400],
      [await handleSessionUpload(uploadRequest(new Uint8Array(0)), params, routeDepsAs(portal, ownerA)), 400],
    ];
    for (const [res, status] of cases) {
      expect(res.status).toBe(status);
      const body = await readJson(res);
      expect(typeof body['message']).toBe('string');
    }
    expect(await countRows(a.id)).toEqual(before);
  });

  it('answers 413 past 32 MiB: a declared length at once, a streamed body as soon as it passes the cap', async () => {
    const before = await countRows(a.id);
    const declared = await handleSessionUpload(
      uploadRequest(ARCHIVE, { 'content-length': String(MAX_UPLOAD_BYTES + 1) }),
      { slug: a.slug, app: 'todo' },
      routeDepsAs(portal, ownerA),
    );
    expect(declared.status).toBe(413);

    // 40 MiB offered in 1 MiB chunks, produced only when read: the route must stop pulling early.
    const chunk = new Uint8Array(1024 * 1024);
    chunk.set([0x50, 0x4b, 0x03, 0x04]);
    let produced = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (produced >= 40 * chunk.length) return controller.close();
        produced += chunk.length;
        controller.enqueue(chunk.slice());
      },
      cancel() {
        cancelled = true;
      },
    });
    const streamed = await handleSessionUpload(
      uploadRequest(stream),
      { slug: a.slug, app: 'todo' },
      routeDepsAs(portal, ownerA),
    );
    expect(streamed.status).toBe(413);
    expect((await readJson(streamed))['code']).toBe('PAYLOAD_TOO_LARGE');
    expect(cancelled).toBe(true);
    expect(produced).toBeLessThanOrEqual(MAX_UPLOAD_BYTES + 3 * chunk.length);
    expect(await countRows(a.id)).toEqual(before);

    // Exactly the cap is accepted.
    const atCap = new Uint8Array(MAX_UPLOAD_BYTES);
    atCap.set(ARCHIVE);
    const ok = await handleSessionUpload(
      uploadRequest(atCap),
      { slug: a.slug, app: 'todo' },
      routeDepsAs(portal, ownerA),
    );
    expect(ok.status).toBe(201);
  });

  it('isolation: members of A reach no app of B (B slug, or A slug with B app) → 404, B unchanged', async () => {
    const before = await countRows(b.id);
    for (const user of [ownerA, developerA]) {
      for (const params of [
        { slug: b.slug, app: 'secret-app' },
        { slug: a.slug, app: 'secret-app' },
      ]) {
        const res = await handleSessionUpload(uploadRequest(ARCHIVE), params, routeDepsAs(portal, user));
        expect(res.status).toBe(404);
      }
    }
    expect(await countRows(b.id)).toEqual(before);
  });
});

describe('POST /api/v1/orgs/{slug}/apps/{app}/deployments (portal access token)', () => {
  function tokenRequest(token: string | null): Request {
    return uploadRequest(ARCHIVE, token === null ? {} : { authorization: `Bearer ${token}` });
  }

  it('deploys as the token user (source cli) and marks the token used', async () => {
    const { token, accessToken } = await portal.as(developerA).token.create({ orgSlug: a.slug, name: 'cli' });
    const res = await handleTokenUpload(tokenRequest(token), { slug: a.slug, app: 'todo' }, routeDepsAs(portal, null));
    expect(res.status).toBe(201);
    const { deploymentId } = (await readJson(res)) as { deploymentId: string };
    const row = await portal.db.deployment.findUniqueOrThrow({ where: { id: deploymentId } });
    expect(row).toMatchObject({ source: 'cli', status: 'queued', createdById: developerA.id });
    expect(await buildJobIds(portal)).toContain(deploymentId);
    const used = await portal.db.portalAccessToken.findUniqueOrThrow({ where: { id: accessToken.id } });
    expect(used.lastUsedAt).not.toBeNull();
  });

  it('refuses missing, unknown, revoked and expired tokens (401), demoted users (403), removed ones (404)', async () => {
    const before = await countRows(a.id);
    const params = { slug: a.slug, app: 'todo' };
    const deps = routeDepsAs(portal, null);
    const revoked = await portal.as(ownerA).token.create({ orgSlug: a.slug, name: 'revoked' });
    await portal.as(ownerA).token.revoke({ orgSlug: a.slug, tokenId: revoked.accessToken.id });
    const expired = await portal.as(ownerA).token.create({ orgSlug: a.slug, name: 'expired', expiresInDays: 1 });
    await portal.db.portalAccessToken.update({
      where: { id: expired.accessToken.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    for (const token of [null, 'stoa_pat_unknown', 'not-a-pat', revoked.token, expired.token]) {
      const res = await handleTokenUpload(tokenRequest(token), params, deps);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }

    const demoted = await portal.createUser('u-demoted');
    await portal.addMember(a, ownerA, demoted, 'developer');
    const demotedToken = await portal.as(demoted).token.create({ orgSlug: a.slug, name: 'd' });
    await portal.as(ownerA).member.changeRole({ orgSlug: a.slug, userId: demoted.id, role: 'viewer' });
    expect((await handleTokenUpload(tokenRequest(demotedToken.token), params, deps)).status).toBe(403);
    await portal.as(ownerA).member.remove({ orgSlug: a.slug, userId: demoted.id });
    expect((await handleTokenUpload(tokenRequest(demotedToken.token), params, deps)).status).toBe(404);
    expect(await countRows(a.id)).toEqual(before);
  });

  it("isolation: a token of org A gets 404 for org B's app, B unchanged", async () => {
    const before = await countRows(b.id);
    const { token } = await portal.as(ownerA).token.create({ orgSlug: a.slug, name: 'a-token' });
    for (const params of [
      { slug: b.slug, app: 'secret-app' },
      { slug: a.slug, app: 'secret-app' },
    ]) {
      const res = await handleTokenUpload(tokenRequest(token), params, routeDepsAs(portal, null));
      expect(res.status).toBe(404);
    }
    expect(await countRows(b.id)).toEqual(before);
  });
});
