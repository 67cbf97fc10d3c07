/**
 * The HTTP edge of the engine admin API, `/admin/v1/…` (docs/admin-api.md). Per request: route
 * template (the metrics label) → system JWT (401, before anything else: a caller without a valid
 * token learns nothing and uploads nothing) → route (404) and method (405 + Allow) → path
 * parameters (400 naming the parameter) → query/body (400 naming the field, 413 beyond the caps)
 * → AdminApi call → JSON answer. AdminApi failures are AppErrors and keep their status and body.
 *
 * `GET /logs?follow=1` is a server-sent event stream: the backlog, then every new line as
 * `id: <seq>` + `data: <LogEntry JSON>`, heartbeat comments in between.
 */
import type { ServerResponse } from 'node:http';
import { AppError } from '@stoa/errors';
import { z } from 'zod';
import { BodyTooLargeError, readBody, readJsonBody } from '../http/body.js';
import type { Exchange } from '../http/exchange.js';
import { objectError, parseOrThrow } from '../http/validation.js';
import type { AdminApi, AdminCaller, AdminTokenVerifier, LogEntry, LogSource, RollbackTarget } from './types.js';

export const ADMIN_PREFIX = '/admin/v1/';
export const DEFAULT_MAX_BUNDLE_BYTES = 32 * 1024 * 1024;
export const MAX_ADMIN_JSON_BYTES = 1024 * 1024;
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;
export const DEFAULT_LOG_LIMIT = 200;
export const MAX_LOG_LIMIT = 1000;
export const DEFAULT_ADMIN_HEARTBEAT_MS = 15_000;
/** A follower that stops reading is cut off rather than buffered without bound. */
const MAX_SSE_BUFFERED_BYTES = 1024 * 1024;

export interface AdminHandlerDeps {
  readonly api: AdminApi;
  readonly verify: AdminTokenVerifier;
  readonly logs: LogSource;
  /** Largest bundle upload (default 32 MiB): 413 beyond, checked while streaming. */
  readonly maxBundleBytes?: number;
  /** SSE heartbeat interval of `/logs?follow=1` (default 15 s). */
  readonly heartbeatMs?: number;
}

export interface AdminHandler {
  /** Answers any `/admin/v1/…` request; never rejects (failures go through `ex.fail`). */
  (ex: Exchange): Promise<void>;
  /** Ends every open log stream (call it when the server closes, or shutdown waits for them). */
  shutdown(): void;
}

export function isAdminPath(path: string): boolean {
  return path.startsWith(ADMIN_PREFIX);
}

type AdminRouteId = 'bundle' | 'apps' | 'app' | 'deployments' | 'rollback' | 'secrets' | 'secret' | 'nodes' | 'logs';

interface AdminRoute {
  readonly id: AdminRouteId;
  readonly template: string;
  readonly methods: readonly string[];
  readonly allow: string;
}

/** Raw (still percent-encoded) path segments; validated per route. */
interface RawParams {
  readonly owner?: string;
  readonly app?: string;
  readonly sha256?: string;
  readonly name?: string;
}

const APP = '/admin/v1/apps/{owner}/{app}';
function route(id: AdminRouteId, template: string, methods: string[]): AdminRoute {
  return { id, template, methods, allow: methods.join(', ') };
}
const ROUTES: Readonly<Record<AdminRouteId, AdminRoute>> = {
  bundle: route('bundle', '/admin/v1/bundles/{sha256}', ['PUT', 'GET']),
  apps: route('apps', '/admin/v1/apps', ['GET']),
  app: route('app', APP, ['GET', 'DELETE']),
  deployments: route('deployments', `${APP}/deployments`, ['POST']),
  rollback: route('rollback', `${APP}/rollback`, ['POST']),
  secrets: route('secrets', `${APP}/secrets`, ['GET']),
  secret: route('secret', `${APP}/secrets/{name}`, ['PUT', 'DELETE']),
  nodes: route('nodes', '/admin/v1/nodes', ['GET']),
  logs: route('logs', '/admin/v1/logs', ['GET']),
};

function matchAdminRoute(path: string): { route: AdminRoute; params: RawParams } | undefined {
  if (!isAdminPath(path)) return undefined;
  const s = path.slice(ADMIN_PREFIX.length).split('/');
  if (s.includes('')) return undefined;
  const [first, owner, app, sub, name] = s;
  switch (first) {
    case 'bundles':
      return s.length === 2 ? { route: ROUTES.bundle, params: { sha256: owner } } : undefined;
    case 'nodes':
      return s.length === 1 ? { route: ROUTES.nodes, params: {} } : undefined;
    case 'logs':
      return s.length === 1 ? { route: ROUTES.logs, params: {} } : undefined;
    case 'apps':
      if (s.length === 1) return { route: ROUTES.apps, params: {} };
      if (s.length === 3) return { route: ROUTES.app, params: { owner, app } };
      if (s.length === 4 && sub === 'deployments') return { route: ROUTES.deployments, params: { owner, app } };
      if (s.length === 4 && sub === 'rollback') return { route: ROUTES.rollback, params: { owner, app } };
      if (s.length === 4 && sub === 'secrets') return { route: ROUTES.secrets, params: { owner, app } };
      if (s.length === 5 && sub === 'secrets') return { route: ROUTES.secret, params: { owner, app, name } };
      return undefined;
    default:
      return undefined;
  }
}

const PARAM_PATTERNS = {
  owner: /^[a-z0-9][a-z0-9_-]{0,62}$/,
  app: /^[a-z][a-z0-9-]{0,62}$/,
  sha256: /^[0-9a-f]{64}$/,
  name: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
} as const;
const PARAM_HINTS: Readonly<Record<keyof typeof PARAM_PATTERNS, string>> = {
  owner: 'lowercase letters, digits, "_" and "-", starting with a letter or digit, at most 63 characters',
  app: 'lowercase letters, digits and "-", starting with a letter, at most 63 characters',
  sha256: '64 lowercase hex digits',
  name: 'letters, digits and "_", not starting with a digit, at most 64 characters',
};

function badParam(field: string, message: string): AppError {
  return new AppError('BAD_REQUEST', `${field}: ${message}`, { data: { field } });
}

/** A path parameter, percent-decoded and checked against its pattern. */
function pathParam(field: keyof typeof PARAM_PATTERNS, raw: string | undefined): string {
  let value: string;
  try {
    value = decodeURIComponent(raw ?? '');
  } catch {
    throw badParam(field, 'malformed percent-encoding');
  }
  if (!PARAM_PATTERNS[field].test(value)) throw badParam(field, `expected ${PARAM_HINTS[field]}`);
  return value;
}

const sha256Schema = z.string().regex(PARAM_PATTERNS.sha256, { error: `expected ${PARAM_HINTS.sha256}` });

const deployBody = z.strictObject({ bundle: sha256Schema, dryRun: z.boolean().optional() }, objectError);

const rollbackBody = z
  .strictObject(
    {
      version: z
        .number()
        .int({ error: 'expected an integer version' })
        .min(1, { error: 'must be at least 1' })
        .max(Number.MAX_SAFE_INTEGER)
        .optional(),
      bundle: sha256Schema.optional(),
    },
    objectError,
  )
  .superRefine((v, ctx) => {
    if (v.version === undefined && v.bundle === undefined) {
      ctx.addIssue({ code: 'custom', path: ['version'], message: 'required: give "version" or "bundle"' });
    } else if (v.version !== undefined && v.bundle !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['bundle'], message: 'give either "version" or "bundle", not both' });
    }
  });

const secretBody = z.strictObject(
  {
    value: z.string().refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_SECRET_VALUE_BYTES, {
      error: `must be at most ${MAX_SECRET_VALUE_BYTES} bytes (UTF-8)`,
    }),
  },
  objectError,
);

interface LogsQuery {
  readonly app?: string;
  readonly since?: number;
  readonly limit: number;
  readonly follow: boolean;
}

const LOGS_PARAMS = new Set(['app', 'since', 'limit', 'follow']);
const APP_KEY_RE = /^[a-z0-9][a-z0-9_-]{0,62}\/[a-z0-9][a-z0-9_-]{0,62}$/;
const SEQ_RE = /^(0|[1-9][0-9]{0,15})$/;

function parseLogsQuery(queryString: string, lastEventId: string | undefined): LogsQuery {
  const params = new URLSearchParams(queryString);
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (!LOGS_PARAMS.has(key)) throw badParam(key, 'unknown query parameter (allowed: app, since, limit, follow)');
    if (seen.has(key)) throw badParam(key, 'given more than once');
    seen.add(key);
  }
  const app = params.get('app') ?? undefined;
  if (app !== undefined && !APP_KEY_RE.test(app)) throw badParam('app', 'expected owner/app');
  const seq = (field: string, text: string): number => {
    const n = Number(text);
    if (!SEQ_RE.test(text) || n > Number.MAX_SAFE_INTEGER) throw badParam(field, 'expected a non-negative integer');
    return n;
  };
  const sinceText = params.get('since');
  // An EventSource reconnecting sends the last id it saw: resume there instead of re-sending.
  const since =
    sinceText !== null
      ? seq('since', sinceText)
      : lastEventId !== undefined && SEQ_RE.test(lastEventId)
        ? Number(lastEventId)
        : undefined;
  const limitText = params.get('limit');
  let limit = DEFAULT_LOG_LIMIT;
  if (limitText !== null) {
    limit = Number(limitText);
    if (!/^[1-9][0-9]{0,3}$/.test(limitText) || limit > MAX_LOG_LIMIT) {
      throw badParam('limit', `expected an integer 1..${MAX_LOG_LIMIT}`);
    }
  }
  const followText = params.get('follow');
  let follow = false;
  if (followText === '1' || followText === 'true') follow = true;
  else if (followText !== null && followText !== '0' && followText !== 'false') {
    throw badParam('follow', 'expected 1, true, 0 or false');
  }
  return { ...(app === undefined ? {} : { app }), ...(since === undefined ? {} : { since }), limit, follow };
}

/** The token of `Bearer <token>` (scheme case-insensitive), or undefined when malformed. */
function bearerToken(header: string): string | undefined {
  if (header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = header.slice(7).trim();
  if (token === '' || /\s/.test(token)) return undefined;
  return token;
}

function hasUnreadBody(ex: Exchange): boolean {
  const h = ex.req.headers;
  return !ex.req.readableEnded && (h['transfer-encoding'] !== undefined || Number(h['content-length'] ?? 0) > 0);
}

/** One follower of `/logs?follow=1`. */
class LogStream {
  private closed = false;
  private unsubscribe: () => void = () => undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly onClose: (stream: LogStream) => void,
  ) {}

  start(logs: LogSource, query: LogsQuery, heartbeatMs: number): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.res.on('close', () => this.close());
    // Subscribe and read the backlog in the same tick: no line can fall between the two, and
    // `last` drops a live line the backlog already carried.
    let since = query.since;
    // A `since` beyond the newest line comes from before a restart (seq starts again at 1):
    // send the recent backlog rather than wait for the new numbering to catch up.
    if (since !== undefined && since > logs.read({ limit: 1 }).next) since = undefined;
    let last = since ?? 0;
    this.unsubscribe = logs.subscribe((entry) => {
      if (entry.seq <= last || (query.app !== undefined && entry.app !== query.app)) return;
      last = entry.seq;
      this.send(entry);
    });
    const backlog = logs.read({ since, limit: query.limit, app: query.app });
    for (const entry of backlog.entries) {
      if (entry.seq <= last) continue;
      last = entry.seq;
      this.send(entry);
    }
    last = Math.max(last, backlog.next);
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), heartbeatMs);
    this.heartbeat.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    if (!this.res.writableEnded) this.res.end();
    this.onClose(this);
  }

  private send(entry: LogEntry): void {
    this.write(`id: ${entry.seq}\ndata: ${JSON.stringify(entry)}\n\n`);
  }

  private write(frame: string): void {
    if (this.closed || this.res.writableEnded) return;
    if (this.res.writableLength > MAX_SSE_BUFFERED_BYTES) {
      this.res.destroy();
      this.close();
      return;
    }
    this.res.write(frame);
  }
}

export function createAdminHandler(deps: AdminHandlerDeps): AdminHandler {
  const { api, verify, logs } = deps;
  const maxBundleBytes = deps.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
  const heartbeatMs = deps.heartbeatMs ?? DEFAULT_ADMIN_HEARTBEAT_MS;
  const streams = new Set<LogStream>();

  const authenticate = async (ex: Exchange): Promise<AdminCaller> => {
    const header = ex.req.headers.authorization;
    if (header === undefined) throw new AppError('UNAUTHENTICATED', 'admin token required');
    const token = bearerToken(header);
    if (token === undefined) {
      throw new AppError('UNAUTHENTICATED', 'malformed authorization header: expected "Bearer <token>"');
    }
    return verify(token);
  };

  const jsonBody = async <T>(ex: Exchange, schema: z.ZodType<T>): Promise<T> => {
    const body = await readJsonBody(ex.req, MAX_ADMIN_JSON_BYTES);
    if (body === undefined) {
      throw new AppError('BAD_REQUEST', 'request body required: a JSON object', { data: { field: 'body' } });
    }
    return parseOrThrow(schema, body, '');
  };

  const dispatch = async (ex: Exchange, id: AdminRouteId, raw: RawParams, caller: AdminCaller): Promise<void> => {
    if (id === 'bundle') {
      const sha256 = pathParam('sha256', raw.sha256);
      if (ex.method === 'GET') {
        ex.sendJson(200, await api.getBundle(caller, sha256));
        return;
      }
      const bytes = await readBody(ex.req, maxBundleBytes);
      if (bytes.length === 0) throw new AppError('BAD_REQUEST', 'bundle body is empty', { data: { field: 'body' } });
      const info = await api.putBundle(caller, sha256, bytes);
      ex.sendJson(info.created ? 201 : 200, info);
      return;
    }
    if (id === 'apps') {
      ex.sendJson(200, { apps: await api.listApps(caller) });
      return;
    }
    if (id === 'nodes') {
      ex.sendJson(200, { nodes: await api.listNodes(caller) });
      return;
    }
    if (id === 'logs') {
      const lastEventId = ex.req.headers['last-event-id'];
      const query = parseLogsQuery(ex.queryString, typeof lastEventId === 'string' ? lastEventId : undefined);
      if (!query.follow) {
        ex.sendJson(200, logs.read({ since: query.since, limit: query.limit, app: query.app }));
        return;
      }
      const stream = new LogStream(ex.res, (s) => streams.delete(s));
      streams.add(stream);
      stream.start(logs, query, heartbeatMs);
      ex.record(200);
      return;
    }
    const owner = pathParam('owner', raw.owner);
    const app = pathParam('app', raw.app);
    ex.app = `${owner}/${app}`;
    switch (id) {
      case 'app':
        if (ex.method === 'DELETE') ex.sendJson(200, await api.undeploy(caller, owner, app));
        else ex.sendJson(200, await api.getApp(caller, owner, app));
        return;
      case 'deployments': {
        const body = await jsonBody(ex, deployBody);
        const result = await api.deploy(caller, owner, app, { bundle: body.bundle, dryRun: body.dryRun ?? false });
        ex.sendJson(result.deployment === null ? 200 : 201, result);
        return;
      }
      case 'rollback': {
        const body = await jsonBody(ex, rollbackBody);
        const target: RollbackTarget =
          body.version !== undefined ? { version: body.version } : { bundle: body.bundle! };
        const result = await api.rollback(caller, owner, app, target);
        ex.sendJson(result.deployment === null ? 200 : 201, result);
        return;
      }
      case 'secrets':
        ex.sendJson(200, { names: await api.listSecrets(caller, owner, app) });
        return;
      case 'secret': {
        const name = pathParam('name', raw.name);
        if (ex.method === 'DELETE') {
          await api.deleteSecret(caller, owner, app, name);
        } else {
          const body = await jsonBody(ex, secretBody);
          await api.putSecret(caller, owner, app, name, body.value);
        }
        ex.sendEmpty(204);
        return;
      }
    }
  };

  const handler = async (ex: Exchange): Promise<void> => {
    const match = matchAdminRoute(ex.path);
    if (match !== undefined) ex.route = match.route.template;
    try {
      const caller = await authenticate(ex);
      if (match === undefined) throw new AppError('NOT_FOUND', 'admin route not found');
      if (!match.route.methods.includes(ex.method)) {
        ex.res.setHeader('allow', match.route.allow);
        throw new AppError('METHOD_NOT_ALLOWED', `method ${ex.method} not allowed here; allowed: ${match.route.allow}`);
      }
      await dispatch(ex, match.route.id, match.params, caller);
    } catch (e) {
      if (e instanceof AppError && e.code === 'UNAUTHENTICATED' && !ex.res.headersSent) {
        ex.res.setHeader('www-authenticate', 'Bearer realm="stoa-admin"');
      }
      // A body nobody read (a refused upload) is not drained: the connection is closed instead.
      if (!(e instanceof BodyTooLargeError) && !ex.res.headersSent && hasUnreadBody(ex)) {
        ex.res.setHeader('connection', 'close');
      }
      ex.fail(e);
    }
  };
  handler.shutdown = (): void => {
    for (const s of [...streams]) s.close();
  };
  return handler;
}
