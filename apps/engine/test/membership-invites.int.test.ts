// Invites and membership over real HTTP (shop fixture with builtin extensions): the lifecycle
// invite → invitee sees it → accept → acts per its roles → role change applies on the next
// request → removal refused on the next request; decline, cancel, re-invite, leave; the statuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOP_DIR, expectError, startTestEngine, unique } from './support/harness.js';
import type { ApiClient, Backend, TestEngine } from './support/harness.js';
import { joinWorkspace, subjectOf } from './support/membership.js';

const SHOP = { ShopName: 'Corner', Country: 'DE' };

describe.each<Backend>(['mem', 'lmdb'])('membership and invites (%s)', (storage) => {
  let engine: TestEngine;
  let owner: ApiClient;
  let wsid: number;

  beforeAll(async () => {
    engine = await startTestEngine({ storage, apps: [SHOP_DIR] });
    owner = await engine.client('shop');
    wsid = await owner.createWorkspace('shop.ShopWS', SHOP);
  });
  afterAll(async () => {
    await engine.close();
  });

  const product = (): Record<string, unknown> => ({ Title: 'Tea', Sku: `s-${unique()}`, Price: 300, Status: 1 });

  it('runs the whole lifecycle: invite, accept, act, role change, removal', async () => {
    const member = await engine.client('shop');
    const login = subjectOf(member);

    // Before joining: no rights.
    expectError(await member.post(`/workspaces/${wsid}/docs/shop.Product`, product()), 403);

    const invited = await owner.post(`/workspaces/${wsid}/invites`, { login, roles: ['shop.Clerk'] });
    expect(invited.status, invited.text).toBe(201);
    const inviteId = invited.json['inviteId'] as number;
    expect(inviteId).toBeGreaterThan(0);

    // The invitee finds it; the owner lists it.
    const mine = await member.get('/invites');
    expect(mine.status).toBe(200);
    expect(mine.json['results']).toEqual([
      expect.objectContaining({
        inviteId,
        wsid,
        login,
        roles: ['shop.Clerk'],
        state: 'created',
        workspaceKind: 'shop.ShopWS',
        invitedBy: subjectOf(owner),
      }),
    ]);
    const listed = await owner.get(`/workspaces/${wsid}/invites`);
    expect(listed.json['results']).toContainEqual(expect.objectContaining({ inviteId, state: 'created' }));

    // Nobody else may answer it.
    const stranger = await engine.client('shop');
    expectError(await stranger.post(`/workspaces/${wsid}/invites/${inviteId}/accept`), 403);
    expectError(await owner.post(`/workspaces/${wsid}/invites/${inviteId}/accept`), 403);
    expectError(await member.withToken(null).post(`/workspaces/${wsid}/invites/${inviteId}/accept`), 401);

    const accepted = await member.post(`/workspaces/${wsid}/invites/${inviteId}/accept`);
    expect(accepted.status, accepted.text).toBe(200);
    expect(accepted.json).toMatchObject({ wsid, login, roles: ['shop.Clerk'], owner: false });
    expect((await member.get('/invites')).json['results']).toEqual([]);
    expectError(await member.post(`/workspaces/${wsid}/invites/${inviteId}/accept`), 409, { message: 'accepted' });

    // The workspace appears in the member's GET /workspaces with its roles.
    const mineWs = (await member.get('/workspaces')).json['results'] as { wsid: number; roles: string[] }[];
    expect(mineWs.find((w) => w.wsid === wsid)?.roles).toEqual(expect.arrayContaining(['shop.Clerk']));

    // Acts per its roles: Clerk has ALL on Product.
    const created = await member.post(`/workspaces/${wsid}/docs/shop.Product`, product());
    expect(created.status, created.text).toBe(201);
    const productId = Object.values(created.json['newIDs'] as Record<string, number>)[0]!;
    expect((await member.get(`/workspaces/${wsid}/docs/shop.Product/${productId}`)).json).toHaveProperty('Title');

    // Members list: owner and member.
    const members = await member.get(`/workspaces/${wsid}/members`);
    expect(members.status).toBe(200);
    expect(members.json['results']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ login: subjectOf(owner), owner: true }),
        expect.objectContaining({ login, roles: ['shop.Clerk'], owner: false, kind: 'user' }),
      ]),
    );
    expectError(await stranger.get(`/workspaces/${wsid}/members`), 403);

    // Role change applies on the very next request.
    const changed = await owner.patch(`/workspaces/${wsid}/members/${encodeURIComponent(login)}`, {
      roles: ['shop.ApiReader'],
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toMatchObject({ login, roles: ['shop.ApiReader'] });
    expectError(await member.post(`/workspaces/${wsid}/docs/shop.Product`, product()), 403);
    const limited = await member.get(`/workspaces/${wsid}/docs/shop.Product/${productId}`);
    expect(limited.status).toBe(200);
    expect(Object.keys(limited.json).filter((k) => !k.startsWith('sys.'))).toEqual(['Sku', 'Price']);

    // Removal: refused on the next request, gone from GET /workspaces.
    const removed = await owner.delete(`/workspaces/${wsid}/members/${encodeURIComponent(login)}`);
    expect(removed.status, removed.text).toBe(204);
    expectError(await member.get(`/workspaces/${wsid}/docs/shop.Product/${productId}`), 403);
    expectError(await member.get(`/workspaces/${wsid}/members`), 403);
    const after = (await member.get('/workspaces')).json['results'] as { wsid: number }[];
    expect(after.some((w) => w.wsid === wsid)).toBe(false);
    expectError(await owner.delete(`/workspaces/${wsid}/members/${encodeURIComponent(login)}`), 404);

    // Re-invite after removal: accepted again with the new roles.
    await joinWorkspace(owner, member, wsid, ['shop.Manager']);
    const again = await member.post(`/workspaces/${wsid}/docs/shop.Product`, product());
    expect(again.status, again.text).toBe(201);
  });

  it('declines, cancels and re-invites', async () => {
    const member = await engine.client('shop');
    const login = subjectOf(member);
    const first = await owner.post(`/workspaces/${wsid}/invites`, { login, roles: ['shop.Clerk'] });
    expect(first.status).toBe(201);
    const firstId = first.json['inviteId'] as number;
    // A second invite while one is pending → 409.
    expectError(await owner.post(`/workspaces/${wsid}/invites`, { login, roles: ['shop.Manager'] }), 409, {
      message: 'pending',
    });
    expect((await member.post(`/workspaces/${wsid}/invites/${firstId}/decline`)).status).toBe(204);
    expect((await member.get('/invites')).json['results']).toEqual([]);
    expectError(await member.post(`/workspaces/${wsid}/invites/${firstId}/accept`), 409, { message: 'declined' });
    expectError(await member.get(`/workspaces/${wsid}/cdocs/shop.Product`), 403);

    // Re-invite after a decline; the owner cancels it; the invitee can no longer accept.
    const second = await owner.post(`/workspaces/${wsid}/invites`, { login, roles: ['shop.Clerk'] });
    expect(second.status).toBe(201);
    const secondId = second.json['inviteId'] as number;
    expect(secondId).not.toBe(firstId);
    expectError(await member.delete(`/workspaces/${wsid}/invites/${secondId}`), 403);
    expect((await owner.delete(`/workspaces/${wsid}/invites/${secondId}`)).status).toBe(204);
    expectError(await owner.delete(`/workspaces/${wsid}/invites/${secondId}`), 409, { message: 'cancelled' });
    expect((await member.get('/invites')).json['results']).toEqual([]);
    expectError(await member.post(`/workspaces/${wsid}/invites/${secondId}/accept`), 409, { message: 'cancelled' });

    // Re-invite after a cancel, accepted.
    await joinWorkspace(owner, member, wsid, ['shop.Clerk']);
    expect((await member.get(`/workspaces/${wsid}/cdocs/shop.Product`)).status).toBe(200);
    const states = (
      (await owner.get(`/workspaces/${wsid}/invites`)).json['results'] as { login: string; state: string }[]
    )
      .filter((i) => i.login === login)
      .map((i) => i.state);
    expect(states).toEqual(['declined', 'cancelled', 'accepted']);
    // Already a member → 409.
    expectError(await owner.post(`/workspaces/${wsid}/invites`, { login, roles: ['shop.Clerk'] }), 409, {
      message: 'already a member',
    });
  });

  it('lets a member leave (and be re-invited), never the owner', async () => {
    const member = await engine.client('shop');
    const login = subjectOf(member);
    await joinWorkspace(owner, member, wsid, ['shop.Clerk']);
    expect((await member.get(`/workspaces/${wsid}/cdocs/shop.Product`)).status).toBe(200);
    // A member cannot remove someone else.
    const other = await engine.client('shop');
    await joinWorkspace(owner, other, wsid, ['shop.Clerk']);
    expectError(await member.delete(`/workspaces/${wsid}/members/${encodeURIComponent(subjectOf(other))}`), 403);

    expect((await member.delete(`/workspaces/${wsid}/members/${encodeURIComponent(login)}`)).status).toBe(204);
    expectError(await member.get(`/workspaces/${wsid}/cdocs/shop.Product`), 403);
    expect((await other.get(`/workspaces/${wsid}/cdocs/shop.Product`)).status).toBe(200);

    expectError(await owner.delete(`/workspaces/${wsid}/members/${encodeURIComponent(subjectOf(owner))}`), 409, {
      message: 'owner cannot leave',
    });
    expectError(
      await owner.patch(`/workspaces/${wsid}/members/${encodeURIComponent(subjectOf(owner))}`, {
        roles: ['shop.Clerk'],
      }),
      409,
    );
    await joinWorkspace(owner, member, wsid, ['shop.Clerk']);
    expect((await member.get(`/workspaces/${wsid}/cdocs/shop.Product`)).status).toBe(200);
  });

  it('validates invites and restricts them to the owner', async () => {
    const member = await engine.client('shop');
    const login = subjectOf(member);
    expectError(await owner.post(`/workspaces/${wsid}/invites`, { login, roles: ['shop.Nope'] }), 400, {
      field: 'roles[0]',
      message: 'unknown role shop.Nope',
    });
    expectError(await owner.post(`/workspaces/${wsid}/invites`, { login, roles: ['sys.WorkspaceOwner'] }), 400, {
      field: 'roles[0]',
      message: 'cannot be granted',
    });
    expectError(await owner.post(`/workspaces/${wsid}/invites`, { login, roles: 'shop.Clerk' }), 400, {
      field: 'roles',
    });
    expectError(await owner.post(`/workspaces/${wsid}/invites`, { login, roles: ['shop.Clerk'], extra: 1 }), 400);
    expectError(await owner.post(`/workspaces/${wsid}/invites`, { login: '', roles: ['shop.Clerk'] }), 400, {
      field: 'login',
    });
    expectError(
      await owner.post(`/workspaces/${wsid}/invites`, { login: subjectOf(owner), roles: ['shop.Clerk'] }),
      409,
    );
    expectError(await member.post(`/workspaces/${wsid}/invites`, { login, roles: ['shop.Clerk'] }), 403);
    expectError(await member.get(`/workspaces/${wsid}/invites`), 403);
    expectError(await owner.withToken(null).post(`/workspaces/${wsid}/invites`, { login, roles: ['shop.Clerk'] }), 401);
    expectError(await owner.withToken(null).get('/invites'), 401);
    expectError(await owner.post(`/workspaces/${wsid}/invites/999999999/accept`), 404);
    expectError(await owner.delete(`/workspaces/${wsid}/invites/999999999`), 404);
    expectError(await owner.get(`/workspaces/99999999/invites`), 404);
    expectError(
      await owner.patch(`/workspaces/${wsid}/members/${encodeURIComponent(login)}`, { roles: ['shop.Clerk'] }),
      404,
    );
    expectError(await owner.patch(`/workspaces/${wsid}/members/x`, { roles: ['shop.Bad'] }), 400, {
      field: 'roles[0]',
    });
    // Another app's token → 401.
    const todoToken = await engine.token('todo', login);
    expectError(await member.withToken(todoToken).get('/invites'), 401);
  });
});
