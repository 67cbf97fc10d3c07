// Test helper (`@stoa/db/testing`): a fresh, migrated database per call on the local Postgres.
import { randomBytes } from 'node:crypto';
import { createDb, type Db } from './client.js';
import { dropDatabase } from './database-admin.js';
import { readDbEnv } from './env.js';
import { migrateDatabase } from './migrate.js';
import { parseDatabaseUrl, toDatabaseUrl, withDatabase } from './pg-adapter.js';

export interface TestDatabase {
  readonly databaseUrl: string;
  readonly db: Db;
  /** Closes `db` and drops the database (WITH (FORCE)); safe to call twice. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Server and credentials to use; its database part is replaced. Defaults to DATABASE_URL. */
  readonly serverUrl?: string;
}

/** Creates `stoa_db_<random>` on the server, applies the committed migrations, opens a client. */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const server = parseDatabaseUrl(options.serverUrl ?? readDbEnv().databaseUrl);
  const databaseUrl = toDatabaseUrl(withDatabase(server, `stoa_db_${randomBytes(8).toString('hex')}`));
  try {
    await migrateDatabase({ databaseUrl });
  } catch (error) {
    await dropDatabase(databaseUrl);
    throw error;
  }
  const db = createDb({ databaseUrl, maxConnections: 4 });
  let dropped: Promise<void> | undefined;
  return {
    databaseUrl,
    db,
    drop: () => {
      dropped ??= db.close().then(() => dropDatabase(databaseUrl));
      return dropped;
    },
  };
}
