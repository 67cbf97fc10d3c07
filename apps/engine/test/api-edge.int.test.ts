// API v2 over real HTTP, part 3: public routes (OpenAPI, JWKS, health, metrics) and the access
// statuses (401 no/bad/expired/foreign token, 403 non-member, 404 unknown app/route, 405 wrong
// method), on the in-memory backend and on LMDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, Backend, Reply, TestEngine } from './support/harness.js';
import { LAB_DIR, TODO_DIR, callUrl, expectError, newIds, startTestEngine } from './support/harness.js';

describe.each<Backend>(['mem', 'lmdb'])('API v2 access and public routes over HTTP (%s)', (storage) => {
  let engine: TestEngine;
  let owner: ApiClient;
  let ws: number;
  let taskId: number;

  beforeAll(async () => {
    engine = await startTestEngine({ storage, apps: [TODO_DIR, LAB_DIR] });
    owner = await engine.client('todo');
    ws = await owner.createWorkspace('todo.TodoWS', { Title: 'edge' });
    const inserted = await owner.post(`/workspaces/${ws}/docs/todo.Task`, { Title: 't', Done: false, Priority: 1 });
    taskId = newIds(inserted)[0]!;
  });
  afterAll(async () => {
    await engine?.close();
  });

  /** One request of every protected kind against the owner's workspace. */
  const protectedCalls = (client: ApiClient): (() => Promise<Reply>)[] => [
    () => client.get('/workspaces'),
    () => client.post('/workspaces', { kind: 'todo.TodoWS', name: 'x', descriptor: { Title: 'x' } }),
    () => client.post(`/workspaces/${ws}/docs/todo.Task`, { Title: 'x', Done: false, Priority: 1 }),
    () => client.get(`/workspaces/${ws}/docs/todo.Task/${taskId}`),
    () => client.patch(`/workspaces/${ws}/docs/todo.Task/${taskId}`, { Title: 'y' }),
    () => client.delete(`/workspaces/${ws}/docs/todo.Task/${taskId}`),
    () => client.get(`/workspaces/${ws}/cdocs/todo.Task`),
    () => client.post(`/workspaces/${ws}/cuds`, { cuds: [{ 'sys.ID': taskId, fields: { Title: 'z' } }] }),
    () => client.post(`/workspaces/${ws}/commands/todo.CompleteTask`, { args: { TaskID: taskId } }),
    () => client.get(`/workspaces/${ws}/queries/todo.Stats`),
    () => client.get(`/workspaces/${ws}/views/todo.TaskStats?where=${encodeURIComponent('{"Board":0}')}`),
    () => client.post('/notifications', { subscriptions: [{ entity: 'todo.TaskStats', wsid: ws }] }),
    () => client.delete(`/workspaces/${ws}`),
  ];

  it('answers 401 without a token on every protected route', async () => {
    for (const reply of await Promise.all(protectedCalls(owner.withToken(null)).map((call) => call()))) {
      expectError(reply, 401);
    }
  });

  it('answers 401 for a malformed, forged, expired or foreign-app token', async () => {
    const path = `/workspaces/${ws}/cdocs/todo.Task`;
    expectError(await owner.get(path, { token: 'not-a-jwt' }), 401, { message: 'invalid token' });
    expectError(await owner.get(path, { headers: { authorization: 'Basic abc' }, token: null }), 401, {
      message: 'malformed authorization header',
    });
    // A valid token with its signature altered.
    const token = owner.token ?? '';
    const forged = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expectError(await owner.get(path, { token: forged }), 401, { message: 'invalid token' });
    expectError(await owner.get(path, { token: await engine.expiredToken('todo', 'someone') }), 401, {
      message: 'token expired',
    });
    // Issued for local/lab (aud), presented to local/todo.
    expectError(await owner.get(path, { token: await engine.token('lab', 'someone') }), 401, {
      message: 'another app',
    });
  });

  it('answers 403 to an authenticated non-member calling into the workspace', async () => {
    const stranger = await engine.client('todo');
    const replies = await Promise.all(
      protectedCalls(stranger)
        .slice(2)
        .map((call) => call()),
    );
    for (const reply of replies) expectError(reply, 403);
    // The stranger's own listing is fine (and empty).
    const own = await stranger.get('/workspaces');
    expect(own.status).toBe(200);
    expect(own.json).toEqual({ results: [] });
  });

  it('answers 404 for unknown apps, routes and workspaces, 405 for a wrong method (with Allow)', async () => {
    expectError(await callUrl(`${engine.baseUrl}/api/v2/apps/local/nope/workspaces`, 'GET'), 404, {
      message: 'app local/nope not found',
    });
    expectError(await callUrl(`${engine.baseUrl}/api/v2/apps/other/todo/openapi.json`, 'GET'), 404);
    expectError(await callUrl(`${engine.baseUrl}/nope`, 'GET'), 404, { message: 'route not found' });
    expectError(await owner.get(`/workspaces/${ws}/blobs/x`), 404, { message: 'route not found' });
    expectError(await owner.get('/auth/logout'), 404);
    expectError(await owner.get(`/workspaces/987654321/cdocs/todo.Task`), 404, { message: 'workspace 987654321' });

    const wrong = await owner.call('PUT', `/workspaces/${ws}/docs/todo.Task/${taskId}`, { body: {} });
    expectError(wrong, 405, { message: 'PUT' });
    expect(wrong.headers.get('allow')).toBe('GET, PATCH, DELETE');
    expectError(await owner.get(`/workspaces/${ws}/commands/todo.CompleteTask`), 405);
    expectError(await owner.post(`/workspaces/${ws}/views/todo.TaskStats`, {}), 405);
    expectError(await callUrl(`${engine.baseUrl}/healthz`, 'POST'), 405);
  });

  it('serves a valid OpenAPI 3.1 document without a token', async () => {
    for (const app of ['todo', 'lab']) {
      const res = await callUrl(`${engine.baseUrl}/api/v2/apps/local/${app}/openapi.json`, 'GET');
      expect(res.status).toBe(200);
      const doc = res.json;
      expect(doc['openapi']).toMatch(/^3\.1\./);
      expect(doc['servers']).toEqual([expect.objectContaining({ url: `/api/v2/apps/local/${app}` })]);
      const paths = doc['paths'] as Record<string, Record<string, { operationId: string }>>;
      expect(Object.keys(paths)).toEqual(
        expect.arrayContaining(['/workspaces', '/workspaces/{wsid}', '/workspaces/{wsid}/cuds', '/notifications']),
      );
      checkOpenApi(doc);
    }
    const lab = (await callUrl(`${engine.baseUrl}/api/v2/apps/local/lab/openapi.json`, 'GET')).json;
    const labPaths = Object.keys(lab['paths'] as object);
    expect(labPaths).toContain('/workspaces/{wsid}/commands/lab.Submit');
    expect(labPaths).toContain('/workspaces/{wsid}/views/lab.Sales');
    // ODocs are command arguments only.
    expect(labPaths.some((p) => p.includes('/docs/lab.Receipt'))).toBe(false);
  });

  it('serves JWKS, health, readiness and metrics without a token', async () => {
    const jwks = await callUrl(`${engine.baseUrl}/.well-known/jwks.json`, 'GET');
    expect(jwks.status).toBe(200);
    const keys = jwks.json['keys'] as Record<string, unknown>[];
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      expect(key['d']).toBeUndefined();
    }
    // The token the tests use is signed by one of those keys.
    const kid = (JSON.parse(Buffer.from((owner.token ?? '').split('.')[0]!, 'base64url').toString()) as { kid: string })
      .kid;
    expect(keys.map((k) => k['kid'])).toContain(kid);

    expect(await callUrl(`${engine.baseUrl}/healthz`, 'GET')).toMatchObject({ status: 200, json: { status: 'ok' } });
    expect(await callUrl(`${engine.baseUrl}/readyz`, 'GET')).toMatchObject({ status: 200, json: { status: 'ready' } });
    const metrics = await callUrl(`${engine.baseUrl}/metrics`, 'GET');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(metrics.text).toContain('stoa_http_requests_total{');
    expect(metrics.text).toMatch(/stoa_commands_total\{[^}]*app="local\/todo"/);
    expect(metrics.text).toContain('stoa_partition_queue_depth');
    // Route templates, never raw paths, label the requests.
    expect(metrics.text).toContain('route="/api/v2/apps/{owner}/{app}/workspaces/{wsid}/docs/{table}"');
    expect(metrics.text).not.toContain(`/workspaces/${ws}/`);
  });

  it('echoes a valid x-request-id and generates one otherwise', async () => {
    const given = await callUrl(`${engine.baseUrl}/healthz`, 'GET', { headers: { 'x-request-id': 'trace-1' } });
    expect(given.headers.get('x-request-id')).toBe('trace-1');
    const generated = await callUrl(`${engine.baseUrl}/healthz`, 'GET', { headers: { 'x-request-id': 'bad id!' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[\w.:@-]+$/);
  });
});

/**
 * Structural OpenAPI 3.1 checks (no validator package is installed): version and info, path
 * templates match their path parameters, every operation has responses and a unique operationId,
 * and every `$ref` resolves.
 */
function checkOpenApi(doc: Record<string, unknown>): void {
  expect(doc['info']).toMatchObject({ title: expect.any(String) as unknown, version: expect.any(String) as unknown });
  const components = doc['components'] as Record<string, Record<string, unknown>>;
  const resolve = (ref: string): unknown => {
    expect(ref.startsWith('#/')).toBe(true);
    let node: unknown = doc;
    for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown> | undefined)?.[part];
    return node;
  };
  const refs: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string') refs.push(v);
        else walk(v);
      }
    }
  };
  walk(doc);
  for (const ref of refs) expect(resolve(ref), ref).toBeDefined();
  expect(components['securitySchemes']).toBeDefined();

  const ids = new Set<string>();
  const paths = doc['paths'] as Record<string, Record<string, Record<string, unknown>>>;
  for (const [path, item] of Object.entries(paths)) {
    const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [method, op] of Object.entries(item)) {
      expect(['get', 'post', 'put', 'patch', 'delete']).toContain(method);
      const id = op['operationId'] as string;
      expect(ids.has(id), `duplicate operationId ${id}`).toBe(false);
      ids.add(id);
      expect(Object.keys(op['responses'] as object).length).toBeGreaterThan(0);
      const params = ((op['parameters'] ?? []) as Record<string, unknown>[])
        .map((p) => (typeof p['$ref'] === 'string' ? (resolve(p['$ref']) as Record<string, unknown>) : p))
        .filter((p) => p['in'] === 'path')
        .map((p) => p['name'] as string)
        .sort();
      expect(params, `${method} ${path}`).toEqual(templated);
    }
  }
}
