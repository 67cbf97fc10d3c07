import type { Db } from '@stoa/db';
import type { JobQueue } from '@stoa/jobs';

/** What a procedure needs of the next-auth session: the signed-in user's id. */
export interface PortalSession {
  readonly user: { readonly id: string };
}

/** What procedures use beyond the database (the route builds them from the environment, tests their own). */
export interface PortalServices {
  /** Enqueues `deploy.build` (job id = deployment id, so enqueueing twice is a no-op). */
  readonly jobs: Pick<JobQueue, 'enqueue'>;
  /** STOA_ENGINE_URLS: engine nodes registered when the node list is first read. */
  readonly engineUrls: readonly string[];
  /** Deadline of one engine node health check (`node.check`). */
  readonly nodeCheckTimeoutMs: number;
}

/**
 * Per-request context. The route handler builds it from `getServerSession`; tests build it with a
 * real user's id, a test database and a queue under a unique Redis prefix.
 */
export interface TrpcContext {
  readonly db: Db;
  readonly session: PortalSession | null;
  readonly services: PortalServices;
}
