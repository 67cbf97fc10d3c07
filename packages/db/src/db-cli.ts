// `npm run migrate -w @stoa/db` and `npm run migration:create -w @stoa/db -- <name>`.
import { pathToFileURL } from 'node:url';
import { isAppError } from '@stoa/errors';
import { createMigration } from './create-migration.js';
import { readDbEnv } from './env.js';
import { migrateDatabase } from './migrate.js';

const USAGE = 'usage: db-cli migrate | db-cli create-migration <snake_case_name>';

/** Runs one command; returns the process exit code. */
export async function runDbCli(argv: readonly string[], print: (line: string) => void): Promise<number> {
  const { databaseUrl } = readDbEnv();
  const [command, name] = argv;
  if (command === 'migrate' && argv.length === 1) {
    const started = performance.now();
    const { applied } = await migrateDatabase({ databaseUrl });
    const ms = Math.round(performance.now() - started);
    print(applied.length === 0 ? `up to date (${ms} ms)` : `applied ${applied.join(', ')} (${ms} ms)`);
    return 0;
  }
  if (command === 'create-migration' && name !== undefined && argv.length === 2) {
    const created = await createMigration({ name, databaseUrl });
    print(created === null ? 'schema and migrations agree: nothing to create' : `wrote ${created.file}`);
    return 0;
  }
  print(USAGE);
  return 2;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runDbCli(process.argv.slice(2), (line) => console.log(line)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(isAppError(error) ? error.message : error);
      process.exitCode = 1;
    },
  );
}
