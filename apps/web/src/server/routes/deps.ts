import type { Db } from '@stoa/db';
import type { Redis } from 'ioredis';
import type { DeployJobs } from '../domain/deployments';
import type { PortalSession } from '../trpc/context';

/**
 * What the portal's plain route handlers need. The `app/api/**\/route.ts` files pass the process's
 * (next-auth session, Postgres, Redis); the integration tests pass a test database, a queue under a
 * unique prefix and a fixed session.
 */
export interface RouteDeps {
  readonly db: Db;
  readonly jobs: DeployJobs;
  /** Redis for reading the deploy log (the follower subscribes on a duplicate). */
  readonly redis: Redis;
  readonly getSession: () => Promise<PortalSession | null>;
  /** SSE heartbeat period (default 15 s); also how often a stream checks for a final status. */
  readonly heartbeatMs?: number;
}
