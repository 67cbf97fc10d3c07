import { AppError } from '@stoa/errors';
import type { Principal } from '@stoa/auth';
import type { LimitOp, QName } from '@stoa/vsql';
import type { AppService, CallContext, CommandInput } from '../core/service.js';
import type { EngineResources } from '../resources.js';
import { entityFieldNames, queryArgsSchema, whereSchema } from './appdef-schemas.js';
import { readJsonBody } from './body.js';
import type { Exchange } from './exchange.js';
import type { NotificationChannels, SubscriptionKey } from './notifications.js';
import type { LimitedKind, RateLimiter } from './rate-limiter.js';
import { DOC_PARAMS, LIST_PARAMS, NO_PARAMS, QUERY_PARAMS, parseReadParams } from './read-params.js';
import type { RouteMatch } from './router.js';
import {
  MAX_CHANNEL_SECONDS,
  commandBody,
  createWorkspaceBody,
  cudCommandBody,
  cudsBody,
  decimalIdSchema,
  docFieldsBody,
  notificationsBody,
  parseOrThrow,
  qnameSchema,
} from './validation.js';

/**
 * The API v2 routes of one app: validate path, query and body (400 naming the field), apply the
 * VSQL rate limits (429), then call the core. Status codes of success: 201 for POST /workspaces
 * and POST /docs, 204 for deactivating a workspace and removing a subscription, 200 otherwise.
 */

export interface AppRouteDeps {
  readonly resources: EngineResources;
  readonly channels: NotificationChannels;
  limiter(app: AppService): RateLimiter;
}

const SYS_CUD = 'sys.CUD';

interface RouteHelpers {
  limit(kind: LimitedKind, qname: QName, op: LimitOp, wsid: number): void;
  requireBody(): Promise<unknown>;
  noParams(): void;
}

export async function handleAppRoute(
  ex: Exchange,
  match: RouteMatch,
  app: AppService,
  principal: Principal | null,
  deps: AppRouteDeps,
): Promise<void> {
  const ctx: CallContext = { requestId: ex.requestId, principal, ip: ex.ip };
  const p = match.params;
  const route = match.route.id;
  const maxBody = deps.resources.limits.maxBodyBytes;

  // Method shorthand, not arrow constants: under tsx (esbuild keepNames) a named arrow costs an
  // Object.defineProperty per request.
  const h: RouteHelpers = {
    limit(kind, qname, op, wsid) {
      const limiter = deps.limiter(app);
      if (!limiter.applies(kind, qname, op)) return;
      limiter.check({ kind, qname, op, wsid, ip: ex.ip, subject: principal?.subject });
    },
    async requireBody() {
      const body = await readJsonBody(ex.req, maxBody);
      if (body === undefined) throw new AppError('BAD_REQUEST', 'a JSON body is required');
      return body;
    },
    noParams() {
      parseReadParams(ex.queryString, NO_PARAMS, undefined);
    },
  };

  if (route === 'workspaces') {
    h.noParams();
    if (ex.method === 'GET') {
      ex.sendJson(200, { results: await app.listWorkspaces(ctx) });
      return;
    }
    const body = parseOrThrow(createWorkspaceBody, await h.requireBody(), '');
    const created = await app.createWorkspace(ctx, {
      kind: body.kind,
      name: body.name,
      descriptor: body.descriptor ?? {},
    });
    ex.sendJson(201, { wsid: created.wsid });
    return;
  }
  if (route === 'notifications') {
    h.noParams();
    await openChannel(ex, app, ctx, deps, await h.requireBody());
    return;
  }

  const wsid = parseOrThrow(decimalIdSchema, p.wsid, 'wsid');
  ex.wsid = wsid;

  switch (route) {
    case 'workspace': {
      h.noParams();
      const body = await readJsonBody(ex.req, maxBody);
      if (!(body === undefined || (isPlainObject(body) && Object.keys(body).length === 0))) {
        throw new AppError('BAD_REQUEST', 'unexpected body on DELETE: send none or {}');
      }
      if (app.deactivateWorkspace === undefined) throw new AppError('NOT_FOUND', 'route not found');
      await app.deactivateWorkspace(ctx, wsid);
      ex.sendEmpty(204);
      return;
    }
    case 'cuds': {
      h.noParams();
      const body = parseOrThrow(cudsBody, await h.requireBody(), '');
      h.limit('command', SYS_CUD, 'execute', wsid);
      for (const cud of body.cuds) {
        const table = cud.fields['sys.QName'];
        if (cud['sys.ID'] === undefined && typeof table === 'string') h.limit('table', table, 'insert', wsid);
      }
      ex.sendJson(200, await app.executeCommand(ctx, wsid, SYS_CUD, { cuds: body.cuds }));
      return;
    }
    case 'command': {
      const command = parseOrThrow(qnameSchema, p.qname, 'command');
      h.noParams();
      h.limit('command', command, 'execute', wsid);
      const raw = (await readJsonBody(ex.req, maxBody)) ?? {};
      const input: CommandInput = parseOrThrow(command === SYS_CUD ? cudCommandBody : commandBody, raw, '');
      ex.sendJson(200, await app.executeCommand(ctx, wsid, command, input));
      return;
    }
    case 'query': {
      const query = parseOrThrow(qnameSchema, p.qname, 'query');
      const { read, args } = parseReadParams(ex.queryString, QUERY_PARAMS, {
        where() {
          return whereSchema(app.appdef, 'queryResult', query);
        },
        args() {
          return queryArgsSchema(app.appdef, query);
        },
        names() {
          return entityFieldNames(app.appdef, 'queryResult', query);
        },
      });
      h.limit('query', query, 'execute', wsid);
      ex.sendJson(200, await app.runQuery(ctx, wsid, query, args, read));
      return;
    }
    case 'view': {
      const view = parseOrThrow(qnameSchema, p.qname, 'view');
      const { read } = parseReadParams(ex.queryString, LIST_PARAMS, {
        where() {
          return whereSchema(app.appdef, 'view', view);
        },
        names() {
          return entityFieldNames(app.appdef, 'view', view);
        },
      });
      h.limit('view', view, 'select', wsid);
      ex.sendJson(200, await app.readView(ctx, wsid, view, read));
      return;
    }
    case 'cdocs': {
      const table = parseOrThrow(qnameSchema, p.qname, 'table');
      const { read } = parseReadParams(ex.queryString, LIST_PARAMS, {
        where() {
          return whereSchema(app.appdef, 'table', table);
        },
        names() {
          return entityFieldNames(app.appdef, 'table', table);
        },
      });
      h.limit('table', table, 'select', wsid);
      ex.sendJson(200, await app.listCDocs(ctx, wsid, table, read));
      return;
    }
    case 'docs': {
      const table = parseOrThrow(qnameSchema, p.qname, 'table');
      h.noParams();
      h.limit('table', table, 'insert', wsid);
      const fields = parseOrThrow(docFieldsBody, await h.requireBody(), '');
      ex.sendJson(201, await app.insertDoc(ctx, wsid, table, fields));
      return;
    }
    case 'doc':
      await handleDoc(ex, match, app, ctx, wsid, h, maxBody);
      return;
    case 'subscription':
      await changeSubscription(ex, match, app, ctx, wsid, deps);
      return;
    default:
      throw new AppError('NOT_FOUND', 'route not found');
  }
}

async function handleDoc(
  ex: Exchange,
  match: RouteMatch,
  app: AppService,
  ctx: CallContext,
  wsid: number,
  h: RouteHelpers,
  maxBody: number,
): Promise<void> {
  const table = parseOrThrow(qnameSchema, match.params.qname, 'table');
  const id = parseOrThrow(decimalIdSchema, match.params.id, 'id');
  if (ex.method === 'GET') {
    const { read } = parseReadParams(ex.queryString, DOC_PARAMS, {
      where() {
        return whereSchema(app.appdef, 'table', table);
      },
      names() {
        return entityFieldNames(app.appdef, 'table', table);
      },
    });
    h.limit('table', table, 'select', wsid);
    ex.sendJson(200, await app.getDoc(ctx, wsid, table, id, read));
    return;
  }
  parseReadParams(ex.queryString, NO_PARAMS, undefined);
  if (ex.method === 'PATCH') {
    h.limit('table', table, 'update', wsid);
    const body = await readJsonBody(ex.req, maxBody);
    if (body === undefined) throw new AppError('BAD_REQUEST', 'a JSON body is required');
    const fields = parseOrThrow(docFieldsBody, body, '');
    if ('sys.ID' in fields) {
      throw new AppError('BAD_REQUEST', 'sys.ID cannot be updated', { data: { field: 'sys.ID' } });
    }
    ex.sendJson(200, await app.updateDoc(ctx, wsid, table, id, fields));
    return;
  }
  h.limit('table', table, 'deactivate', wsid);
  const body = await readJsonBody(ex.req, maxBody);
  const empty = body === undefined || (isPlainObject(body) && Object.keys(body).length === 0);
  if (!empty) throw new AppError('BAD_REQUEST', 'unexpected body on DELETE: send none or {}');
  ex.sendJson(200, await app.deactivateDoc(ctx, wsid, table, id));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function appKeyOf(app: AppService): string {
  return `${app.owner}/${app.name}`;
}

async function openChannel(
  ex: Exchange,
  app: AppService,
  ctx: CallContext,
  deps: AppRouteDeps,
  raw: unknown,
): Promise<void> {
  const body = parseOrThrow(notificationsBody, raw, '');
  const unique = new Map<string, SubscriptionKey>();
  for (const s of body.subscriptions) unique.set(`${s.entity} ${s.wsid}`, { view: s.entity, wsid: s.wsid });
  const subs = [...unique.values()];
  // Every subscription is authorised before the stream opens: a denial is a plain 403/401.
  await Promise.all(subs.map((s) => app.authorizeSubscription(ctx, s.wsid, s.view)));
  if (ex.res.destroyed) return;
  const owner = { app: appKeyOf(app), subject: ctx.principal?.subject };
  deps.channels.open(ex.res, owner, subs, body.expiresIn ?? MAX_CHANNEL_SECONDS);
  ex.record(200);
}

async function changeSubscription(
  ex: Exchange,
  match: RouteMatch,
  app: AppService,
  ctx: CallContext,
  wsid: number,
  deps: AppRouteDeps,
): Promise<void> {
  parseReadParams(ex.queryString, NO_PARAMS, undefined);
  const view = parseOrThrow(qnameSchema, match.params.qname, 'view');
  const owner = { app: appKeyOf(app), subject: ctx.principal?.subject };
  const channel = deps.channels.find(match.params.channelId ?? '', owner);
  if (channel === undefined) throw new AppError('NOT_FOUND', 'notification channel not found');
  if (ex.method === 'PUT') {
    await app.authorizeSubscription(ctx, wsid, view);
    channel.add({ view, wsid });
    ex.sendJson(200, {});
    return;
  }
  channel.remove({ view, wsid });
  ex.sendEmpty(204);
}
