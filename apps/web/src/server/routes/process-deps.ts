import { getPortalSession } from '../auth/session';
import { getDb } from '../db';
import { getServices } from '../services';
import type { RouteDeps } from './deps';

/** The route handlers' collaborators in the running portal (created on first use). */
export function getRouteDeps(): RouteDeps {
  const services = getServices();
  return { db: getDb(), jobs: services.jobs, redis: services.redis, getSession: getPortalSession };
}
