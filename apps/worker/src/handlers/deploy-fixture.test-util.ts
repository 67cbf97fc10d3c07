// Test support for the deploy handlers and the worker process: copies of examples/todo with schema
// edits, their upload archives, control-plane rows (org, app, deployment) in a test database, and
// waiting for a deployment to reach a status.
import { cpSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AdminPrivateJwk } from '@stoa/client/admin';
import type { Db, Deployment, DeploymentStatus } from '@stoa/db';
import { zipSync } from 'fflate';
import { REPO_ROOT } from '../build/git-repo.test-util.js';

export const TODO_DIR = join(REPO_ROOT, 'examples/todo');
const TODO_SCHEMA = 'schema/todo.vsql';

/** Copies examples/todo to `dir` and applies `[search, replacement]` edits to its schema (each must match). */
export function writeTodoVariant(dir: string, edits: readonly (readonly [string, string])[] = []): string {
  cpSync(TODO_DIR, dir, { recursive: true, filter: (path) => !path.includes(`${TODO_DIR}/.stoa`) });
  const schemaPath = join(dir, TODO_SCHEMA);
  let schema = readFileSync(schemaPath, 'utf8');
  for (const [search, replacement] of edits) {
    if (!schema.includes(search)) throw new Error(`todo schema has no ${JSON.stringify(search)}`);
    schema = schema.replace(search, replacement);
  }
  writeFileSync(schemaPath, schema);
  return dir;
}

/** Compatible: a new optional field on todo.Task. */
export const ADD_NOTES: readonly [string, string] = [
  'Assignee varchar(100),',
  'Assignee varchar(100),\n        Notes varchar(500),',
];
export const ADD_COLOR: readonly [string, string] = [
  'Assignee varchar(100),',
  'Assignee varchar(100),\n        Color varchar(20),',
];
/** A VSQL syntax error (a missing comma) on line 13. */
export const BREAK_SYNTAX: readonly [string, string] = ['Done bool NOT NULL,', 'Done bool NOT NULL'];
/** Incompatible with a live todo: a field changes its type. */
export const RETYPE_TITLE: readonly [string, string] = ['Title varchar(200) NOT NULL', 'Title int32 NOT NULL'];

/** A project folder as an upload archive, wrapped in one folder as GitHub zips are. */
export function zipProject(dir: string): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (name === '.stoa') continue;
      if (statSync(path).isDirectory()) walk(path);
      else files[`project/${relative(dir, path)}`] = readFileSync(path);
    }
  };
  walk(dir);
  return zipSync(files);
}

export interface TestApp {
  readonly orgId: string;
  readonly appId: string;
  readonly slug: string;
}

/** An org (unique slug) with the app `todo`. */
export async function createTodoApp(db: Db, label: string): Promise<TestApp> {
  const slug = `${label}-${crypto.randomUUID().slice(0, 8)}`;
  const org = await db.org.create({ data: { slug, name: label } });
  const app = await db.app.create({ data: { orgId: org.id, name: 'todo' } });
  return { orgId: org.id, appId: app.id, slug };
}

/** A queued deployment of an uploaded archive (what the portal or `stoa deploy` creates). */
export async function createUploadDeployment(db: Db, app: TestApp, archive: Uint8Array): Promise<Deployment> {
  const upload = await db.sourceUpload.create({
    data: { orgId: app.orgId, bytes: new Uint8Array(archive), size: archive.length },
  });
  return db.deployment.create({ data: { appId: app.appId, source: 'upload', sourceUploadId: upload.id } });
}

const FINAL: readonly DeploymentStatus[] = ['live', 'failed', 'superseded'];

/** Polls until the deployment is in one of `statuses` (default: any final one); fails after `timeoutMs`. */
export async function waitForDeployment(
  db: Db,
  id: string,
  statuses: readonly DeploymentStatus[] = FINAL,
  timeoutMs = 60_000,
): Promise<Deployment> {
  const deadline = Date.now() + timeoutMs;
  let last: Deployment | null = null;
  while (Date.now() < deadline) {
    last = await db.deployment.findUnique({ where: { id } });
    if (last !== null && statuses.includes(last.status)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `deployment ${id} not ${statuses.join('|')} after ${timeoutMs} ms: ${last?.status ?? 'missing'} ${last?.error ?? ''}`,
  );
}

/** The worker environment for tests (what parseEnv reads), on top of the required settings. */
export function workerEnvVars(options: {
  databaseUrl: string;
  redisUrl: string;
  adminKey: AdminPrivateJwk;
  engineUrls: readonly string[];
  extra?: Readonly<Record<string, string>>;
}): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    STOA_ADMIN_PRIVATE_KEY: JSON.stringify(options.adminKey),
    STOA_ENGINE_URLS: options.engineUrls.join(','),
    STOA_GIT_ALLOWED_SCHEMES: 'file',
    STOA_LOG_LEVEL: 'info',
    ...options.extra,
  };
}
