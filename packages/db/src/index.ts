// @stoa/db: the control plane's Postgres (packages/db/README.md). The only package that imports
// Prisma; everything else uses these exports.
export { createDb } from './client.js';
export type { CreateDbOptions, Db } from './client.js';
export { migrateDatabase } from './migrate.js';
export type { MigrateOptions, MigrateResult } from './migrate.js';
export { createMigration } from './create-migration.js';
export type { CreateMigrationOptions, CreatedMigration } from './create-migration.js';
export { toAppError } from './errors.js';
export { DEFAULT_DATABASE_URL, parseDbEnv, readDbEnv } from './env.js';
export type { DbEnv } from './env.js';
// Model types (User, Org, …), enums (OrgRole, DeploymentStatus, DeploymentSource) and the Prisma
// namespace (input types, Prisma.PrismaClientKnownRequestError, …) of the generated client.
export * from './generated/prisma/client.js';
