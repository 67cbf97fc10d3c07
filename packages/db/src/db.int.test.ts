// The generated client on the pg adapter against a real, freshly migrated database: relations,
// bytes, transactions, and the database's refusals mapped to AppError.
import { randomBytes } from 'node:crypto';
import { AppError } from '@stoa/errors';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeploymentStatus, OrgRole, toAppError } from './index.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

async function expectAppError(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    return toAppError(error);
  }
  throw new Error('expected the operation to fail');
}

async function sessionsOn(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: t.databaseUrl });
  await client.connect();
  try {
    const name = new URL(databaseUrl).pathname.slice(1);
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
      [name],
    );
    return rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}

async function createOrgWithOwner(slug: string) {
  const user = await t.db.user.create({
    data: { email: `${slug}@example.test`, name: `Owner of ${slug}`, passwordHash: 'scrypt$x' },
  });
  const org = await t.db.org.create({
    data: { slug, name: slug.toUpperCase(), memberships: { create: { userId: user.id, role: OrgRole.owner } } },
  });
  return { user, org };
}

describe('the control-plane model through the client', () => {
  it('links orgs, memberships and users both ways', async () => {
    const { user, org } = await createOrgWithOwner('acme');
    const viewer = await t.db.user.create({ data: { email: 'viewer@example.test', name: 'V', passwordHash: 'h' } });
    await t.db.membership.create({ data: { orgId: org.id, userId: viewer.id, role: 'viewer' } });

    const loaded = await t.db.org.findUniqueOrThrow({
      where: { slug: 'acme' },
      include: { memberships: { include: { user: true }, orderBy: { role: 'asc' } } },
    });
    expect(loaded.memberships.map((m) => [m.role, m.user.email])).toEqual([
      ['owner', 'acme@example.test'],
      ['viewer', 'viewer@example.test'],
    ]);
    const owned = await t.db.user.findUniqueOrThrow({ where: { id: user.id }, include: { memberships: true } });
    expect(owned.memberships).toHaveLength(1);
    expect(owned.memberships[0]?.orgId).toBe(org.id);
    expect(owned.isAdmin).toBe(false);
    expect(owned.createdAt).toBeInstanceOf(Date);

    await t.db.membership.update({
      where: { orgId_userId: { orgId: org.id, userId: viewer.id } },
      data: { role: 'developer' },
    });
    expect(await t.db.membership.count({ where: { orgId: org.id, role: 'developer' } })).toBe(1);
    // Deleting the org cascades to its memberships, never to the users.
    await t.db.org.delete({ where: { id: org.id } });
    expect(await t.db.membership.count({ where: { userId: { in: [user.id, viewer.id] } } })).toBe(0);
    expect(await t.db.user.count({ where: { id: { in: [user.id, viewer.id] } } })).toBe(2);
  });

  it('stores bundle bytes exactly and follows app → deployment → bundle', async () => {
    const { user, org } = await createOrgWithOwner('bytes');
    const app = await t.db.app.create({ data: { orgId: org.id, name: 'todo' } });
    // Every byte value, including 0x00 and invalid UTF-8 sequences, plus random noise.
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(200_000)]);
    const bundle = await t.db.bundle.create({
      data: { id: 'a'.repeat(64), orgId: org.id, bytes, size: bytes.length, manifest: { app: 'todo', files: 3 } },
    });
    const upload = await t.db.sourceUpload.create({
      data: { orgId: org.id, bytes: Buffer.from('zip'), size: 3 },
    });
    const deployment = await t.db.deployment.create({
      data: { appId: app.id, source: 'upload', sourceUploadId: upload.id, createdById: user.id },
    });
    expect(deployment.status).toBe(DeploymentStatus.queued);
    expect(deployment.attempts).toBe(0);

    const built = await t.db.deployment.update({
      where: { id: deployment.id },
      data: { status: 'built', bundleId: bundle.id, startedAt: new Date() },
    });
    expect(built.updatedAt.getTime()).toBeGreaterThanOrEqual(deployment.updatedAt.getTime());

    const loaded = await t.db.app.findUniqueOrThrow({
      where: { orgId_name: { orgId: org.id, name: 'todo' } },
      include: { deployments: { include: { bundle: true, sourceUpload: true, createdBy: true } } },
    });
    const [only] = loaded.deployments;
    expect(only?.status).toBe('built');
    expect(only?.createdBy?.email).toBe('bytes@example.test');
    expect(Buffer.from(only!.bundle!.bytes).equals(bytes)).toBe(true);
    expect(only?.bundle?.manifest).toEqual({ app: 'todo', files: 3 });
    expect(Buffer.from(only!.sourceUpload!.bytes).toString()).toBe('zip');

    // Deleting the source upload keeps the deployment (SetNull); deleting the app removes it.
    await t.db.sourceUpload.delete({ where: { id: upload.id } });
    expect((await t.db.deployment.findUniqueOrThrow({ where: { id: deployment.id } })).sourceUploadId).toBeNull();
    await t.db.app.delete({ where: { id: app.id } });
    expect(await t.db.deployment.count({ where: { id: deployment.id } })).toBe(0);
  });

  it('keeps the rest of the model writable: git source, tokens, engine nodes, audit log', async () => {
    const { user, org } = await createOrgWithOwner('misc');
    const app = await t.db.app.create({
      data: {
        orgId: org.id,
        name: 'shop',
        gitSource: { create: { repoUrl: 'https://example.test/shop.git', webhookSecret: 's3cret' } },
      },
      include: { gitSource: true },
    });
    expect(app.gitSource?.branch).toBe('main');
    await t.db.portalAccessToken.create({
      data: { userId: user.id, orgId: org.id, name: 'ci', tokenHash: 'h1', prefix: 'stoa_ab' },
    });
    await t.db.engineNode.create({ data: { url: 'http://127.0.0.1:8080', name: 'local', registeredById: user.id } });
    await t.db.auditLog.create({
      data: { orgId: org.id, actorId: user.id, action: 'app.create', target: app.id, data: { name: 'shop' } },
    });
    const entries = await t.db.auditLog.findMany({ where: { orgId: org.id }, include: { actor: true } });
    expect(entries.map((e) => [e.action, e.actor?.id, e.data])).toEqual([['app.create', user.id, { name: 'shop' }]]);
    const node = await t.db.engineNode.findUniqueOrThrow({ where: { url: 'http://127.0.0.1:8080' } });
    expect(node.lastStatus).toBe('unknown');
  });

  it('runs interactive transactions and rolls them back on error', async () => {
    const { org } = await createOrgWithOwner('tx');
    await expect(
      t.db.$transaction(async (tx) => {
        await tx.app.create({ data: { orgId: org.id, name: 'rolled-back' } });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await t.db.app.count({ where: { orgId: org.id } })).toBe(0);
    const [a, b] = await t.db.$transaction([
      t.db.app.create({ data: { orgId: org.id, name: 'one' } }),
      t.db.app.create({ data: { orgId: org.id, name: 'two' } }),
    ]);
    expect([a.name, b.name]).toEqual(['one', 'two']);
  });
});

describe('database refusals as AppError', () => {
  it('maps unique violations to CONFLICT naming the fields', async () => {
    await createOrgWithOwner('dupe');
    const err = await expectAppError(t.db.org.create({ data: { slug: 'dupe', name: 'Again' } }));
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('CONFLICT');
    expect(err.httpStatus).toBe(409);
    expect(err.data).toEqual({ model: 'Org', fields: ['slug'] });
    expect(err.message).toBe('Org with the same slug already exists');

    const org = await t.db.org.findUniqueOrThrow({ where: { slug: 'dupe' }, include: { memberships: true } });
    const userId = org.memberships[0]!.userId;
    const compound = await expectAppError(t.db.membership.create({ data: { orgId: org.id, userId, role: 'admin' } }));
    expect(compound.code).toBe('CONFLICT');
    expect(compound.data).toMatchObject({ model: 'Membership', fields: ['orgId', 'userId'] });
  });

  it('maps a missing record to NOT_FOUND and a missing parent to BAD_REQUEST', async () => {
    const missing = await expectAppError(t.db.org.update({ where: { slug: 'nobody' }, data: { name: 'x' } }));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.data).toEqual({ model: 'Org' });
    const orphan = await expectAppError(
      t.db.app.create({ data: { orgId: '00000000-0000-4000-8000-000000000000', name: 'orphan' } }),
    );
    expect(orphan.code).toBe('BAD_REQUEST');
    expect(orphan.data).toEqual({ model: 'App', constraint: 'App_orgId_fkey' });
  });

  it('refuses a bundle or upload whose size does not match its bytes (CHECK)', async () => {
    const { org } = await createOrgWithOwner('check');
    const bundle = await expectAppError(
      t.db.bundle.create({
        data: { id: 'b'.repeat(64), orgId: org.id, bytes: Buffer.from('hello'), size: 4, manifest: {} },
      }),
    );
    expect(bundle.code).toBe('BAD_REQUEST');
    expect(bundle.data).toEqual({ constraint: 'Bundle_size_check' });
    const upload = await expectAppError(
      t.db.sourceUpload.create({ data: { orgId: org.id, bytes: Buffer.from('zip'), size: 99 } }),
    );
    expect(upload.data).toEqual({ constraint: 'SourceUpload_size_check' });
    expect(await t.db.bundle.count({ where: { orgId: org.id } })).toBe(0);
  });

  it('refuses bytes over the 32 MiB cap even when size is honest', async () => {
    const { org } = await createOrgWithOwner('cap');
    // Straight through pg: the constraint is the database's, whatever client writes.
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      const insert = (bytes: Buffer) =>
        client.query('INSERT INTO "SourceUpload" (id, "orgId", bytes, size) VALUES (gen_random_uuid(), $1, $2, $3)', [
          org.id,
          bytes,
          bytes.length,
        ]);
      await expect(insert(Buffer.alloc(32 * 1024 * 1024 + 1))).rejects.toMatchObject({
        code: '23514',
        constraint: 'SourceUpload_size_check',
      });
      await insert(Buffer.alloc(32 * 1024 * 1024));
      expect(await t.db.sourceUpload.count({ where: { orgId: org.id } })).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('rethrows errors that are not expected database refusals', () => {
    const bug = new TypeError('not a database error');
    expect(() => toAppError(bug)).toThrow(bug);
  });
});

describe('createTestDatabase', () => {
  it('gives concurrent callers separate, migrated databases and drops them', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.databaseUrl).not.toBe(b.databaseUrl);
      expect(a.databaseUrl).toMatch(/\/stoa_db_[0-9a-f]{16}$/);
      await a.db.org.create({ data: { slug: 'only-in-a', name: 'A' } });
      expect(await a.db.org.count()).toBe(1);
      expect(await b.db.org.count()).toBe(0);
      // close() ends the pool: no session of `a` is left for DROP … WITH (FORCE) to kill.
      await a.db.close();
      expect(await sessionsOn(a.databaseUrl)).toBe(0);
      expect(await sessionsOn(b.databaseUrl)).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
    const admin = new pg.Client({ connectionString: t.databaseUrl });
    await admin.connect();
    try {
      const names = [a, b].map((d) => new URL(d.databaseUrl).pathname.slice(1));
      const left = await admin.query('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names]);
      expect(left.rows).toEqual([]);
    } finally {
      await admin.end();
    }
    await a.drop(); // idempotent
  });
});
