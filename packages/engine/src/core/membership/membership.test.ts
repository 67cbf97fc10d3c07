import { createMemDriver, createStorageProvider } from '@stoa/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngineCore, type EngineCoreHandle } from '../engine-core.js';
import type { AppService } from '../service.js';
import { asUser, memResources, todoBundle } from '../test-kit.test-util.js';
import { createTokenRevocations } from './revocations.js';

const cores: EngineCoreHandle[] = [];
afterEach(async () => {
  await Promise.all(cores.splice(0).map((c) => c.close()));
});

async function start(
  provider = createStorageProvider(createMemDriver()),
): Promise<{ app: AppService; provider: typeof provider }> {
  const core = await createEngineCore(memResources({ storage: provider }), { jobs: false, asyncProjectors: false });
  cores.push(core);
  return { app: await core.loadApp(todoBundle()), provider };
}

const task = { Title: 'x', Done: false, Priority: 1 };

describe('membership (core)', () => {
  it('resolves roles from an accepted invite on every request and drops them on removal', async () => {
    const { app } = await start();
    const m = app.membership!;
    const alice = asUser('alice');
    const bob = asUser('bob');
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'w', descriptor: { Title: 'W' } });
    await expect(app.insertDoc(bob, wsid, 'todo.Task', task)).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const { inviteId } = await m.invite(alice, wsid, { login: 'bob', roles: ['todo.Member'] });
    expect(await m.myInvites(bob)).toEqual([
      expect.objectContaining({ inviteId, wsid, state: 'created', roles: ['todo.Member'], workspaceName: 'w' }),
    ]);
    expect(await m.myInvites(asUser('carol'))).toEqual([]);
    await expect(m.acceptInvite(asUser('carol'), wsid, inviteId)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await m.acceptInvite(bob, wsid, inviteId);
    expect((await app.insertDoc(bob, wsid, 'todo.Task', task)).newIDs).toBeDefined();
    expect((await app.listWorkspaces(bob)).map((w) => w.wsid)).toEqual([wsid]);

    await m.updateMember(alice, wsid, 'bob', []);
    await expect(app.insertDoc(bob, wsid, 'todo.Task', task)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await m.listMembers(bob, wsid)).map((x) => x.login).sort()).toEqual(['alice', 'bob']);
    await m.removeMember(alice, wsid, 'bob');
    await expect(m.listMembers(bob, wsid)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await app.listWorkspaces(bob)).toEqual([]);
  });

  it('refuses a second pending invite for the same login within one group-commit batch', async () => {
    const { app } = await start();
    const m = app.membership!;
    const alice = asUser('alice');
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'w', descriptor: { Title: 'W' } });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => m.invite(alice, wsid, { login: 'bob', roles: ['todo.Member'] })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'ok'));
    expect(codes.filter((c) => c === 'CONFLICT')).toHaveLength(4);
  });

  it('keeps memberships and invites across a restart without a checkpoint', async () => {
    const first = await start();
    const alice = asUser('alice');
    const { wsid } = await first.app.createWorkspace(alice, {
      kind: 'todo.TodoWS',
      name: 'w',
      descriptor: { Title: 'W' },
    });
    const a = await first.app.membership!.invite(alice, wsid, { login: 'bob', roles: ['todo.Member'] });
    await first.app.membership!.acceptInvite(asUser('bob'), wsid, a.inviteId);
    await first.app.membership!.invite(alice, wsid, { login: 'carol', roles: [] });
    await cores.splice(0)[0]!.close({ checkpoint: false });

    const second = await start(first.provider);
    expect((await second.app.listWorkspaces(asUser('bob'))).map((w) => w.roles)).toEqual([
      expect.arrayContaining(['todo.Member']),
    ]);
    expect(await second.app.membership!.myInvites(asUser('carol'))).toHaveLength(1);
    expect((await second.app.insertDoc(asUser('bob'), wsid, 'todo.Task', task)).newIDs).toBeDefined();
  });

  it('explains a decision for the owner', async () => {
    const { app } = await start();
    const alice = asUser('alice');
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'w', descriptor: { Title: 'W' } });
    const e = await app.membership!.explainAcl(alice, wsid, { privilege: 'select', resource: 'todo.Task' });
    expect(e).toMatchObject({ allowed: true, fields: 'all', rule: { op: 'grant', principal: 'todo.Member' } });
    expect(e.roles).toEqual(expect.arrayContaining(['sys.WorkspaceOwner', 'todo.Member']));
    await expect(
      app.membership!.explainAcl(asUser('bob'), wsid, { privilege: 'select', resource: 'todo.Task' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('gives API tokens only PUBLISHED roles', async () => {
    const { app } = await start();
    const alice = asUser('alice');
    const { wsid } = await app.createWorkspace(alice, { kind: 'todo.TodoWS', name: 'w', descriptor: { Title: 'W' } });
    // todo has no PUBLISHED role: refused before signing.
    await expect(
      app.membership!.createApiToken(alice, wsid, { name: 'x', roles: ['todo.Member'] }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('token revocations', () => {
  it('remembers revoked jtis until they expire', () => {
    let now = 1_000_000_000;
    const set = createTokenRevocations(() => now);
    set.revoke('a', now / 1000 + 60);
    set.revoke('old', now / 1000 - 3600);
    expect(set.isRevoked('a')).toBe(true);
    expect(set.isRevoked('old')).toBe(false);
    expect(set.isRevoked('b')).toBe(false);
    now += 3600_000;
    for (let i = 0; i < 1024; i++) set.revoke(`x${i}`, now / 1000 + 60);
    expect(set.isRevoked('a')).toBe(false);
    expect(set.size).toBe(1024);
  });
});
