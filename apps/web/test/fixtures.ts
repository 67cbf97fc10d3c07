// Shared set-up of the integration tests: a fresh migrated database (`@stoa/db/testing`), users
// signed up through the real procedure, and tRPC callers acting as them. A caller's context holds
// a session object for a real user row, exactly what the route handler builds from next-auth.
// Jobs go to the real Redis on 127.0.0.1:6379 under a queue prefix of this portal's own, removed
// (queues obliterated) by `drop()`.
import { randomBytes } from 'node:crypto';
import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import type { Db } from '@stoa/db';
import { createTestDatabase } from '@stoa/db/testing';
import { createJobQueue, JOB_NAMES, type JobQueue } from '@stoa/jobs';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { RouteDeps } from '../src/server/routes/deps';
import type { PortalServices } from '../src/server/trpc/context';
import { createCaller } from '../src/server/trpc/root';

export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

export type Caller = ReturnType<typeof createCaller>;

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly password: string;
}

export interface Portal {
  readonly db: Db;
  /** The fresh database's URL (for child processes such as the deploy worker). */
  readonly databaseUrl: string;
  /** The job queue procedures enqueue on (a unique prefix on the local Redis). */
  readonly queue: JobQueue;
  /** That queue's Redis key prefix (a worker child given it consumes this portal's jobs). */
  readonly queuePrefix: string;
  readonly redis: Redis;
  readonly services: PortalServices;
  readonly anonymous: Caller;
  as(user: { readonly id: string }): Caller;
  /** Signs a new user up (unique email from `label`). */
  createUser(label: string): Promise<TestUser>;
  /** Creates an org owned by `owner` (unique slug from `label`). */
  createOrg(owner: TestUser, label: string): Promise<{ id: string; slug: string }>;
  /** Invites `user` to `org` as `role` (by `inviter`) and accepts; returns nothing. */
  addMember(
    org: { slug: string },
    inviter: TestUser,
    user: TestUser,
    role: 'owner' | 'admin' | 'developer' | 'viewer',
  ): Promise<void>;
  /** Makes `user` a platform administrator (the admin area). */
  makeAdmin(user: { readonly id: string }): Promise<void>;
  drop(): Promise<void>;
}

export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

export async function openPortal(options: { engineUrls?: readonly string[] } = {}): Promise<Portal> {
  const database = await createTestDatabase();
  const db = database.db;
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  const queuePrefix = `stoa-web-test-${uniqueSuffix()}`;
  const queue = createJobQueue(redis, { prefix: queuePrefix });
  const services: PortalServices = { jobs: queue, engineUrls: options.engineUrls ?? [], nodeCheckTimeoutMs: 2_000 };
  const anonymous = createCaller({ db, session: null, services });
  const as = (user: { readonly id: string }) => createCaller({ db, session: { user: { id: user.id } }, services });
  return {
    db,
    databaseUrl: database.databaseUrl,
    queue,
    queuePrefix,
    redis,
    services,
    anonymous,
    as,
    async createUser(label) {
      const password = `pw-${label}-${randomBytes(6).toString('hex')}`;
      const email = `${label}-${uniqueSuffix()}@example.test`;
      const name = `User ${label}`;
      const user = await anonymous.auth.signUp({ email, name, password });
      return { id: user.id, email, name, password };
    },
    async createOrg(owner, label) {
      const org = await as(owner).org.create({ slug: `${label}-${uniqueSuffix()}`, name: `Org ${label}` });
      return { id: org.id, slug: org.slug };
    },
    async addMember(org, inviter, user, role) {
      const { token } = await as(inviter).invitation.create({ orgSlug: org.slug, email: user.email, role });
      await as(user).invitation.accept({ token });
    },
    async makeAdmin(user) {
      await db.user.update({ where: { id: user.id }, data: { isAdmin: true } });
    },
    async drop() {
      for (const name of JOB_NAMES) await queue.queueOf(name).obliterate({ force: true });
      await queue.close();
      redis.disconnect();
      await database.drop();
    },
  };
}

/** Asserts that `call` fails with a TRPCError whose code is one of `codes`; returns the error. */
export async function expectTrpcError(
  call: Promise<unknown>,
  codes: TRPC_ERROR_CODE_KEY | readonly TRPC_ERROR_CODE_KEY[],
): Promise<TRPCError> {
  const allowed = typeof codes === 'string' ? [codes] : codes;
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a TRPCError ${allowed.join(' | ')}, but the call succeeded`).toBeInstanceOf(TRPCError);
  const error = caught as TRPCError;
  expect(allowed, `got ${error.code}: ${error.message}`).toContain(error.code);
  return error;
}

/** Route handler collaborators acting as `user` (null: no session), on the portal's database and queue. */
export function routeDepsAs(portal: Portal, user: { readonly id: string } | null, heartbeatMs?: number): RouteDeps {
  const session = user === null ? null : { user: { id: user.id } };
  return {
    db: portal.db,
    jobs: portal.queue,
    redis: portal.redis,
    getSession: () => Promise.resolve(session),
    ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
  };
}

/** The job ids waiting (or in any state) in the portal's deploy.build queue. */
export async function buildJobIds(portal: Portal): Promise<string[]> {
  const jobs = await portal.queue.queueOf('deploy.build').getJobs();
  return jobs.map((job) => job.id ?? '').sort();
}
