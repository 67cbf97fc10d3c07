// Membership through the client against a real engine child (mem, examples/todo + examples/shop):
// an invite flow between two signed-up users, members, API tokens (shop: the only PUBLISHED
// role), ACL explain.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, unwrap, type AppClient } from './index.js';
import { startEngine, type EngineChild } from './engine-child.test-util.js';

const unique = (): string => randomBytes(4).toString('hex');

/** Signs a fresh user up and returns the app client with its principal token. */
async function signUp(app: AppClient, name: string): Promise<{ login: string; client: AppClient }> {
  const login = `${name}.${unique()}`;
  unwrap(await app.identity.signUp({ login, password: 'password-1234', displayName: name }));
  const token = unwrap(await app.identity.login({ login, password: 'password-1234' }));
  return { login, client: app.withToken(token.principalToken) };
}

describe('@stoa/client membership against an engine (todo, shop)', () => {
  let engine: EngineChild;
  let todo: AppClient;
  let shop: AppClient;

  beforeAll(async () => {
    engine = await startEngine(['examples/todo', 'examples/shop']);
    const node = createClient({ baseUrl: engine.baseUrl });
    todo = node.app('local', 'todo');
    shop = node.app('local', 'shop');
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it('invites, accepts, lists members, changes roles, removes; declines and revokes', async () => {
    const owner = await signUp(todo, 'owner');
    const guest = await signUp(todo, 'guest');
    const wsid = unwrap(
      await owner.client.createWorkspace({ kind: 'todo.TodoWS', name: 'team', descriptor: { Title: 'Team' } }),
    );

    // The guest may not read the workspace yet.
    expect(await guest.client.listCDocs(wsid, 'todo.Task')).toMatchObject({
      ok: false,
      error: { kind: 'http', status: 403, code: 'FORBIDDEN' },
    });

    const inviteId = unwrap(await owner.client.membership.createInvite(wsid, guest.login, ['todo.Member']));
    expect(inviteId).toBeGreaterThan(0);
    const mine = unwrap(await guest.client.membership.myInvites());
    expect(mine).toEqual([
      expect.objectContaining({
        inviteId,
        wsid,
        login: guest.login,
        roles: ['todo.Member'],
        state: 'created',
        workspaceKind: 'todo.TodoWS',
        invitedBy: owner.login,
      }),
    ]);
    expect(unwrap(await owner.client.membership.listInvites(wsid))).toContainEqual(
      expect.objectContaining({ inviteId, state: 'created' }),
    );
    // Only the invitee answers an invite.
    expect(await owner.client.membership.acceptInvite(wsid, inviteId)).toMatchObject({
      ok: false,
      error: { status: 403, code: 'FORBIDDEN' },
    });

    const accepted = unwrap(await guest.client.membership.acceptInvite(wsid, inviteId));
    expect(accepted).toMatchObject({ wsid, login: guest.login, roles: ['todo.Member'], kind: 'user', owner: false });
    expect(unwrap(await guest.client.membership.myInvites())).toEqual([]);
    expect(await guest.client.membership.acceptInvite(wsid, inviteId)).toMatchObject({
      ok: false,
      error: { status: 409, code: 'CONFLICT' },
    });

    // A member now: inserts a task and sees the workspace in its list.
    const inserted = unwrap(await guest.client.insertDoc(wsid, 'todo.Task', { Title: 'g', Done: false, Priority: 1 }));
    expect(inserted.newIDs['1']).toEqual(expect.any(Number));
    expect(unwrap(await guest.client.listWorkspaces())).toContainEqual(
      expect.objectContaining({ wsid, roles: expect.arrayContaining(['todo.Member']) as unknown }),
    );

    const members = unwrap(await owner.client.membership.listMembers(wsid));
    expect(members).toContainEqual({ login: guest.login, roles: ['todo.Member'], kind: 'user', owner: false });
    expect(members).toContainEqual(expect.objectContaining({ login: owner.login, owner: true }));

    // Role change applies on the next request: a plain member may not insert.
    expect(unwrap(await owner.client.membership.patchMember(wsid, guest.login, []))).toEqual({
      login: guest.login,
      roles: [],
      kind: 'user',
      owner: false,
    });
    expect(await guest.client.insertDoc(wsid, 'todo.Task', { Title: 'h', Done: false, Priority: 1 })).toMatchObject({
      ok: false,
      error: { status: 403, code: 'FORBIDDEN' },
    });

    expect(await owner.client.membership.removeMember(wsid, guest.login)).toEqual({ ok: true, value: undefined });
    expect(unwrap(await owner.client.membership.listMembers(wsid)).map((m) => m.login)).not.toContain(guest.login);

    // Declined, then re-invited and revoked by the owner.
    const second = unwrap(await owner.client.membership.createInvite(wsid, guest.login, ['todo.Member']));
    expect(await guest.client.membership.declineInvite(wsid, second)).toEqual({ ok: true, value: undefined });
    const third = unwrap(await owner.client.membership.createInvite(wsid, guest.login, ['todo.Member']));
    expect(await owner.client.membership.revokeInvite(wsid, third)).toEqual({ ok: true, value: undefined });
    expect(await guest.client.membership.acceptInvite(wsid, third)).toMatchObject({
      ok: false,
      error: { status: 409, message: expect.stringContaining('cancelled') as unknown },
    });
    const states = unwrap(await owner.client.membership.listInvites(wsid)).map((i) => [i.inviteId, i.state]);
    expect(states).toEqual(
      expect.arrayContaining([
        [inviteId, 'accepted'],
        [second, 'declined'],
        [third, 'cancelled'],
      ]),
    );
  });

  it('creates, uses, lists and revokes an API token; explains the ACL', async () => {
    const owner = await signUp(shop, 'shopowner');
    const wsid = unwrap(
      await owner.client.createWorkspace({
        kind: 'shop.ShopWS',
        name: 'corner',
        descriptor: { ShopName: 'Corner', Country: 'DE' },
      }),
    );
    const bad = await owner.client.membership.createApiToken(wsid, { name: 'x', roles: ['shop.Clerk'] });
    expect(bad).toMatchObject({ ok: false, error: { status: 400, code: 'BAD_REQUEST' } });

    const created = unwrap(
      await owner.client.membership.createApiToken(wsid, {
        name: 'reporting',
        roles: ['shop.ApiReader'],
        expiresInSeconds: 3600,
      }),
    );
    expect(created.token.split('.')).toHaveLength(3);
    expect(created.expiresAt).toBeGreaterThan(Date.now() + 3_500_000);

    const bot = owner.client.withToken(created.token);
    expect(await bot.query(wsid, 'shop.Ping')).toEqual({ ok: true, value: [] });
    expect(await bot.membership.listApiTokens(wsid)).toMatchObject({ ok: false, error: { status: 403 } });

    const listed = unwrap(await owner.client.membership.listApiTokens(wsid));
    expect(listed).toEqual([
      expect.objectContaining({ id: created.id, name: 'reporting', roles: ['shop.ApiReader'], revoked: false }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.token);

    expect(await owner.client.membership.revokeApiToken(wsid, created.id)).toEqual({ ok: true, value: undefined });
    expect(unwrap(await owner.client.membership.listApiTokens(wsid))[0]).toMatchObject({ revoked: true });
    expect(await bot.query(wsid, 'shop.Ping')).toMatchObject({
      ok: false,
      error: { kind: 'http', status: 401, code: 'UNAUTHENTICATED', message: 'token revoked' },
    });

    const explained = unwrap(
      await owner.client.membership.explainAcl(wsid, {
        privilege: 'select',
        resource: 'shop.Product',
        roles: ['shop.ApiReader'],
      }),
    );
    expect(explained.allowed).toBe(true);
    expect(explained.fields).toEqual(expect.arrayContaining(['Sku', 'Price']));
    expect(explained.fields).not.toContain('Title');
    expect(explained.rule?.text).toContain('ApiReader');
    const unknownRole = await owner.client.membership.explainAcl(wsid, {
      privilege: 'select',
      resource: 'shop.Product',
      roles: ['shop.Nobody'],
    });
    expect(unknownRole).toMatchObject({ ok: false, error: { status: 400, field: 'roles[0]' } });
  });
});
