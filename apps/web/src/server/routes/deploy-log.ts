// `GET /api/deployments/{id}/logs` (session) and `GET /api/v1/orgs/{slug}/apps/{app}/deployments/{id}/logs`
// (portal access token, for `stoa deploy`): a deployment's build and rollout log as Server-Sent Events.
//
// - The deployment's org must be one the caller is a member of (the token's org), else 404 (the
//   same answer as a deployment that does not exist).
// - The stream is `followDeployLog` (@stoa/jobs): the stored backlog, then live events, each as
//   `id: <seq>` + `data: <the event as JSON>`; it ends after the `end` event. `Last-Event-ID` (sent
//   by EventSource when it reconnects) or `?after=<seq>` resumes after that event.
// - A comment line every `heartbeatMs` keeps proxies from closing an idle stream, and checks the
//   deployment's status: a deployment that is final in Postgres for two checks in a row without an
//   `end` in its log (an expired backlog, a worker that died before writing it) gets a closing
//   `end` event made from its status, without an id, so the client never waits forever. One that is
//   already final when the stream opens and has no `end` stored gets it at once, after the backlog.
import type { Db, DeploymentStatus } from '@stoa/db';
import { AppError } from '@stoa/errors';
import { followDeployLog, readDeployLog, type DeployLogEvent } from '@stoa/jobs';
import { z } from 'zod';
import { appNameSchema, orgSlugSchema } from '../../lib/validation';
import { loadActor } from '../domain/access';
import { isFinalStatus } from '../domain/deployments';
import { authenticateAccessToken } from '../domain/tokens';
import { errorResponse, jsonResponse } from '../http/responses';
import type { RouteDeps } from './deps';
import { bearerTokenOf } from './upload';

export const DEFAULT_HEARTBEAT_MS = 15_000;
/** EventSource's reconnection delay after a dropped connection. */
const RETRY_MS = 3_000;

const uuid = z.uuid();

function resumeAfter(req: Request): number {
  const raw = req.headers.get('last-event-id') ?? new URL(req.url).searchParams.get('after') ?? '';
  return /^\d{1,15}$/.test(raw) ? Number(raw) : 0;
}

function closingEvent(status: DeploymentStatus | 'missing', afterSeq: number): DeployLogEvent {
  return {
    seq: afterSeq + 1,
    at: Date.now(),
    type: 'end',
    status: status === 'failed' || status === 'missing' ? 'failed' : 'live',
    text: `the deployment is ${status} (its log ended without a final line)`,
  };
}

/** The session's route: the deployment's org must be one the signed-in user is a member of. */
export async function handleDeployLogRequest(
  req: Request,
  params: { id: string },
  deps: Pick<RouteDeps, 'db' | 'redis' | 'getSession' | 'heartbeatMs'>,
): Promise<Response> {
  return streamIfReadable(req, params.id, deps, 'GET /api/deployments/…/logs', async () => {
    const session = await deps.getSession();
    if (session === null) return jsonResponse({ code: 'UNAUTHENTICATED', message: 'sign in first' }, 401);
    const actor = await loadActor(deps.db, session.user.id);
    return { app: { org: { memberships: { some: { userId: actor.userId } } } } };
  });
}

/**
 * The tools' route (`stoa deploy` following its deployment): a portal access token of the org;
 * any role may read (as in the portal). The deployment must be of that org's app, else 404.
 */
export async function handleTokenDeployLogRequest(
  req: Request,
  params: { slug: string; app: string; id: string },
  deps: Pick<RouteDeps, 'db' | 'redis' | 'heartbeatMs'>,
): Promise<Response> {
  return streamIfReadable(req, params.id, deps, 'GET /api/v1/orgs/…/deployments/…/logs', async () => {
    const token = bearerTokenOf(req);
    const slug = orgSlugSchema.safeParse(params.slug);
    if (!slug.success) throw new AppError('NOT_FOUND', `org ${params.slug} not found`);
    const actor = await authenticateAccessToken(deps.db, token, slug.data);
    if (!appNameSchema.safeParse(params.app).success) return deploymentNotFound();
    return { app: { orgId: actor.orgId, name: params.app } };
  });
}

type DeploymentScope = NonNullable<NonNullable<Parameters<Db['deployment']['findFirst']>[0]>['where']>;

/**
 * Authenticates (`scope` answers what the caller may read, or a refusal), then streams the log of
 * deployment `id` if it is in that scope — else 404, the answer for one that does not exist.
 */
async function streamIfReadable(
  req: Request,
  id: string,
  deps: Pick<RouteDeps, 'db' | 'redis' | 'heartbeatMs'>,
  route: string,
  scope: () => Promise<DeploymentScope | Response>,
): Promise<Response> {
  let status: DeploymentStatus;
  try {
    const where = await scope();
    if (where instanceof Response) return where;
    if (!uuid.safeParse(id).success) return deploymentNotFound();
    const row = await deps.db.deployment.findFirst({ where: { ...where, id }, select: { status: true } });
    if (row === null) return deploymentNotFound();
    status = row.status;
  } catch (error) {
    return errorResponse(error, route);
  }
  return streamDeployLog(req, id, status, deps);
}

function deploymentNotFound(): Response {
  return jsonResponse({ code: 'NOT_FOUND', message: 'deployment not found' }, 404);
}

/** The stream itself, once the caller may read the deployment (whose status is `status`). */
function streamDeployLog(
  req: Request,
  deploymentId: string,
  status: DeploymentStatus,
  deps: Pick<RouteDeps, 'db' | 'redis' | 'heartbeatMs'>,
): Response {
  const { db, redis } = deps;
  const heartbeatMs = deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  req.signal.addEventListener('abort', onAbort, { once: true });
  const encoder = new TextEncoder();
  let closed = false;

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      let lastSeq = resumeAfter(req);
      const send = (text: string): void => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const sendEvent = (event: DeployLogEvent, withId: boolean): void => {
        lastSeq = Math.max(lastSeq, event.seq);
        send(`${withId ? `id: ${event.seq}\n` : ''}data: ${JSON.stringify(event)}\n\n`);
      };

      let finalChecks = 0;
      const checkFinal = async (): Promise<void> => {
        const row = await db.deployment.findUnique({ where: { id: deploymentId }, select: { status: true } });
        const now = row?.status ?? 'missing';
        finalChecks = now === 'missing' || isFinalStatus(now) ? finalChecks + 1 : 0;
        if (finalChecks >= 2 && !stop.signal.aborted) {
          sendEvent(closingEvent(now, lastSeq), false);
          stop.abort();
        }
      };
      const heartbeat = setInterval(() => {
        send(': heartbeat\n\n');
        checkFinal().catch((error: unknown) => console.error('deploy log: status check failed:', error));
      }, heartbeatMs);

      const pump = async (): Promise<void> => {
        send(`retry: ${RETRY_MS}\n\n`);
        if (isFinalStatus(status)) {
          const backlog = await readDeployLog(redis, deploymentId, lastSeq);
          if (!backlog.some((e) => e.type === 'end')) {
            for (const event of backlog) sendEvent(event, true);
            sendEvent(closingEvent(status, lastSeq), false);
            return;
          }
        }
        for await (const event of followDeployLog(redis, deploymentId, { afterSeq: lastSeq, signal: stop.signal })) {
          sendEvent(event, true);
        }
      };

      pump()
        .catch((error: unknown) => {
          if (!stop.signal.aborted) console.error(`deploy log of ${deploymentId}: stream failed:`, error);
        })
        .finally(() => {
          clearInterval(heartbeat);
          req.signal.removeEventListener('abort', onAbort);
          if (!closed) {
            closed = true;
            controller.close();
          }
        });
    },
    cancel() {
      // The client went away: nothing more is written, the follower unsubscribes.
      closed = true;
      stop.abort();
    },
  });

  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx and similar proxies otherwise buffer the stream.
      'x-accel-buffering': 'no',
    },
  });
}
