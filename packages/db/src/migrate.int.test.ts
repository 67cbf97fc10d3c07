// The offline migration runner on the local Postgres: a database that does not exist yet is
// created and migrated, a second run is a no-op, concurrent runs agree, and new migrations can be
// authored with `prisma migrate diff` (the CLI runs in child processes, hence *.int.test.ts).
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createMigration } from './create-migration.js';
import { dropDatabase } from './database-admin.js';
import { readDbEnv } from './env.js';
import { migrateDatabase } from './migrate.js';
import { parseDatabaseUrl, toDatabaseUrl, withDatabase } from './pg-adapter.js';

const REPO_ROOT = join(import.meta.dirname, '../../..');
const INIT = readdirSync(join(REPO_ROOT, 'prisma/migrations')).find((name) => name.endsWith('_init'));
const server = parseDatabaseUrl(readDbEnv().databaseUrl);
const created: string[] = [];

function freshDatabaseUrl(): string {
  const url = toDatabaseUrl(withDatabase(server, `stoa_db_${randomBytes(8).toString('hex')}`));
  created.push(url);
  return url;
}

async function query<T extends pg.QueryResultRow>(databaseUrl: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function listDatabases(prefix: string): Promise<string[]> {
  const rows = await query<{ datname: string }>(
    toDatabaseUrl(withDatabase(server, 'postgres')),
    `SELECT datname FROM pg_database WHERE datname LIKE '${prefix}%'`,
  );
  return rows.map((r) => r.datname);
}

afterAll(async () => {
  for (const url of created) await dropDatabase(url);
});

describe('migrateDatabase', () => {
  it('creates a missing database, applies the committed migrations, then is a no-op', async () => {
    const databaseUrl = freshDatabaseUrl();
    const lines: string[] = [];
    const started = performance.now();
    const first = await migrateDatabase({ databaseUrl, log: (line) => lines.push(line) });
    const firstMs = performance.now() - started;
    console.info(`migrateDatabase on a fresh database: ${Math.round(firstMs)} ms`);
    expect(INIT).toBeDefined();
    expect(first.applied).toEqual([INIT]);
    expect(lines.join('\n')).toContain('All migrations have been successfully applied');
    // No engine download, no idle timer: the whole run stays well under Prisma's 10 s lock timer.
    expect(firstMs).toBeLessThan(8_000);

    const tables = await query<{ table_name: string }>(
      databaseUrl,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        'User',
        'Org',
        'Membership',
        'Invitation',
        'App',
        'Bundle',
        'SourceUpload',
        'Deployment',
        'GitSource',
        'PortalAccessToken',
        'EngineNode',
        'AuditLog',
        '_prisma_migrations',
      ]),
    );
    const enums = await query<{ typname: string; labels: string }>(
      databaseUrl,
      `SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname ORDER BY t.typname`,
    );
    expect(enums).toEqual([
      { typname: 'DeploymentSource', labels: 'upload,cli,git,rollback' },
      { typname: 'DeploymentStatus', labels: 'queued,building,built,rolling_out,live,failed,superseded' },
      { typname: 'OrgRole', labels: 'owner,admin,developer,viewer' },
    ]);
    const checks = await query<{ conname: string; def: string }>(
      databaseUrl,
      "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE contype = 'c' AND conname LIKE '%_size_check' ORDER BY conname",
    );
    expect(checks.map((c) => c.conname)).toEqual(['Bundle_size_check', 'SourceUpload_size_check']);
    for (const check of checks) {
      expect(check.def).toContain('33554432');
      expect(check.def).toContain('octet_length(bytes)');
    }

    const second = await migrateDatabase({ databaseUrl });
    expect(second.applied).toEqual([]);
    const recorded = await query<{ migration_name: string }>(
      databaseUrl,
      'SELECT migration_name FROM _prisma_migrations',
    );
    expect(recorded).toEqual([{ migration_name: INIT }]);
  });

  it('lets concurrent runs on one database agree (one applies, the other finds it done)', async () => {
    const databaseUrl = freshDatabaseUrl();
    const results = await Promise.all([migrateDatabase({ databaseUrl }), migrateDatabase({ databaseUrl })]);
    expect(results.map((r) => r.applied).sort()).toEqual([[], [INIT]]);
  });

  it('reports an unreachable server as UNAVAILABLE', async () => {
    const databaseUrl = toDatabaseUrl({ ...withDatabase(server, 'stoa_db_unreachable'), port: 1 });
    await expect(migrateDatabase({ databaseUrl })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('createMigration', () => {
  it('finds nothing to do when the schema matches the committed migrations (CHECKs included)', async () => {
    const before = await listDatabases('stoa_db_shadow_');
    expect(await createMigration({ name: 'noop', databaseUrl: freshDatabaseUrl() })).toBeNull();
    // The shadow database replayed the migrations and was dropped again. Other test files create
    // and drop shadow databases of their own meanwhile (pg-adapter.int.test.ts), so a new name may
    // show up for a moment; one that createMigration left behind stays and fails the poll.
    const leftOver = async (): Promise<string[]> =>
      (await listDatabases('stoa_db_shadow_')).filter((d) => !before.includes(d));
    await expect.poll(leftOver, { timeout: 10_000, interval: 100 }).toEqual([]);
  });

  it('writes the SQL for a schema change as the next migration folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stoa-db-migration-'));
    try {
      cpSync(join(REPO_ROOT, 'prisma/migrations'), join(dir, 'migrations'), { recursive: true });
      const schema = readFileSync(join(REPO_ROOT, 'prisma/schema.prisma'), 'utf8').replace(
        /^(\s+isAdmin\s+Boolean\s+@default\(false\))$/m,
        '$1\n  nickname String?',
      );
      expect(schema).toContain('nickname');
      writeFileSync(join(dir, 'schema.prisma'), schema);
      const migration = await createMigration({
        name: 'add_nickname',
        databaseUrl: freshDatabaseUrl(),
        schemaFile: join(dir, 'schema.prisma'),
        migrationsDir: join(dir, 'migrations'),
        now: new Date('2030-01-02T03:04:05Z'),
      });
      expect(migration?.name).toBe('20300102030405_add_nickname');
      expect(readFileSync(join(dir, 'migrations/20300102030405_add_nickname/migration.sql'), 'utf8')).toMatch(
        /ALTER TABLE "User" ADD COLUMN\s+"nickname" TEXT;/,
      );
      // Only the change: the hand-written CHECK constraints are not touched.
      expect(migration?.sql).not.toContain('size_check');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a name that is not snake_case', async () => {
    await expect(createMigration({ name: 'Add Domains', databaseUrl: freshDatabaseUrl() })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });
});
