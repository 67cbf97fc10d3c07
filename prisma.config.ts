// Prisma CLI configuration (packages/db/README.md). Prisma 6.19.3 with `engine: 'js'`: migrations
// run on the WASM schema engine shipped in the npm package through the pg driver adapter, so no
// engine binary is ever downloaded. `migrateDatabase` (@stoa/db) runs the CLI with this file.
import { defineConfig } from 'prisma/config';
import { createPgAdapterFactory } from './packages/db/src/pg-adapter.js';
import { unrefLongTimers } from './packages/db/src/unref-long-timers.js';

unrefLongTimers();

// Written back so the schema's `url = env("DATABASE_URL")` resolves too: when it does not, Prisma
// 6 cannot read the generator's `engineType = "client"` and falls back to downloading a query
// engine, which fails offline (the adapter below is what actually connects).
const databaseUrl = (process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/stoa');

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  // Called only by commands that touch the database; `prisma generate` never connects.
  adapter: () => Promise.resolve(createPgAdapterFactory(databaseUrl, { max: 2 })),
});
