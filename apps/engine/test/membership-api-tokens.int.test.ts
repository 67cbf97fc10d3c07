// App API tokens over real HTTP (shop fixture): create (owner, PUBLISHED roles only), use, list
// without values, revoke → 401 on the next request (also after a restart), bound to one
// workspace, expired → 401.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing, issuePrincipalToken } from '@stoa/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOP_DIR, expectError, startTestEngine, unique } from './support/harness.js';
import type { ApiClient, TestEngine } from './support/harness.js';
import { joinWorkspace } from './support/membership.js';

const SHOP = { ShopName: 'Corner', Country: 'DE' };

describe('app API tokens', () => {
  let engine: TestEngine;
  let owner: ApiClient;
  let wsA: number;
  let wsB: number;
  let productId: number;

  beforeAll(async () => {
    engine = await startTestEngine({ storage: 'mem', apps: [SHOP_DIR] });
    owner = await engine.client('shop');
    wsA = await owner.createWorkspace('shop.ShopWS', SHOP);
    wsB = await owner.createWorkspace('shop.ShopWS', SHOP);
    // The owner needs Clerk to insert Products (the shop grants nothing to sys.WorkspaceOwner).
    const clerk = await engine.client('shop');
    await joinWorkspace(owner, clerk, wsA, ['shop.Clerk']);
    const res = await clerk.post(`/workspaces/${wsA}/docs/shop.Product`, {
      Title: 'Tea',
      Sku: `s-${unique()}`,
      Price: 300,
      Status: 1,
    });
    expect(res.status, res.text).toBe(201);
    productId = Object.values(res.json['newIDs'] as Record<string, number>)[0]!;
  });
  afterAll(async () => {
    await engine.close();
  });

  it('creates, uses, lists (without values) and revokes a token', async () => {
    const created = await owner.post(`/workspaces/${wsA}/api-tokens`, {
      name: 'reporting',
      roles: ['shop.ApiReader'],
      expiresInSeconds: 3600,
    });
    expect(created.status, created.text).toBe(201);
    const { id, token, expiresAt } = created.json as { id: number; token: string; expiresAt: number };
    expect(id).toBeGreaterThan(0);
    expect(token.split('.')).toHaveLength(3);
    expect(expiresAt).toBeGreaterThan(Date.now() + 3500_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3601_000);

    // Used: ApiReader sees Sku and Price only; no other right.
    const bot = owner.withToken(token);
    const read = await bot.get(`/workspaces/${wsA}/docs/shop.Product/${productId}`);
    expect(read.status, read.text).toBe(200);
    expect(Object.keys(read.json).filter((k) => !k.startsWith('sys.'))).toEqual(['Sku', 'Price']);
    const list = await bot.get(`/workspaces/${wsA}/cdocs/shop.Product`);
    expect(list.status).toBe(200);
    expect((list.json['results'] as Record<string, unknown>[])[0]).not.toHaveProperty('Title');
    expectError(
      await bot.post(`/workspaces/${wsA}/docs/shop.Product`, { Title: 'x', Sku: 'y', Price: 1, Status: 1 }),
      403,
    );
    expect((await bot.get(`/workspaces/${wsA}/queries/shop.Ping`)).status).toBe(200);
    // API tokens cannot manage anything or create workspaces.
    expectError(await bot.get(`/workspaces/${wsA}/api-tokens`), 403);
    expectError(await bot.post('/workspaces', { kind: 'shop.ShopWS', name: 'x', descriptor: SHOP }), 403);
    const listedWs = (await bot.get('/workspaces')).json['results'] as { wsid: number; roles: string[] }[];
    expect(listedWs.map((w) => w.wsid)).toEqual([wsA]);
    expect(listedWs[0]?.roles).toContain('shop.ApiReader');

    // Listed without the value.
    const tokens = await owner.get(`/workspaces/${wsA}/api-tokens`);
    expect(tokens.status).toBe(200);
    const entry = (tokens.json['results'] as Record<string, unknown>[]).find((t) => t['id'] === id);
    expect(entry).toMatchObject({ id, name: 'reporting', roles: ['shop.ApiReader'], revoked: false, expired: false });
    expect(tokens.text).not.toContain(token);
    expect(tokens.text).not.toContain(token.split('.')[2]!);

    // GET /invites is for logins (403 for a valid API token) and never reads the token's record:
    // after the revocation its 401 can only come from the authenticator's isRevoked hook, on a
    // verification-cache hit (the token was verified above).
    expectError(await bot.get('/invites'), 403);

    // Revoked → 401 on the very next request.
    expect((await owner.delete(`/workspaces/${wsA}/api-tokens/${id}`)).status).toBe(204);
    expectError(await bot.get('/invites'), 401, { message: 'revoked' });
    expectError(await bot.get(`/workspaces/${wsA}/docs/shop.Product/${productId}`), 401, { message: 'revoked' });
    expectError(await bot.get('/workspaces'), 401, { message: 'revoked' });
    const after = (await owner.get(`/workspaces/${wsA}/api-tokens`)).json['results'] as Record<string, unknown>[];
    expect(after.find((t) => t['id'] === id)?.['revoked']).toBe(true);
    expectError(await owner.delete(`/workspaces/${wsA}/api-tokens/999999999`), 404);
  });

  it('binds a token to its workspace', async () => {
    const created = await owner.post(`/workspaces/${wsA}/api-tokens`, { name: 'a', roles: ['shop.ApiReader'] });
    expect(created.status).toBe(201);
    const bot = owner.withToken(created.json['token'] as string);
    expect((await bot.get(`/workspaces/${wsA}/cdocs/shop.Product`)).status).toBe(200);
    expectError(await bot.get(`/workspaces/${wsB}/cdocs/shop.Product`), 403, { message: `bound to workspace ${wsA}` });
    expectError(await bot.get(`/workspaces/${wsB}/queries/shop.Ping`), 403);
  });

  it('refuses an expired token', async () => {
    const store = engine.engine.sys.keyStore;
    const past = await KeyRing.open(
      { load: () => store.load(), save: () => Promise.resolve() },
      { now: () => Date.now() - 2 * 3600_000 },
    );
    const issued = await issuePrincipalToken(past, {
      app: 'local/shop',
      subject: 'at-expired',
      kind: 'apiToken',
      profileWSID: 0,
      wsid: wsA,
      roles: ['shop.ApiReader'],
      ttlSeconds: 3600,
    });
    expectError(await owner.withToken(issued.token).get(`/workspaces/${wsA}/cdocs/shop.Product`), 401, {
      message: 'expired',
    });
  });

  it('refuses a validly signed token that has no record (never created or forged subject)', async () => {
    const issued = await issuePrincipalToken(engine.engine.ring, {
      app: 'local/shop',
      subject: 'at-unknown',
      kind: 'apiToken',
      profileWSID: 0,
      wsid: wsA,
      roles: ['shop.Clerk'],
    });
    expectError(await owner.withToken(issued.token).get(`/workspaces/${wsA}/cdocs/shop.Product`), 401);
  });

  it('validates creation and restricts it to the owner', async () => {
    expectError(await owner.post(`/workspaces/${wsA}/api-tokens`, { name: 'x', roles: ['shop.Clerk'] }), 400, {
      field: 'roles[0]',
      message: 'not a PUBLISHED role',
    });
    expectError(await owner.post(`/workspaces/${wsA}/api-tokens`, { name: 'x', roles: ['sys.System'] }), 400, {
      field: 'roles[0]',
    });
    expectError(await owner.post(`/workspaces/${wsA}/api-tokens`, { name: 'x', roles: ['shop.Nope'] }), 400);
    expectError(
      await owner.post(`/workspaces/${wsA}/api-tokens`, {
        name: 'x',
        roles: ['shop.ApiReader'],
        expiresInSeconds: 8 * 24 * 3600,
      }),
      400,
      { field: 'expiresInSeconds' },
    );
    expectError(await owner.post(`/workspaces/${wsA}/api-tokens`, { name: '', roles: ['shop.ApiReader'] }), 400);
    const member = await engine.client('shop');
    await joinWorkspace(owner, member, wsA, ['shop.Manager']);
    expectError(await member.post(`/workspaces/${wsA}/api-tokens`, { name: 'x', roles: ['shop.ApiReader'] }), 403);
    expectError(await member.get(`/workspaces/${wsA}/api-tokens`), 403);
    expectError(await owner.withToken(null).get(`/workspaces/${wsA}/api-tokens`), 401);
  });
});

describe('app API tokens across a restart (lmdb)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stoa-apitokens-'));
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps refusing a revoked token after a restart and accepting a live one', async () => {
    let engine = await startTestEngine({ storage: 'lmdb', apps: [SHOP_DIR], dataDir });
    let revoked: string;
    let live: string;
    let wsid: number;
    try {
      const owner = await engine.client('shop', 'restart-owner');
      wsid = await owner.createWorkspace('shop.ShopWS', SHOP);
      const a = await owner.post(`/workspaces/${wsid}/api-tokens`, { name: 'a', roles: ['shop.ApiReader'] });
      const b = await owner.post(`/workspaces/${wsid}/api-tokens`, { name: 'b', roles: ['shop.ApiReader'] });
      revoked = a.json['token'] as string;
      live = b.json['token'] as string;
      expect((await owner.delete(`/workspaces/${wsid}/api-tokens/${a.json['id'] as number}`)).status).toBe(204);
    } finally {
      await engine.close();
    }
    engine = await startTestEngine({ storage: 'lmdb', apps: [SHOP_DIR], dataDir });
    try {
      const owner = await engine.client('shop', 'restart-owner');
      // The node's revocation set was reloaded from storage: refused even on a route without a workspace.
      expectError(await owner.withToken(revoked).get('/workspaces'), 401, { message: 'revoked' });
      expectError(await owner.withToken(revoked).get('/invites'), 401, { message: 'revoked' });
      expectError(await owner.withToken(live).get('/invites'), 403);
      expectError(await owner.withToken(revoked).get(`/workspaces/${wsid}/cdocs/shop.Product`), 401);
      expect((await owner.withToken(live).get(`/workspaces/${wsid}/cdocs/shop.Product`)).status).toBe(200);
    } finally {
      await engine.close();
    }
  });
});
