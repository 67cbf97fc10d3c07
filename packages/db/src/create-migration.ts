// Authoring a migration. `prisma migrate dev --create-only` works on 6.19.3's WASM engine only for
// the very first migration (with earlier ones it fails: "PostgreSQL shadow DB must be provided
// through an external factory"), so this diffs the committed migrations, replayed on a shadow
// database, against the schema with `prisma migrate diff` and writes the result as Prisma would.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AppError } from '@stoa/errors';
import { ensureDatabaseExists } from './database-admin.js';
import { DEFAULT_PRISMA_CONFIG, runPrismaCli } from './prisma-cli.js';

const EMPTY_MIGRATION = '-- This is an empty migration.';

export interface CreateMigrationOptions {
  /** Lower-case words joined by `_`, e.g. `add_domains`. */
  readonly name: string;
  /**
   * The adapter connects here (creating the database if missing) to create and drop the shadow
   * database the committed migrations are replayed on; the database's own contents are not read.
   */
  readonly databaseUrl: string;
  readonly configFile?: string;
  /** Defaults to `prisma/schema.prisma` and `prisma/migrations` beside the config file. */
  readonly schemaFile?: string;
  readonly migrationsDir?: string;
  readonly now?: Date;
  readonly log?: (line: string) => void;
}

export interface CreatedMigration {
  readonly name: string;
  readonly file: string;
  readonly sql: string;
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Writes `<migrations>/<UTC timestamp>_<name>/migration.sql`; null when the schema has no changes. */
export async function createMigration(options: CreateMigrationOptions): Promise<CreatedMigration | null> {
  if (!/^[a-z0-9]+(_[a-z0-9]+)*$/.test(options.name)) {
    throw new AppError('BAD_REQUEST', `migration name ${JSON.stringify(options.name)} must be snake_case`);
  }
  const configFile = options.configFile ?? DEFAULT_PRISMA_CONFIG;
  const root = dirname(configFile);
  const schemaFile = options.schemaFile ?? join(root, 'prisma/schema.prisma');
  const migrationsDir = options.migrationsDir ?? join(root, 'prisma/migrations');
  await ensureDatabaseExists(options.databaseUrl);
  const { stdout } = await runPrismaCli(
    ['migrate', 'diff', '--from-migrations', migrationsDir, '--to-schema-datamodel', schemaFile, '--script'],
    { databaseUrl: options.databaseUrl, configFile, ...(options.log === undefined ? {} : { log: options.log }) },
  );
  const sql = stdout.trim();
  if (sql === '' || sql === EMPTY_MIGRATION) return null;
  const name = `${timestamp(options.now ?? new Date())}_${options.name}`;
  const file = join(migrationsDir, name, 'migration.sql');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${sql}\n`, { flag: 'wx' });
  return { name, file, sql };
}
