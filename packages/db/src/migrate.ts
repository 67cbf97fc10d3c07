import { AppError } from '@stoa/errors';
import { ensureDatabaseExists, listAppliedMigrations } from './database-admin.js';
import { runPrismaCli } from './prisma-cli.js';

export interface MigrateOptions {
  readonly databaseUrl: string;
  /** Receives Prisma's output line by line. */
  readonly log?: (line: string) => void;
  /** prisma.config.ts to use; defaults to the repo root's. */
  readonly configFile?: string;
}

export interface MigrateResult {
  /** Migrations applied by this call, oldest first (empty when the database was up to date). */
  readonly applied: string[];
}

/**
 * The migrations `prisma migrate deploy` (6.19.3) reports as applied by this run: the folder
 * names in its tree after "The following migration(s) have been applied:". Only the process that
 * applied a migration lists it, which a before/after look at the table cannot tell when two
 * processes migrate at once.
 */
export function parseAppliedMigrations(output: string): string[] {
  const start = output.indexOf('have been applied');
  if (start === -1) return [];
  return [...output.slice(start).matchAll(/└─ ([^/\s]+)\/\s*$/gm)]
    .map((m) => m[1])
    .filter((name): name is string => name !== undefined);
}

/**
 * Brings a database up to the committed migrations (`prisma migrate deploy`), creating the
 * database first if it does not exist. Offline: Prisma's WASM schema engine through the pg
 * adapter. Concurrent calls are safe (Prisma serialises them with an advisory lock).
 */
export async function migrateDatabase(options: MigrateOptions): Promise<MigrateResult> {
  await ensureDatabaseExists(options.databaseUrl);
  const { stdout, stderr } = await runPrismaCli(['migrate', 'deploy'], options);
  const applied = parseAppliedMigrations(`${stdout}\n${stderr}`);
  // The table is the record: a reported name missing from it means the output was misread.
  const recorded = new Set(await listAppliedMigrations(options.databaseUrl));
  const unknown = applied.filter((name) => !recorded.has(name));
  if (unknown.length > 0) {
    throw new AppError('INTERNAL', `prisma reported migrations the database does not record: ${unknown.join(', ')}`);
  }
  return { applied };
}
