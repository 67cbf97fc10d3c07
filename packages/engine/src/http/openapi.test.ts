import type { AppDef } from '@stoa/vsql';
import { describe, expect, it } from 'vitest';
import { generateOpenApi } from './openapi.js';
import { loadExampleAppDef } from './test-support.js';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !(key in node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/**
 * The structural rules of OpenAPI 3.1 a generator can break: version, info, path templates and
 * their path parameters, operations with responses, parameters with exactly one of schema/content,
 * unique operationIds, resolvable $refs, known security schemes, component names, and sane JSON
 * Schema `type`/`required`. (No OpenAPI validator is installed; this is the focused substitute.)
 */
function validateOpenApi31(doc: Json): string[] {
  const errors: string[] = [];
  const deref = (v: unknown): unknown => (isObject(v) && typeof v.$ref === 'string' ? resolvePointer(doc, v.$ref) : v);
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) errors.push('openapi must be 3.1.x');
  const info = doc.info;
  if (!isObject(info) || typeof info.title !== 'string' || typeof info.version !== 'string')
    errors.push('info.title/version');
  const components = isObject(doc.components) ? doc.components : {};
  const schemes = isObject(components.securitySchemes) ? components.securitySchemes : {};
  for (const kind of Object.keys(components)) {
    const group = components[kind];
    if (!isObject(group)) continue;
    for (const name of Object.keys(group))
      if (!/^[a-zA-Z0-9.\-_]+$/.test(name)) errors.push(`bad component name ${name}`);
  }
  const checkSecurity = (sec: unknown, where: string): void => {
    if (!Array.isArray(sec)) return errors.push(`${where}: security must be an array`) as unknown as void;
    for (const req of sec) {
      if (!isObject(req)) errors.push(`${where}: security requirement must be an object`);
      else for (const name of Object.keys(req)) if (!(name in schemes)) errors.push(`${where}: unknown scheme ${name}`);
    }
  };
  if (doc.security !== undefined) checkSecurity(doc.security, 'root');

  const operationIds = new Set<string>();
  if (!isObject(doc.paths)) errors.push('paths must be an object');
  for (const [path, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    if (!path.startsWith('/')) errors.push(`path ${path} must start with /`);
    if (!isObject(item)) continue;
    const templateParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!METHODS.includes(method) || !isObject(op)) {
        errors.push(`${where}: not an operation`);
        continue;
      }
      if (typeof op.operationId === 'string') {
        if (operationIds.has(op.operationId)) errors.push(`${where}: duplicate operationId ${op.operationId}`);
        operationIds.add(op.operationId);
      }
      if (!isObject(op.responses) || Object.keys(op.responses).length === 0) errors.push(`${where}: no responses`);
      for (const [code, resp] of Object.entries(isObject(op.responses) ? op.responses : {})) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) errors.push(`${where}: bad status ${code}`);
        const r = deref(resp);
        if (!isObject(r) || typeof r.description !== 'string')
          errors.push(`${where} ${code}: response needs a description`);
      }
      const params = (Array.isArray(op.parameters) ? op.parameters : []).map(deref);
      for (const p of params) {
        if (
          !isObject(p) ||
          typeof p.name !== 'string' ||
          !['query', 'header', 'path', 'cookie'].includes(String(p.in))
        ) {
          errors.push(`${where}: bad parameter`);
          continue;
        }
        if ((p.schema === undefined) === (p.content === undefined))
          errors.push(`${where}: ${p.name} needs schema xor content`);
        if (isObject(p.content) && Object.keys(p.content).length !== 1)
          errors.push(`${where}: ${p.name} content must have one entry`);
        if (p.in === 'path' && (p.required !== true || !templateParams.includes(p.name))) {
          errors.push(`${where}: path parameter ${p.name} must be required and in the template`);
        }
      }
      for (const t of templateParams) {
        if (!params.some((p) => isObject(p) && p.in === 'path' && p.name === t))
          errors.push(`${where}: {${t}} not declared`);
      }
      if (op.requestBody !== undefined) {
        const body = deref(op.requestBody);
        if (!isObject(body) || !isObject(body.content)) errors.push(`${where}: requestBody needs content`);
      }
      if (op.security !== undefined) checkSecurity(op.security, where);
    }
  }

  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}/${i}`));
    if (!isObject(node)) return;
    if (typeof node.$ref === 'string' && resolvePointer(doc, node.$ref) === undefined)
      errors.push(`${at}: unresolved ${node.$ref}`);
    const types = node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];
    for (const t of types)
      if (
        typeof t === 'string' &&
        !JSON_TYPES.includes(t) &&
        !at.includes('/properties/type') &&
        !at.includes('/securitySchemes/')
      )
        errors.push(`${at}: bad type ${t}`);
    if (Array.isArray(node.required) && isObject(node.properties)) {
      for (const r of node.required)
        if (!(String(r) in node.properties)) errors.push(`${at}: required ${String(r)} not in properties`);
    }
    for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k}`);
  };
  walk(doc, '#');
  return errors;
}

const doc = (appdef: AppDef, name: string): Json =>
  generateOpenApi({ owner: 'local', name, appdef, versionHash: 'abc123' });
const at = (d: Json, pointer: string): unknown => resolvePointer(d, `#${pointer}`);

describe('generateOpenApi', () => {
  it.each(['todo', 'shop'] as const)('%s: a structurally valid OpenAPI 3.1 document', (name) => {
    const d = doc(loadExampleAppDef(name), name);
    expect(validateOpenApi31(d)).toEqual([]);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d); // plain JSON
  });

  it('the validator catches what it claims to', () => {
    const broken = doc(loadExampleAppDef('todo'), 'todo');
    (broken as { openapi: string }).openapi = '3.0.3';
    const paths = broken.paths as Record<string, Record<string, Json>>;
    const get = paths['/workspaces/{wsid}/docs/todo.Task/{id}']?.get as Json;
    get.parameters = [{ $ref: '#/components/parameters/nope' }];
    (paths['/workspaces']?.get as Json).operationId = 'createWorkspace';
    const errors = validateOpenApi31(broken);
    expect(errors).toContain('openapi must be 3.1.x');
    expect(errors.some((e) => e.includes('unresolved #/components/parameters/nope'))).toBe(true);
    expect(errors.some((e) => e.includes('{wsid} not declared'))).toBe(true);
    expect(errors.some((e) => e.includes('duplicate operationId createWorkspace'))).toBe(true);
  });

  it('todo: tables, commands, queries and views with typed schemas', () => {
    const d = doc(loadExampleAppDef('todo'), 'todo');
    expect(at(d, '/servers/0/url')).toBe('/api/v2/apps/local/todo');
    expect(at(d, '/info/version')).toBe('abc123');
    expect(at(d, '/components/schemas/todo.Task/properties/Title')).toEqual({ type: 'string', maxLength: 200 });
    expect(at(d, '/components/schemas/todo.Task/properties/Priority')).toMatchObject({
      type: 'integer',
      minimum: -(2 ** 31),
      maximum: 2 ** 31 - 1,
    });
    expect(at(d, '/components/schemas/todo.Task/properties/DueAt/oneOf/1')).toEqual({
      type: 'string',
      pattern: '^-?[0-9]{1,19}$',
    });
    expect(at(d, '/components/schemas/todo.Task/properties/Tags')).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/todo.TaskTag' },
      maxItems: 100,
    });
    expect(at(d, '/components/schemas/todo.Task/required')).toEqual(['Title', 'Done', 'Priority']);
    expect(at(d, '/components/schemas/todo.Task/properties/sys.IsActive')).toMatchObject({
      type: 'boolean',
      readOnly: true,
    });
    expect(at(d, '/paths/~1workspaces~1{wsid}~1docs~1todo.Task/post/responses/201')).toBeDefined();
    expect(at(d, '/paths/~1workspaces~1{wsid}~1cdocs~1todo.Task/get/operationId')).toBe('todo.Task.list');
    expect(
      at(
        d,
        '/paths/~1workspaces~1{wsid}~1commands~1todo.CompleteTask/post/requestBody/content/application~1json/schema/properties/args',
      ),
    ).toEqual({
      $ref: '#/components/schemas/todo.CompleteParams',
    });
    expect(at(d, '/components/schemas/todo.CompleteParams/properties/TaskID')).toMatchObject({
      type: 'integer',
      description: 'id of a todo.Task record',
    });
    expect(
      at(
        d,
        '/paths/~1workspaces~1{wsid}~1queries~1todo.Stats/get/responses/200/content/application~1json/schema/properties/results/items',
      ),
    ).toEqual({
      $ref: '#/components/schemas/todo.StatsRow',
    });
    expect(at(d, '/paths/~1workspaces~1{wsid}~1views~1todo.TaskStats/get/parameters/1')).toMatchObject({
      name: 'where',
      required: true,
    });
    expect(at(d, '/paths/~1openapi.json/get/security')).toEqual([]);
    expect(at(d, '/security')).toEqual([{ bearerAuth: [] }]);
    expect(at(d, '/components/securitySchemes/bearerAuth')).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(at(d, '/components/schemas/Error/required')).toEqual(['status', 'message']);
    expect(Object.keys(d.paths as Json).some((p) => p.includes('sys.'))).toBe(false);
  });

  it('shop: int8 ranges, CHECK patterns, ODocs only as command arguments, unlogged args', () => {
    const d = doc(loadExampleAppDef('shop'), 'shop');
    expect(at(d, '/components/schemas/shop.ShopSettings/properties/OpenHour')).toMatchObject({
      type: 'integer',
      minimum: -128,
      maximum: 127,
    });
    expect(at(d, '/components/schemas/shop.Product/properties/Barcode')).toEqual({
      type: 'string',
      maxLength: 13,
      pattern: '^[0-9]{13}$',
    });
    expect(at(d, '/components/schemas/shop.OrderDoc')).toBeDefined();
    expect(Object.keys(d.paths as Json).some((p) => p.includes('shop.OrderDoc'))).toBe(false);
    const placeOrder = '/paths/~1workspaces~1{wsid}~1commands~1shop.PlaceOrder/post';
    expect(at(d, `${placeOrder}/requestBody/content/application~1json/schema/properties`)).toEqual({
      args: { $ref: '#/components/schemas/shop.OrderDoc' },
      unloggedArgs: { $ref: '#/components/schemas/shop.PaymentInfo' },
    });
    expect(at(d, `${placeOrder}/responses/200/content/application~1json/schema/allOf/1/properties/result`)).toEqual({
      $ref: '#/components/schemas/shop.PlaceOrderResult',
    });
    expect(at(d, '/components/schemas/CreateWorkspace/properties/kind/enum')).toEqual(['shop.BranchWS', 'shop.ShopWS']);
  });

  it('functions granted to sys.Anonymous accept calls without a token', () => {
    const appdef = loadExampleAppDef('todo');
    const ws = appdef.workspaces['todo.TodoWS'];
    if (ws === undefined) throw new Error('todo.TodoWS missing');
    ws.acl.push({
      op: 'grant',
      privileges: ['execute'],
      on: { kind: 'query', qnames: ['todo.Stats'] },
      principal: 'sys.Anonymous',
      workspace: 'todo.TodoWS',
    });
    const d = doc(appdef, 'todo');
    expect(at(d, '/paths/~1workspaces~1{wsid}~1queries~1todo.Stats/get/security')).toEqual([{}, { bearerAuth: [] }]);
    expect(at(d, '/paths/~1workspaces~1{wsid}~1commands~1todo.CompleteTask/post/security')).toBeUndefined();
  });
});
