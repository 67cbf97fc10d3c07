import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '@stoa/auth';
import { AppError } from '@stoa/errors';
import type { AppService, EngineCore } from '../core/service.js';
import type { EngineResources } from '../resources.js';
import { handleAppRoute } from './app-routes.js';
import { IDENTITY_ROUTES, handleIdentityRoute } from './identity-routes.js';
import { MEMBERSHIP_ROUTES, handleMembershipRoute } from './membership-routes.js';
import { Exchange, JSON_CONTENT_TYPE } from './exchange.js';
import { createHttpMetrics } from './http-metrics.js';
import { NotificationChannels } from './notifications.js';
import { generateOpenApi } from './openapi.js';
import { RateLimiter } from './rate-limiter.js';
import { type RouteMatch, matchRoute } from './router.js';

/**
 * The HTTP edge of the engine: a plain node:http request listener. Per request: request id →
 * route (404/405) → app (404) → bearer token (401) → route handler (validation 400, rate limit 429,
 * core call) → JSON answer, or the AppError's status and body. Metrics and logs are labelled with
 * the route template, app, wsid and request id.
 */

export interface HttpHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Ends every SSE stream (the server's close() calls it so shutdown is not held open). */
  shutdown(): void;
}

export interface HttpHandlerOptions {
  /** SSE heartbeat comment interval (default 25 s). */
  readonly heartbeatMs?: number;
  /** Open SSE channels at most (503 beyond). */
  readonly maxChannels?: number;
  /** Rate-limit buckets kept per app at most. */
  readonly maxRateBuckets?: number;
  /** The engine admin API (`/admin/v1/…`, admin/admin-routes.ts); without it those paths are 404. */
  readonly admin?: { (ex: Exchange): Promise<void>; shutdown?(): void };
}

const REQUEST_ID_RE = /^[\w.:@-]{1,128}$/;

export function createHttpHandler(
  core: EngineCore,
  resources: EngineResources,
  options: HttpHandlerOptions = {},
): HttpHandler {
  const metrics = createHttpMetrics(resources.metrics);
  const logger = resources.logger;
  const channels = new NotificationChannels(core.notifications, {
    heartbeatMs: options.heartbeatMs,
    maxChannels: options.maxChannels,
  });
  // Keyed by the AppService object: a redeploy produces a new one, with fresh limits and schema.
  const limiters = new WeakMap<AppService, RateLimiter>();
  const openapiDocs = new WeakMap<AppService, string>();
  const idPrefix = randomBytes(4).toString('hex');
  let sequence = 0;

  const limiterFor = (app: AppService): RateLimiter => {
    let limiter = limiters.get(app);
    if (limiter === undefined) {
      limiter = new RateLimiter(app.appdef, app.partitions, {
        now: resources.now,
        maxBuckets: options.maxRateBuckets,
      });
      limiters.set(app, limiter);
    }
    return limiter;
  };
  const openapiFor = (app: AppService): string => {
    let doc = openapiDocs.get(app);
    if (doc === undefined) {
      doc = JSON.stringify(generateOpenApi(app));
      openapiDocs.set(app, doc);
    }
    return doc;
  };

  const authenticate = async (ex: Exchange, appKey: string): Promise<Principal | null> => {
    const header = ex.req.headers.authorization;
    if (header === undefined) return null;
    const token = bearerToken(header);
    if (token === undefined) {
      throw new AppError('UNAUTHENTICATED', 'malformed authorization header: expected "Bearer <token>"');
    }
    return resources.authenticator.authenticate(appKey, token);
  };

  /** authenticate + the per-request "login still active" check (a deactivated login → 401). */
  const authenticateActive = async (ex: Exchange, appKey: string, app: AppService): Promise<Principal | null> => {
    const principal = await authenticate(ex, appKey);
    if (principal !== null && app.identity !== undefined) await app.identity.checkPrincipal(principal);
    return principal;
  };

  const dispatch = async (ex: Exchange): Promise<void> => {
    if (ex.path.startsWith('/admin/') && options.admin !== undefined) {
      await options.admin(ex);
      return;
    }
    const match = matchRoute(ex.path);
    if (match === undefined) throw new AppError('NOT_FOUND', 'route not found');
    ex.route = match.route.template;
    if (!match.route.methods.includes(ex.method)) {
      ex.res.setHeader('allow', match.route.allow);
      throw new AppError('METHOD_NOT_ALLOWED', `method ${ex.method} not allowed here; allowed: ${match.route.allow}`);
    }
    switch (match.route.id) {
      case 'healthz':
        ex.sendJson(200, { status: 'ok' });
        return;
      case 'readyz':
        if (!core.isReady()) throw new AppError('UNAVAILABLE', 'engine is not ready', { retryAfterSeconds: 1 });
        ex.sendJson(200, { status: 'ready' });
        return;
      case 'metrics':
        ex.sendText(200, resources.metrics.contentType, await resources.metrics.metrics());
        return;
      case 'jwks':
        ex.res.setHeader('cache-control', 'public, max-age=300');
        ex.sendJson(200, await resources.jwks());
        return;
      default:
        await dispatchApp(ex, match);
    }
  };

  const dispatchApp = async (ex: Exchange, match: RouteMatch): Promise<void> => {
    const owner = match.params.owner ?? '';
    const name = match.params.app ?? '';
    const appKey = `${owner}/${name}`;
    ex.app = appKey;
    const lease = await core.acquireApp(owner, name);
    if (lease === undefined) throw new AppError('NOT_FOUND', `app ${appKey} not found`);
    try {
      await dispatchAppRoute(ex, match, appKey, lease.service);
    } finally {
      lease.release();
    }
  };

  const dispatchAppRoute = async (ex: Exchange, match: RouteMatch, appKey: string, app: AppService): Promise<void> => {
    if (match.route.id === 'openapi') {
      ex.sendText(200, JSON_CONTENT_TYPE, openapiFor(app));
      return;
    }
    if (IDENTITY_ROUTES.has(match.route.id)) {
      // Public identity routes ignore a token that is sent (an expired one must not block login).
      const caller = match.route.public ? null : await authenticateActive(ex, appKey, app);
      await handleIdentityRoute(ex, match, app, caller, resources.limits.maxBodyBytes);
      return;
    }
    const principal = await authenticateActive(ex, appKey, app);
    if (MEMBERSHIP_ROUTES.has(match.route.id)) {
      await handleMembershipRoute(ex, match, app, principal, resources.limits.maxBodyBytes);
      return;
    }
    await handleAppRoute(ex, match, app, principal, {
      resources,
      channels,
      limiter: limiterFor,
    });
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const incomingId = req.headers['x-request-id'];
    const requestId =
      typeof incomingId === 'string' && REQUEST_ID_RE.test(incomingId)
        ? incomingId
        : `${idPrefix}-${(++sequence).toString(36)}`;
    res.setHeader('x-request-id', requestId);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const ex = new Exchange(
      req,
      res,
      requestId,
      q === -1 ? url : url.slice(0, q),
      q === -1 ? '' : url.slice(q + 1),
      logger,
      metrics,
    );
    dispatch(ex).catch((e: unknown) => ex.fail(e));
  };
  handler.shutdown = (): void => {
    channels.closeAll();
    options.admin?.shutdown?.();
  };
  return handler;
}

/** The token of `Bearer <token>` (scheme case-insensitive), or undefined when malformed. */
function bearerToken(header: string): string | undefined {
  if (header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = header.slice(7).trim();
  if (token === '' || /\s/.test(token)) return undefined;
  return token;
}
