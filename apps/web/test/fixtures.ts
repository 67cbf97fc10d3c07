// Shared set-up of the integration tests: a fresh migrated database (`@stoa/db/testing`), users
// signed up through the real procedure, and tRPC callers acting as them. A caller's context holds
// a session object for a real user row, exactly what the route handler builds from next-auth.
import { randomBytes } from 'node:crypto';
import { TRPCError, type TRPC_ERROR_CODE_KEY } from '@trpc/server';
import type { Db } from '@stoa/db';
import { createTestDatabase } from '@stoa/db/testing';
import { expect } from 'vitest';
import { createCaller } from '../src/server/trpc/root';

export type Caller = ReturnType<typeof createCaller>;

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly password: string;
}

export interface Portal {
  readonly db: Db;
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
  drop(): Promise<void>;
}

export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

export async function openPortal(): Promise<Portal> {
  const database = await createTestDatabase();
  const db = database.db;
  const anonymous = createCaller({ db, session: null });
  const as = (user: { readonly id: string }) => createCaller({ db, session: { user: { id: user.id } } });
  return {
    db,
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
    drop: () => database.drop(),
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
