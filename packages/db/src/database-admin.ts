// Creating and dropping whole databases: done from the server's maintenance database (`postgres`)
// with the same credentials, since a database cannot be created or dropped from inside itself.
import { AppError } from '@stoa/errors';
import pg from 'pg';
import { parseDatabaseUrl, withDatabase, type PgTarget } from './pg-adapter.js';

const MAINTENANCE_DATABASE = 'postgres';
/** Names this package creates or drops on request (test databases, shadow databases). */
const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function describe(target: PgTarget): string {
  return `${target.host}:${target.port}/${target.database}`;
}

async function withClient<T>(target: PgTarget, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ssl: target.ssl,
    connectionTimeoutMillis: 10_000,
  });
  try {
    await client.connect();
  } catch (error) {
    // 3D000 (no such database) is for the caller to handle; anything else means no server.
    if (pgCode(error) === '3D000') throw error;
    throw new AppError('UNAVAILABLE', `cannot reach Postgres at ${describe(target)}`, { cause: error });
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function checkName(database: string): void {
  if (!DATABASE_NAME.test(database)) {
    throw new AppError('BAD_REQUEST', `database name ${JSON.stringify(database)} is not a plain lower-case identifier`);
  }
}

/**
 * Creates the database of `databaseUrl` unless it exists. Returns true when it created it.
 * Safe under concurrency: a racing CREATE of the same name counts as "exists".
 */
export async function ensureDatabaseExists(databaseUrl: string): Promise<boolean> {
  const target = parseDatabaseUrl(databaseUrl);
  try {
    // Connecting to the database itself first also works for roles without access to `postgres`.
    await withClient(target, () => Promise.resolve());
    return false;
  } catch (error) {
    if (pgCode(error) !== '3D000') throw error;
  }
  checkName(target.database);
  return withClient(withDatabase(target, MAINTENANCE_DATABASE), async (client) => {
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(target.database)}`);
      return true;
    } catch (error) {
      // 42P04 duplicate_database; 23505 when two CREATEs race on pg_database's unique index.
      const code = pgCode(error);
      if (code === '42P04' || code === '23505') return false;
      throw error;
    }
  });
}

/** Drops the database of `databaseUrl`, closing other sessions on it (Postgres 13+). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const target = parseDatabaseUrl(databaseUrl);
  checkName(target.database);
  if (target.database === MAINTENANCE_DATABASE) {
    throw new AppError('BAD_REQUEST', 'refusing to drop the maintenance database');
  }
  await withClient(withDatabase(target, MAINTENANCE_DATABASE), async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(target.database)} WITH (FORCE)`);
  });
}

/** Names of the migrations recorded as applied (empty when Prisma never ran on the database). */
export async function listAppliedMigrations(databaseUrl: string): Promise<string[]> {
  return withClient(parseDatabaseUrl(databaseUrl), async (client) => {
    try {
      const result = await client.query<{ migration_name: string }>(
        'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name',
      );
      return result.rows.map((row) => row.migration_name);
    } catch (error) {
      if (pgCode(error) === '42P01') return []; // undefined_table
      throw error;
    }
  });
}
