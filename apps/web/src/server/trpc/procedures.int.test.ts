// Every procedure's behaviour on a real Postgres: happy paths, validation, the role matrix and
// the audit trail. Isolation between orgs is isolation.int.test.ts.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectTrpcError, openPortal, uniqueSuffix, type Portal, type TestUser } from '../../../test/fixtures';
import { authenticateUser } from '../domain/users';

let portal: Portal;

beforeAll(async () => {
  portal = await openPortal();
});

afterAll(async () => {
  await portal?.drop();
});

async function auditActions(orgId: string | null, actorId?: string): Promise<string[]> {
  const rows = await portal.db.auditLog.findMany({
    where: { orgId, ...(actorId === undefined ? {} : { actorId }) },
    orderBy: { createdAt: 'asc' },
  });
  return rows.map((r) => r.action);
}

describe('auth.signUp and sign-in', () => {
  it('creates a user with a scrypt hash — and nothing else', async () => {
    const email = `New.User-${uniqueSuffix()}@Example.test`;
    const user = await portal.anonymous.auth.signUp({
      email: `  ${email} `,
      name: ' New User ',
      password: 'correct horse 1',
    });
    expect(user.email).toBe(email.toLowerCase());
    expect(user.name).toBe('New User');
    const row = await portal.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(row.passwordHash).toMatch(/^scrypt\$15\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(row.passwordHash).not.toContain('correct horse');
    expect(row.isAdmin).toBe(false);
    expect(await portal.db.membership.count({ where: { userId: user.id } })).toBe(0);
    expect(await auditActions(null, user.id)).toEqual(['user.signUp']);
    expect(await portal.as(user).org.listMine()).toEqual([]);
  });

  it('validates email, name and password length (≥ 10)', async () => {
    const ok = { email: `v-${uniqueSuffix()}@example.test`, name: 'V', password: '0123456789' };
    const bad = [
      { ...ok, email: 'not-an-email' },
      { ...ok, name: '   ' },
      { ...ok, password: '012345678' },
      { ...ok, password: 'x'.repeat(201) },
    ];
    for (const input of bad) {
      const error = await expectTrpcError(portal.anonymous.auth.signUp(input), 'BAD_REQUEST');
      expect(error.message.length).toBeGreaterThan(0);
    }
    expect(await portal.db.user.count({ where: { email: ok.email } })).toBe(0);
    await portal.anonymous.auth.signUp(ok);
    expect(await portal.db.user.count({ where: { email: ok.email } })).toBe(1);
  });

  it('answers CONFLICT for a taken email, in any case', async () => {
    const user = await portal.createUser('dup');
    const error = await expectTrpcError(
      portal.anonymous.auth.signUp({ email: user.email.toUpperCase(), name: 'Other', password: 'another-password' }),
      'CONFLICT',
    );
    expect(error.message).toBe('an account with this email already exists');
    expect(await portal.db.user.count({ where: { email: user.email } })).toBe(1);
  });

  it('signs in with the right password only, and alike for unknown emails', async () => {
    const user = await portal.createUser('signin');
    expect(await authenticateUser(portal.db, { email: user.email.toUpperCase(), password: user.password })).toEqual({
      id: user.id,
      email: user.email,
      name: user.name,
    });
    expect(await authenticateUser(portal.db, { email: user.email, password: `${user.password}x` })).toBeNull();
    expect(
      await authenticateUser(portal.db, { email: `nobody-${uniqueSuffix()}@example.test`, password: 'whatever-pw' }),
    ).toBeNull();
    expect(await authenticateUser(portal.db, { email: '', password: user.password })).toBeNull();
  });
});

describe('orgs', () => {
  it('org.create makes the creator owner; listMine and get show it', async () => {
    const user = await portal.createUser('creator');
    const slug = `acme-${uniqueSuffix()}`;
    const org = await portal.as(user).org.create({ slug, name: ' Acme ' });
    expect(org).toMatchObject({ slug, name: 'Acme', role: 'owner' });
    const membership = await portal.db.membership.findUniqueOrThrow({
      where: { orgId_userId: { orgId: org.id, userId: user.id } },
    });
    expect(membership.role).toBe('owner');
    expect(await portal.as(user).org.listMine()).toEqual([org]);
    expect(await portal.as(user).org.get({ orgSlug: slug })).toEqual(org);
    expect(await auditActions(org.id)).toEqual(['org.create']);
  });

  it('org.create refuses bad, reserved and taken slugs', async () => {
    const user = await portal.createUser('slugs');
    for (const slug of ['Acme', '-acme', 'a b', 'a'.repeat(64), 'local', 'sys', 'new', '']) {
      await expectTrpcError(portal.as(user).org.create({ slug, name: 'X' }), 'BAD_REQUEST');
    }
    const taken = await portal.createOrg(user, 'taken');
    const other = await portal.createUser('slugs-2');
    await expectTrpcError(portal.as(other).org.create({ slug: taken.slug, name: 'Mine' }), 'CONFLICT');
    expect(await portal.as(other).org.listMine()).toEqual([]);
    // The engine's owner rule allows "_" and a leading digit.
    const fine = `0_ok-${uniqueSuffix()}`;
    expect((await portal.as(user).org.create({ slug: fine, name: 'Fine' })).slug).toBe(fine);
  });
});

describe('apps', () => {
  it('app.create, list and get within the org', async () => {
    const owner = await portal.createUser('apps');
    const org = await portal.createOrg(owner, 'apps');
    const caller = portal.as(owner);
    expect(await caller.app.list({ orgSlug: org.slug })).toEqual([]);
    const created = await caller.app.create({ orgSlug: org.slug, name: 'todo' });
    expect(created).toMatchObject({ name: 'todo', enginePath: `${org.slug}/todo` });
    await caller.app.create({ orgSlug: org.slug, name: 'shop-2' });
    expect((await caller.app.list({ orgSlug: org.slug })).map((a) => a.name)).toEqual(['shop-2', 'todo']);
    expect(await caller.app.get({ orgSlug: org.slug, name: 'todo' })).toEqual(created);
    await expectTrpcError(caller.app.get({ orgSlug: org.slug, name: 'missing' }), 'NOT_FOUND');
    await expectTrpcError(caller.app.create({ orgSlug: org.slug, name: 'todo' }), 'CONFLICT');
    for (const name of ['Todo', '1app', 'my_app', 'a'.repeat(64)]) {
      await expectTrpcError(caller.app.create({ orgSlug: org.slug, name }), 'BAD_REQUEST');
    }
    expect(await auditActions(org.id)).toEqual(['org.create', 'app.create', 'app.create']);
  });
});

describe('members and invitations', () => {
  let owner: TestUser;
  let org: { id: string; slug: string };

  beforeAll(async () => {
    owner = await portal.createUser('inv-owner');
    org = await portal.createOrg(owner, 'inv');
  });

  it('invitation.create returns the token once and stores only its sha256', async () => {
    const invitee = await portal.createUser('invitee');
    const { invitation, token } = await portal
      .as(owner)
      .invitation.create({ orgSlug: org.slug, email: invitee.email.toUpperCase(), role: 'developer' });
    expect(token).toMatch(/^stoa_inv_[\w-]{43}$/);
    expect(invitation).toMatchObject({ email: invitee.email, role: 'developer', expired: false });
    const row = await portal.db.invitation.findUniqueOrThrow({ where: { id: invitation.id } });
    expect(row.tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);
    const listed = await portal.as(owner).invitation.list({ orgSlug: org.slug });
    expect(listed.map((i) => i.id)).toContain(invitation.id);
    expect(JSON.stringify(listed)).not.toContain(token);

    // A second invitation for the same email while one is pending: revoke first.
    await expectTrpcError(
      portal.as(owner).invitation.create({ orgSlug: org.slug, email: invitee.email, role: 'viewer' }),
      'CONFLICT',
    );

    const joined = await portal.as(invitee).invitation.accept({ token });
    expect(joined).toEqual({ orgSlug: org.slug, orgName: 'Org inv', role: 'developer' });
    const members = await portal.as(invitee).member.list({ orgSlug: org.slug });
    expect(members.map((m) => [m.email, m.role])).toEqual([
      [owner.email, 'owner'],
      [invitee.email, 'developer'],
    ]);
    // Used once; gone from the pending list; inviting a member is a conflict.
    await expectTrpcError(portal.as(invitee).invitation.accept({ token }), 'NOT_FOUND');
    expect((await portal.as(owner).invitation.list({ orgSlug: org.slug })).map((i) => i.id)).not.toContain(
      invitation.id,
    );
    await expectTrpcError(
      portal.as(owner).invitation.create({ orgSlug: org.slug, email: invitee.email, role: 'viewer' }),
      'CONFLICT',
    );
  });

  it('invitation.accept needs the invited email, a live invitation and a session', async () => {
    const invitee = await portal.createUser('target');
    const other = await portal.createUser('other');
    const { invitation, token } = await portal
      .as(owner)
      .invitation.create({ orgSlug: org.slug, email: invitee.email, role: 'viewer' });
    await expectTrpcError(portal.as(other).invitation.accept({ token }), 'FORBIDDEN');
    await expectTrpcError(portal.anonymous.invitation.accept({ token }), 'UNAUTHORIZED');
    await expectTrpcError(portal.as(invitee).invitation.accept({ token: `${token}x` }), 'NOT_FOUND');
    await portal.db.invitation.update({
      where: { id: invitation.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const expired = await portal.as(owner).invitation.list({ orgSlug: org.slug });
    expect(expired.find((i) => i.id === invitation.id)?.expired).toBe(true);
    await expectTrpcError(portal.as(invitee).invitation.accept({ token }), 'PRECONDITION_FAILED');
    expect(await portal.db.membership.count({ where: { orgId: org.id, userId: { in: [invitee.id, other.id] } } })).toBe(
      0,
    );
  });

  it('invitation.revoke deletes it, and its token stops working', async () => {
    const invitee = await portal.createUser('revoked');
    const { invitation, token } = await portal
      .as(owner)
      .invitation.create({ orgSlug: org.slug, email: invitee.email, role: 'admin' });
    expect(await portal.as(owner).invitation.revoke({ orgSlug: org.slug, invitationId: invitation.id })).toEqual({
      invitationId: invitation.id,
    });
    expect(await portal.db.invitation.count({ where: { id: invitation.id } })).toBe(0);
    await expectTrpcError(portal.as(invitee).invitation.accept({ token }), 'NOT_FOUND');
    await expectTrpcError(
      portal.as(owner).invitation.revoke({ orgSlug: org.slug, invitationId: invitation.id }),
      'NOT_FOUND',
    );
  });

  it('member.changeRole and member.remove, with an audit trail', async () => {
    const dev = await portal.createUser('promote');
    await portal.addMember(org, owner, dev, 'developer');
    const changed = await portal.as(owner).member.changeRole({ orgSlug: org.slug, userId: dev.id, role: 'admin' });
    expect(changed).toMatchObject({ userId: dev.id, role: 'admin' });
    expect((await portal.as(dev).org.get({ orgSlug: org.slug })).role).toBe('admin');
    await portal.as(owner).member.remove({ orgSlug: org.slug, userId: dev.id });
    await expectTrpcError(portal.as(dev).org.get({ orgSlug: org.slug }), 'NOT_FOUND');
    await expectTrpcError(portal.as(owner).member.remove({ orgSlug: org.slug, userId: dev.id }), 'NOT_FOUND');
    const audit = await portal.db.auditLog.findMany({
      where: { orgId: org.id, target: `user:${dev.id}` },
      orderBy: { createdAt: 'asc' },
    });
    expect(audit.map((a) => [a.action, a.actorId, a.data])).toEqual([
      ['member.role.change', owner.id, { from: 'developer', to: 'admin' }],
      ['member.remove', owner.id, { role: 'admin' }],
    ]);
    const actions = await auditActions(org.id);
    expect(actions).toEqual(expect.arrayContaining(['invitation.create', 'invitation.accept', 'invitation.revoke']));
  });
});

describe('role matrix', () => {
  let owner: TestUser;
  let admin: TestUser;
  let developer: TestUser;
  let viewer: TestUser;
  let org: { id: string; slug: string };

  beforeAll(async () => {
    [owner, admin, developer, viewer] = await Promise.all([
      portal.createUser('r-owner'),
      portal.createUser('r-admin'),
      portal.createUser('r-developer'),
      portal.createUser('r-viewer'),
    ]);
    org = await portal.createOrg(owner, 'roles');
    await portal.addMember(org, owner, admin, 'admin');
    await portal.addMember(org, owner, developer, 'developer');
    await portal.addMember(org, owner, viewer, 'viewer');
  });

  async function rolesNow(): Promise<Record<string, string>> {
    const rows = await portal.db.membership.findMany({ where: { orgId: org.id } });
    return Object.fromEntries(rows.map((r) => [r.userId, r.role]));
  }

  it('viewers read; they cannot create apps, manage members or see invitations', async () => {
    const v = portal.as(viewer);
    const before = await rolesNow();
    expect((await v.org.get({ orgSlug: org.slug })).role).toBe('viewer');
    expect((await v.member.list({ orgSlug: org.slug })).length).toBe(4);
    expect(await v.app.list({ orgSlug: org.slug })).toEqual([]);
    await expectTrpcError(v.app.create({ orgSlug: org.slug, name: 'nope' }), 'FORBIDDEN');
    await expectTrpcError(
      v.invitation.create({ orgSlug: org.slug, email: 'x@example.test', role: 'viewer' }),
      'FORBIDDEN',
    );
    await expectTrpcError(v.invitation.list({ orgSlug: org.slug }), 'FORBIDDEN');
    await expectTrpcError(v.member.changeRole({ orgSlug: org.slug, userId: viewer.id, role: 'admin' }), 'FORBIDDEN');
    await expectTrpcError(v.member.remove({ orgSlug: org.slug, userId: developer.id }), 'FORBIDDEN');
    expect(await portal.db.app.count({ where: { orgId: org.id } })).toBe(0);
    expect(await rolesNow()).toEqual(before);
  });

  it('developers create apps; they cannot invite or change roles', async () => {
    const d = portal.as(developer);
    const before = await rolesNow();
    expect((await d.app.create({ orgSlug: org.slug, name: 'dev-app' })).name).toBe('dev-app');
    await expectTrpcError(
      d.invitation.create({ orgSlug: org.slug, email: 'x@example.test', role: 'viewer' }),
      'FORBIDDEN',
    );
    await expectTrpcError(
      d.member.changeRole({ orgSlug: org.slug, userId: viewer.id, role: 'developer' }),
      'FORBIDDEN',
    );
    const { invitation } = await portal
      .as(owner)
      .invitation.create({ orgSlug: org.slug, email: `d-${uniqueSuffix()}@example.test`, role: 'viewer' });
    await expectTrpcError(d.invitation.revoke({ orgSlug: org.slug, invitationId: invitation.id }), 'FORBIDDEN');
    expect(await portal.db.invitation.count({ where: { id: invitation.id } })).toBe(1);
    expect(await rolesNow()).toEqual(before);
  });

  it('admins manage non-owners; they cannot grant, revoke or invite owners', async () => {
    const a = portal.as(admin);
    const before = await rolesNow();
    await expectTrpcError(a.member.changeRole({ orgSlug: org.slug, userId: developer.id, role: 'owner' }), 'FORBIDDEN');
    await expectTrpcError(a.member.changeRole({ orgSlug: org.slug, userId: admin.id, role: 'owner' }), 'FORBIDDEN');
    await expectTrpcError(a.member.changeRole({ orgSlug: org.slug, userId: owner.id, role: 'admin' }), 'FORBIDDEN');
    await expectTrpcError(a.member.remove({ orgSlug: org.slug, userId: owner.id }), 'FORBIDDEN');
    await expectTrpcError(
      a.invitation.create({ orgSlug: org.slug, email: 'o@example.test', role: 'owner' }),
      'FORBIDDEN',
    );
    const ownerInvite = await portal
      .as(owner)
      .invitation.create({ orgSlug: org.slug, email: `o-${uniqueSuffix()}@example.test`, role: 'owner' });
    await expectTrpcError(
      a.invitation.revoke({ orgSlug: org.slug, invitationId: ownerInvite.invitation.id }),
      'FORBIDDEN',
    );
    expect(await rolesNow()).toEqual(before);

    await a.member.changeRole({ orgSlug: org.slug, userId: viewer.id, role: 'developer' });
    const invited = await a.invitation.create({
      orgSlug: org.slug,
      email: `a-${uniqueSuffix()}@example.test`,
      role: 'admin',
    });
    await a.invitation.revoke({ orgSlug: org.slug, invitationId: invited.invitation.id });
    await a.member.changeRole({ orgSlug: org.slug, userId: viewer.id, role: 'viewer' });
    expect(await rolesNow()).toEqual(before);
  });

  it('the last owner can be neither demoted nor removed, not even by themselves', async () => {
    const o = portal.as(owner);
    await expectTrpcError(o.member.changeRole({ orgSlug: org.slug, userId: owner.id, role: 'admin' }), 'CONFLICT');
    await expectTrpcError(o.member.remove({ orgSlug: org.slug, userId: owner.id }), 'CONFLICT');
    expect((await rolesNow())[owner.id]).toBe('owner');

    // With a second owner, the first may step down; then the second is the last one.
    await o.member.changeRole({ orgSlug: org.slug, userId: admin.id, role: 'owner' });
    await o.member.changeRole({ orgSlug: org.slug, userId: owner.id, role: 'admin' });
    await expectTrpcError(
      portal.as(admin).member.changeRole({ orgSlug: org.slug, userId: admin.id, role: 'developer' }),
      'CONFLICT',
    );
    await portal.as(admin).member.changeRole({ orgSlug: org.slug, userId: owner.id, role: 'owner' });
    await portal.as(owner).member.changeRole({ orgSlug: org.slug, userId: admin.id, role: 'admin' });
    expect(Object.values(await rolesNow()).filter((r) => r === 'owner')).toHaveLength(1);
  });

  it('two owners demoting each other at once leave one owner', async () => {
    const second = await portal.createUser('r-second');
    await portal.addMember(org, owner, second, 'owner');
    const results = await Promise.allSettled([
      portal.as(owner).member.changeRole({ orgSlug: org.slug, userId: second.id, role: 'admin' }),
      portal.as(second).member.changeRole({ orgSlug: org.slug, userId: owner.id, role: 'admin' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const roles = await rolesNow();
    expect([roles[owner.id], roles[second.id]].sort()).toEqual(['admin', 'owner']);
  });

  it('any member may leave', async () => {
    const leaver = await portal.createUser('r-leaver');
    await portal.addMember(org, owner, leaver, 'viewer');
    expect(await portal.as(leaver).member.remove({ orgSlug: org.slug, userId: leaver.id })).toEqual({
      userId: leaver.id,
    });
    expect((await rolesNow())[leaver.id]).toBeUndefined();
    const audit = await portal.db.auditLog.findFirst({
      where: { orgId: org.id, target: `user:${leaver.id}`, action: 'member.leave' },
    });
    expect(audit?.actorId).toBe(leaver.id);
  });
});
