import { PrismaClient } from './generated/prisma/client.js';
import { createPgAdapterFactory } from './pg-adapter.js';

export interface CreateDbOptions {
  /** `postgresql://user[:password]@host[:port]/database`. */
  readonly databaseUrl: string;
  /** Pool size (pg's default 10). */
  readonly maxConnections?: number;
}

/** The control plane's Prisma client; `close()` ends its connection pool. */
export type Db = PrismaClient & { close(): Promise<void> };

/**
 * A Prisma client on the pg driver adapter (engineType "client": the query compiler is WASM in
 * @prisma/client, no engine binary). Connects lazily, on the first query.
 */
export function createDb(options: CreateDbOptions): Db {
  const adapter = createPgAdapterFactory(
    options.databaseUrl,
    options.maxConnections === undefined ? {} : { max: options.maxConnections },
  );
  const client = new PrismaClient({ adapter });
  return Object.assign(client, { close: () => client.$disconnect() });
}
