import type { AppDef, AclPrivilege, QName } from '@stoa/vsql';
import { addIdentityPaths, identitySchemas } from './openapi-identity.js';
import { addMembershipPaths, membershipSchemas } from './openapi-membership.js';
import { ERROR_RESPONSES, type JsonSchema, SchemaCollector, errorRefs, schemaRef } from './openapi-schemas.js';
import { MAX_CHANNEL_SECONDS, MAX_CUDS, MAX_LIMIT, MAX_SUBSCRIPTIONS } from './validation.js';

/**
 * OpenAPI 3.1 document of one app (`GET …/openapi.json`), generated from its AppDef: one path per
 * concrete table, command, query and view of the app's own packages (the `sys` package's internals
 * are left out; `/cuds` covers `sys.CUD`), the generic workspace and notification routes, schemas
 * for every referenced table/TYPE/view, the error body, and bearer auth. Operations that need no
 * token say `security: []`; those granted to `sys.Anonymous`/`sys.Everyone` accept either.
 */

export interface OpenApiSource {
  readonly owner: string;
  readonly name: string;
  readonly appdef: AppDef;
  readonly versionHash: string;
}

type Operation = Record<string, unknown>;
type PathItem = Record<string, Operation>;

const BEARER = 'bearerAuth';
const READ_PARAM_NAMES = ['order', 'limit', 'skip', 'keys', 'include'];
const PUBLIC: unknown[] = [];
const OPTIONAL_AUTH: unknown[] = [{}, { [BEARER]: [] }];

const READ_ERRORS = ['400', '401', '403', '404', '410', '429', '503'];
const WRITE_ERRORS = ['400', '401', '403', '404', '409', '410', '413', '429', '503'];

function json(schema: JsonSchema): Record<string, unknown> {
  return { 'application/json': { schema } };
}

function ok(description: string, schema: JsonSchema, status = '200', errors = READ_ERRORS): Record<string, unknown> {
  return { [status]: { description, content: json(schema) }, ...errorRefs(errors) };
}

function param(name: string): JsonSchema {
  return { $ref: `#/components/parameters/${name}` };
}

function results(items: JsonSchema): JsonSchema {
  return { type: 'object', properties: { results: { type: 'array', items } }, required: ['results'] };
}

function isAppPackage(qname: QName): boolean {
  return !qname.startsWith('sys.');
}

/** Resources granted to sys.Anonymous or sys.Everyone for a privilege (revokes ignored: a hint). */
function anonymousResources(appdef: AppDef): Set<string> {
  const out = new Set<string>();
  for (const ws of Object.values(appdef.workspaces)) {
    for (const rule of ws.acl) {
      if (rule.op !== 'grant' || (rule.principal !== 'sys.Anonymous' && rule.principal !== 'sys.Everyone')) continue;
      for (const priv of rule.privileges) for (const q of rule.on.qnames) out.add(`${priv} ${q}`);
    }
  }
  return out;
}

export function generateOpenApi(source: OpenApiSource): Record<string, unknown> {
  const { appdef } = source;
  const schemas = new SchemaCollector(appdef);
  const anonymous = anonymousResources(appdef);
  const security = (priv: AclPrivilege, q: QName): unknown[] | undefined =>
    anonymous.has(`${priv} ${q}`) ? OPTIONAL_AUTH : undefined;
  const paths: Record<string, PathItem> = {};
  const add = (path: string, method: string, op: Operation, sec?: unknown[]): void => {
    const item = (paths[path] ??= {});
    item[method] = sec === undefined ? op : { ...op, security: sec };
  };
  const commandResult = (result: JsonSchema | undefined): JsonSchema =>
    result === undefined
      ? schemaRef('CommandResult')
      : { allOf: [schemaRef('CommandResult'), { properties: { result } }] };

  add(
    '/openapi.json',
    'get',
    {
      operationId: 'getOpenApi',
      tags: ['meta'],
      summary: 'This document',
      responses: { '200': { description: 'OpenAPI 3.1 document', content: json({ type: 'object' }) } },
    },
    PUBLIC,
  );

  const kinds = Object.values(appdef.workspaces)
    .filter((w) => !w.abstract && isAppPackage(w.qname))
    .map((w) => w.qname);
  add('/workspaces', 'post', {
    operationId: 'createWorkspace',
    tags: ['workspaces'],
    summary: 'Create a workspace owned by the caller; answered once it is initialised',
    requestBody: { required: true, content: json(schemaRef('CreateWorkspace')) },
    responses: ok(
      'created',
      { type: 'object', properties: { wsid: wsidSchema() }, required: ['wsid'] },
      '201',
      WRITE_ERRORS,
    ),
  });
  add('/workspaces', 'get', {
    operationId: 'listWorkspaces',
    tags: ['workspaces'],
    summary: "The caller's workspaces with the caller's roles",
    responses: ok('workspaces', results(schemaRef('WorkspaceInfo'))),
  });
  add('/workspaces/{wsid}', 'delete', {
    operationId: 'deactivateWorkspace',
    tags: ['workspaces'],
    summary: 'Deactivate a workspace (owner only); afterwards every request to it answers 410',
    parameters: [param('wsid')],
    responses: { '204': { description: 'deactivated' }, ...errorRefs(['400', '401', '403', '404', '410', '503']) },
  });
  add('/workspaces/{wsid}/cuds', 'post', {
    operationId: 'applyCuds',
    tags: ['docs'],
    summary: `Insert/update records in one event (at most ${MAX_CUDS} CUDs)`,
    parameters: [param('wsid')],
    requestBody: { required: true, content: json(schemaRef('CudsRequest')) },
    responses: ok('applied', schemaRef('CommandResult'), '200', WRITE_ERRORS),
  });

  for (const table of Object.values(appdef.tables)) {
    const q = table.qname;
    if (table.abstract || !isAppPackage(q) || table.kind === 'ODoc' || table.kind === 'ORecord') continue;
    const tag = ['docs'];
    if (table.kind === 'CDoc' || table.kind === 'WDoc') {
      add(
        `/workspaces/{wsid}/docs/${q}`,
        'post',
        {
          operationId: `${q}.insert`,
          tags: tag,
          summary: `Insert a ${q} with its nested records`,
          parameters: [param('wsid')],
          requestBody: { required: true, content: json(schemas.ref(q)) },
          responses: ok('inserted', schemaRef('CommandResult'), '201', WRITE_ERRORS),
        },
        security('insert', q),
      );
    }
    const byId = `/workspaces/{wsid}/docs/${q}/{id}`;
    const idParams = [param('wsid'), param('id')];
    add(
      byId,
      'get',
      {
        operationId: `${q}.get`,
        tags: tag,
        summary: `Read one ${q}`,
        parameters: [...idParams, param('keys'), param('include')],
        responses: ok('the record', schemas.ref(q)),
      },
      security('select', q),
    );
    add(
      byId,
      'patch',
      {
        operationId: `${q}.update`,
        tags: tag,
        summary: `Update fields of a ${q}`,
        parameters: idParams,
        requestBody: { required: true, content: json(schemas.updateSchema(q)) },
        responses: ok('updated', schemaRef('CommandResult'), '200', WRITE_ERRORS),
      },
      security('update', q),
    );
    add(
      byId,
      'delete',
      {
        operationId: `${q}.deactivate`,
        tags: tag,
        summary: `Deactivate a ${q} (sys.IsActive = false)`,
        parameters: idParams,
        responses: ok('deactivated', schemaRef('CommandResult'), '200', WRITE_ERRORS),
      },
      security('deactivate', q),
    );
    if (table.kind === 'CDoc') {
      add(
        `/workspaces/{wsid}/cdocs/${q}`,
        'get',
        {
          operationId: `${q}.list`,
          tags: tag,
          summary: `List ${q} documents`,
          parameters: [param('wsid'), whereParam(false), ...READ_PARAM_NAMES.map(param)],
          responses: ok('documents', results(schemas.ref(q))),
        },
        security('select', q),
      );
    }
  }

  for (const ext of Object.values(appdef.extensions)) {
    const q = ext.qname;
    if (!isAppPackage(q)) continue;
    if (ext.kind === 'command') {
      const args = schemas.param(ext.param);
      const unlogged = schemas.param(ext.unloggedParam);
      const props: Record<string, JsonSchema> = {};
      if (args !== undefined) props.args = args;
      if (unlogged !== undefined) props.unloggedArgs = unlogged;
      add(
        `/workspaces/{wsid}/commands/${q}`,
        'post',
        {
          operationId: `${q}.execute`,
          tags: ['commands'],
          summary: ext.comment ?? `Execute ${q}`,
          parameters: [param('wsid')],
          requestBody: { content: json({ type: 'object', properties: props, additionalProperties: false }) },
          responses: ok('executed', commandResult(schemas.param(ext.result)), '200', WRITE_ERRORS),
        },
        security('execute', q),
      );
    } else if (ext.kind === 'query') {
      const args = schemas.param(ext.param);
      const row = schemas.param(ext.result) ?? { type: 'object' };
      const params: unknown[] = [param('wsid')];
      if (args !== undefined) {
        params.push({ name: 'args', in: 'query', description: 'query arguments (JSON)', content: json(args) });
      }
      add(
        `/workspaces/{wsid}/queries/${q}`,
        'get',
        {
          operationId: `${q}.query`,
          tags: ['queries'],
          summary: ext.comment ?? `Run ${q}`,
          parameters: [...params, whereParam(false), ...READ_PARAM_NAMES.map(param)],
          responses: ok('result rows', results(row)),
        },
        security('execute', q),
      );
    }
  }

  for (const view of Object.values(appdef.views)) {
    const q = view.qname;
    if (!isAppPackage(q)) continue;
    add(
      `/workspaces/{wsid}/views/${q}`,
      'get',
      {
        operationId: `${q}.read`,
        tags: ['views'],
        summary: view.comment ?? `Read ${q} rows`,
        description: `\`where\` must fix the partition key (${view.partitionKey.join(', ')}).`,
        parameters: [param('wsid'), whereParam(true), ...READ_PARAM_NAMES.map(param)],
        responses: ok('view rows', results(schemas.ref(q))),
      },
      security('select', q),
    );
  }

  addNotificationPaths(add);
  addIdentityPaths(add);
  addMembershipPaths(add);

  return {
    openapi: '3.1.0',
    info: {
      title: `${source.owner}/${source.name}`,
      version: source.versionHash === '' ? '0' : source.versionHash,
      description: `Stoa API v2 of app ${source.owner}/${source.name}, generated from its AppDef.`,
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: `/api/v2/apps/${source.owner}/${source.name}` }],
    security: [{ [BEARER]: [] }],
    tags: ['meta', 'workspaces', 'docs', 'commands', 'queries', 'views', 'notifications', 'identity', 'membership'].map(
      (name) => ({
        name,
      }),
    ),
    paths,
    components: {
      securitySchemes: { [BEARER]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      parameters: commonParameters(),
      responses: errorResponses(),
      schemas: { ...schemas.build(), ...commonSchemas(kinds), ...identitySchemas(), ...membershipSchemas() },
    },
  };
}

function wsidSchema(): JsonSchema {
  return { type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER };
}

/** `where`: each field given as a value (equality) or `{"$in":[…]}`; fields of the row schema. */
function whereParam(required: boolean): Record<string, unknown> {
  const scalar: JsonSchema = { type: ['string', 'number', 'boolean', 'null'] };
  const inList: JsonSchema = {
    type: 'object',
    properties: { $in: { type: 'array', items: scalar, minItems: 1, maxItems: MAX_LIMIT } },
    required: ['$in'],
    additionalProperties: false,
  };
  return {
    name: 'where',
    in: 'query',
    required,
    description: 'JSON object {"field": value | {"$in": [values]}, …} over the fields of the result rows',
    content: json({ type: 'object', additionalProperties: { oneOf: [scalar, inList] } }),
  };
}

function addNotificationPaths(add: (path: string, method: string, op: Operation) => void): void {
  add('/notifications', 'post', {
    operationId: 'openNotificationChannel',
    tags: ['notifications'],
    summary: 'Open an SSE channel watching view changes',
    description:
      'Answers `text/event-stream`. First frame `event: channelId` with the channel id as data; then ' +
      '`event: update` frames with data `{"view":"pkg.View","wsid":n,"offset":k}` (k = PLog offset of ' +
      'the change); `: heartbeat` comments keep the stream open. The stream ends at `expiresIn`.',
    requestBody: { required: true, content: json(schemaRef('NotificationsRequest')) },
    responses: {
      '200': { description: 'event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } },
      ...errorRefs(['400', '401', '403', '404', '503']),
    },
  });
  const path = '/notifications/{channelId}/workspaces/{wsid}/subscriptions/{view}';
  const parameters = [param('channelId'), param('wsid'), param('view')];
  add(path, 'put', {
    operationId: 'addSubscription',
    tags: ['notifications'],
    parameters,
    responses: ok('subscribed', { type: 'object' }, '200', ['400', '401', '403', '404']),
  });
  add(path, 'delete', {
    operationId: 'removeSubscription',
    tags: ['notifications'],
    parameters,
    responses: { '204': { description: 'unsubscribed' }, ...errorRefs(['400', '401', '404']) },
  });
}

function commonParameters(): Record<string, unknown> {
  const list = (description: string): JsonSchema => ({ type: 'string', description });
  return {
    wsid: { name: 'wsid', in: 'path', required: true, schema: wsidSchema() },
    id: { name: 'id', in: 'path', required: true, schema: wsidSchema() },
    channelId: { name: 'channelId', in: 'path', required: true, schema: { type: 'string' } },
    view: {
      name: 'view',
      in: 'path',
      required: true,
      schema: { type: 'string', pattern: '^[A-Za-z]\\w*\\.[A-Za-z]\\w*$' },
    },
    order: { name: 'order', in: 'query', schema: list('comma list of field or -field (descending)') },
    limit: { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT } },
    skip: { name: 'skip', in: 'query', schema: { type: 'integer', minimum: 0 } },
    keys: { name: 'keys', in: 'query', schema: list('comma list of fields to return') },
    include: { name: 'include', in: 'query', schema: list('comma list of refs/containers to expand (dotted)') },
  };
}

function errorResponses(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [, [name, description]] of Object.entries(ERROR_RESPONSES)) {
    out[name] = { description, content: json(schemaRef('Error')) };
  }
  return out;
}

function commonSchemas(kinds: string[]): Record<string, JsonSchema> {
  const id = wsidSchema();
  return {
    Error: {
      type: 'object',
      properties: {
        status: { type: 'integer' },
        message: { type: 'string' },
        qname: { type: 'string' },
        data: { type: 'object' },
      },
      required: ['status', 'message'],
    },
    CommandResult: {
      type: 'object',
      properties: {
        currentWLogOffset: { type: 'integer', minimum: 0 },
        newIDs: { type: 'object', additionalProperties: id, description: 'raw id → generated id' },
        result: { type: 'object' },
      },
      required: ['currentWLogOffset'],
    },
    CreateWorkspace: {
      type: 'object',
      properties: {
        kind: kinds.length > 0 ? { type: 'string', enum: kinds } : { type: 'string' },
        name: { type: 'string', minLength: 1, maxLength: 255 },
        descriptor: { type: 'object', description: 'fields of the workspace kind’s DESCRIPTOR' },
      },
      required: ['kind', 'name'],
      additionalProperties: false,
    },
    WorkspaceInfo: {
      type: 'object',
      properties: {
        wsid: id,
        kind: { type: 'string' },
        name: { type: 'string' },
        roles: { type: 'array', items: { type: 'string' } },
        active: { type: 'boolean' },
      },
      required: ['wsid', 'kind', 'name', 'roles', 'active'],
    },
    Cud: {
      type: 'object',
      description: 'insert: `fields` holds sys.ID (raw id 1..65535) and sys.QName; update: top-level sys.ID',
      properties: { 'sys.ID': id, fields: { type: 'object' } },
      required: ['fields'],
      additionalProperties: false,
    },
    CudsRequest: {
      type: 'object',
      properties: { cuds: { type: 'array', items: schemaRef('Cud'), minItems: 1, maxItems: MAX_CUDS } },
      required: ['cuds'],
      additionalProperties: false,
    },
    NotificationsRequest: {
      type: 'object',
      properties: {
        subscriptions: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_SUBSCRIPTIONS,
          items: {
            type: 'object',
            properties: { entity: { type: 'string', description: 'view QName' }, wsid: id },
            required: ['entity', 'wsid'],
            additionalProperties: false,
          },
        },
        expiresIn: { type: 'integer', minimum: 1, maximum: MAX_CHANNEL_SECONDS, description: 'seconds' },
      },
      required: ['subscriptions'],
      additionalProperties: false,
    },
  };
}
