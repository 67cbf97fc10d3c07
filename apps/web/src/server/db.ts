import { createDb, type Db } from '@stoa/db';
import { readEnv } from '../env';

const dbKey = Symbol.for('stoa.web.db');

/**
 * The process's database client, created on first use. Kept on `globalThis`: Next may evaluate
 * this module more than once (bundle layers, dev reloads) and each copy must not open its own pool.
 */
export function getDb(): Db {
  const holder = globalThis as { [dbKey]?: Db };
  holder[dbKey] ??= createDb({ databaseUrl: readEnv().databaseUrl });
  return holder[dbKey];
}
