import type { Db } from '@stoa/db';

/** What a procedure needs of the next-auth session: the signed-in user's id. */
export interface PortalSession {
  readonly user: { readonly id: string };
}

/**
 * Per-request context. The route handler builds it from `getServerSession`; tests build it with a
 * real user's id and a test database.
 */
export interface TrpcContext {
  readonly db: Db;
  readonly session: PortalSession | null;
}
