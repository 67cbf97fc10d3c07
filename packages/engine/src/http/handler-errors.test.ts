import { request } from 'node:http';
import { AppError } from '@stoa/errors';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FakeApp,
  FakeCore,
  type TestServer,
  createTestResources,
  loadExampleAppDef,
  startTestServer,
} from './test-support.js';

const base = '/api/v2/apps/local/shop';
const ws = `${base}/workspaces/77`;
const q = (v: unknown): string => encodeURIComponent(JSON.stringify(v));

async function expectError(res: Response, status: number, message: string | RegExp): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(body.status).toBe(status);
  if (typeof message === 'string') expect(body.message).toBe(message);
  else expect(body.message).toMatch(message);
  return body;
}

describe('HTTP edge error answers', () => {
  let server: TestServer;
  let app: FakeApp;
  const logLines: Record<string, unknown>[] = [];
  let clock = 1_000_000;

  beforeAll(async () => {
    app = new FakeApp('local', 'shop', loadExampleAppDef('shop'));
    const logger = pino(
      { level: 'debug' },
      { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const resources = createTestResources({ limits: { maxBodyBytes: 4096 }, now: () => clock, logger });
    server = await startTestServer(new FakeCore([app]), resources);
  });
  afterAll(async () => {
    await server.close();
  });

  it('404 for an unknown route and for an unknown app', async () => {
    await expectError(await server.call('GET', '/nope'), 404, 'route not found');
    await expectError(await server.call('GET', `${ws}/docs/shop.Product/1/extra`), 404, 'route not found');
    await expectError(await server.call('POST', `${base}/auth/login`, { body: {} }), 404, 'route not found');
    await expectError(await server.call('GET', '/api/v2/apps/local/nope/workspaces'), 404, 'app local/nope not found');
  });

  it('405 with Allow for a wrong method on a known route', async () => {
    const res = await server.call('PUT', `${ws}/docs/shop.Product/1`, { body: {} });
    await expectError(res, 405, /method PUT not allowed/);
    expect(res.headers.get('allow')).toBe('GET, PATCH, DELETE');
    const res2 = await server.call('DELETE', `${base}/workspaces`);
    expect(res2.status).toBe(405);
    expect(res2.headers.get('allow')).toBe('GET, POST');
  });

  it('400 naming the field for bad path parameters', async () => {
    const bad = (path: string): Promise<Response> => server.call('GET', path, { token: 'ok:a' });
    const b1 = await expectError(
      await bad(`${base}/workspaces/abc/docs/shop.Product/1`),
      400,
      /^wsid: expected a decimal integer/,
    );
    expect(b1.data).toEqual({ field: 'wsid' });
    await expectError(await bad(`${base}/workspaces/0/docs/shop.Product/1`), 400, /^wsid:/);
    await expectError(await bad(`${base}/workspaces/99999999999999999/docs/shop.Product/1`), 400, /^wsid:/);
    await expectError(await bad(`${ws}/docs/shop.Product/-1`), 400, /^id:/);
    await expectError(await bad(`${ws}/docs/Product/1`), 400, 'table: expected a qualified name pkg.Name');
    await expectError(await bad(`${ws}/views/shop.Daily-Sales`), 400, /^view:/);
  });

  it('400 for malformed JSON, wrong content type, missing body and unknown top-level keys', async () => {
    await expectError(
      await server.call('POST', `${ws}/commands/shop.PlaceOrder`, { token: 'ok:a', body: '{"args":' }),
      400,
      /^malformed JSON body: /,
    );
    await expectError(
      await server.call('POST', `${ws}/commands/shop.PlaceOrder`, {
        token: 'ok:a',
        body: '{}',
        headers: { 'content-type': 'text/plain' },
      }),
      400,
      'content-type must be application/json',
    );
    await expectError(
      await server.call('POST', `${ws}/docs/shop.Product`, { token: 'ok:a' }),
      400,
      'a JSON body is required',
    );
    await expectError(
      await server.call('POST', `${ws}/commands/shop.PlaceOrder`, {
        token: 'ok:a',
        body: { args: {}, argz: 1, cuds: [] },
      }),
      400,
      'unknown field(s): argz, cuds',
    );
    await expectError(
      await server.call('POST', `${base}/workspaces`, { token: 'ok:a', body: { kind: 'shop.ShopWS', name: 5 } }),
      400,
      'name: expected string',
    );
    await expectError(
      await server.call('POST', `${base}/workspaces`, { token: 'ok:a', body: { name: 'x' } }),
      400,
      'kind: required',
    );
    await expectError(
      await server.call('POST', `${ws}/docs/shop.Product`, { token: 'ok:a', body: [1] }),
      400,
      'expected a JSON object',
    );
  });

  it('400 for more than 100 CUDs, a sys.ID in PATCH and a body on DELETE', async () => {
    const cuds = Array.from({ length: 101 }, () => ({ fields: {} }));
    await expectError(
      await server.call('POST', `${ws}/cuds`, { token: 'ok:a', body: { cuds } }),
      400,
      'cuds: at most 100 CUDs per request',
    );
    await expectError(
      await server.call('POST', `${ws}/cuds`, { token: 'ok:a', body: { cuds: [{ fields: {}, extra: 1 }] } }),
      400,
      'cuds.0: unknown field(s): extra',
    );
    await expectError(
      await server.call('PATCH', `${ws}/docs/shop.Product/5`, { token: 'ok:a', body: { 'sys.ID': 9 } }),
      400,
      'sys.ID cannot be updated',
    );
    await expectError(
      await server.call('DELETE', `${ws}/docs/shop.Product/5`, { token: 'ok:a', body: { Price: 1 } }),
      400,
      /unexpected body on DELETE/,
    );
  });

  it('400 naming the field for bad read parameters', async () => {
    const get = (path: string): Promise<Response> => server.call('GET', path, { token: 'ok:a' });
    const typed = await expectError(
      await get(`${ws}/views/shop.DailySales?where=${q({ Year: 'x' })}`),
      400,
      'where.Year: expected number',
    );
    expect(typed.data).toEqual({ field: 'where.Year' });
    await expectError(
      await get(`${ws}/views/shop.DailySales?where=${q({ Year: { $in: [1, 'b'] } })}`),
      400,
      'where.Year.$in.1: expected number',
    );
    await expectError(
      await get(`${ws}/views/shop.DailySales?where=${q({ Nope: 1 })}`),
      400,
      'where: unknown field(s): Nope',
    );
    await expectError(
      await get(`${ws}/views/shop.DailySales?where=${q({ Year: { $gt: 1 } })}`),
      400,
      /^where.Year: unknown field\(s\): \$gt/,
    );
    await expectError(await get(`${ws}/views/shop.DailySales?where={bad`), 400, /^invalid 'where' parameter: /);
    await expectError(await get(`${ws}/views/shop.DailySales?where=[1]`), 400, 'where: expected a JSON object');
    await expectError(await get(`${ws}/cdocs/shop.Product?limit=0`), 400, 'limit: must be at least 1');
    await expectError(await get(`${ws}/cdocs/shop.Product?limit=5000`), 400, 'limit: must be at most 1000');
    await expectError(await get(`${ws}/cdocs/shop.Product?skip=-1`), 400, 'skip: expected a decimal integer');
    await expectError(
      await get(`${ws}/cdocs/shop.Product?order=Price;drop`),
      400,
      /^order\.0: expected field or -field/,
    );
    await expectError(await get(`${ws}/cdocs/shop.Product?keys=a..b`), 400, /^keys\.0: expected a field path/);
    await expectError(await get(`${ws}/cdocs/shop.Product?foo=1&bar=2`), 400, 'unknown query parameter(s): bar, foo');
    await expectError(
      await get(`${ws}/cdocs/shop.Product?limit=1&limit=2`),
      400,
      "query parameter 'limit' given more than once",
    );
    await expectError(
      await get(`${ws}/queries/shop.SalesReport?args=${q({ Year: 2024, Foo: 1 })}`),
      400,
      'args: unknown field(s): Foo',
    );
    await expectError(await get(`${ws}/queries/shop.SalesReport?args=${q({ Month: 1 })}`), 400, 'args.Year: required');
    await expectError(
      await get(`${ws}/queries/shop.SalesReport?args=${q({ Year: 1.5 })}`),
      400,
      'args.Year: expected an integer',
    );
    await expectError(await get(`${ws}/queries/shop.Ping?args=${q({ a: 1 })}`), 400, 'args: unknown field(s): a');
    await expectError(await get(`${ws}/docs/shop.Product/1?where=${q({})}`), 400, 'unknown query parameter(s): where');
    await expectError(await get(`${ws}/views/shop.DailySales?args=${q({})}`), 400, 'unknown query parameter(s): args');
  });

  it('401 for an invalid, expired or malformed token', async () => {
    await expectError(await server.call('GET', `${base}/workspaces`, { token: 'nope' }), 401, 'invalid token');
    await expectError(await server.call('GET', `${base}/workspaces`, { token: 'expired' }), 401, 'token expired');
    const basic = await server.call('GET', `${base}/workspaces`, { headers: { authorization: 'Basic eDp5' } });
    await expectError(basic, 401, /malformed authorization header/);
    const spaces = await server.call('GET', `${base}/workspaces`, { headers: { authorization: 'Bearer a b' } });
    await expectError(spaces, 401, /malformed authorization header/);
  });

  it('413 when the body exceeds maxBodyBytes (declared length and chunked)', async () => {
    const big = { args: { x: 'y'.repeat(5000) } };
    const res = await server.call('POST', `${ws}/commands/shop.CloseShop`, { token: 'ok:a', body: big });
    const body = await expectError(res, 413, 'request body exceeds 4096 bytes');
    expect(body.data).toEqual({ maxBytes: 4096 });
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${server.url}${ws}/commands/shop.CloseShop`);
      const req = request(
        url,
        { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ok:a' } },
        (r) => {
          let text = '';
          r.on('data', (c: Buffer) => (text += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.write('{"args":{"x":"');
      req.write('z'.repeat(9000));
      req.end('"}}');
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toEqual({
      status: 413,
      message: 'request body exceeds 4096 bytes',
      data: { maxBytes: 4096 },
    });
  });

  it('429 with Retry-After from a VSQL LIMIT (shop.ReportRate: 10 per 5 minutes per partition and IP)', async () => {
    const call = (): Promise<Response> =>
      server.call('GET', `${ws}/queries/shop.SalesReport?args=${q({ Year: 2024 })}`, { token: 'ok:a' });
    for (let i = 0; i < 10; i++) expect((await call()).status).toBe(200);
    const limited = await call();
    const body = await expectError(limited, 429, 'rate limit exceeded: shop.ReportLimit');
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(body.data).toEqual({ limit: 'shop.ReportLimit' });
    const callsBefore = app.calls.length;
    await call();
    expect(app.calls.length).toBe(callsBefore); // the core is never reached
    clock += 30_000;
    expect((await call()).status).toBe(200);
    // Another partition (wsid mod 4) has its own bucket.
    const other = await server.call('GET', `${base}/workspaces/78/queries/shop.SalesReport?args=${q({ Year: 1 })}`, {
      token: 'ok:a',
    });
    expect(other.status).toBe(200);
  });

  it('AppErrors from the core keep status, qname, data and Retry-After', async () => {
    app.impl.executeCommand = () =>
      Promise.reject(
        new AppError('UNAVAILABLE', 'partition 3 is busy', { retryAfterSeconds: 2, data: { partition: 3 } }),
      );
    const busy = await server.call('POST', `${ws}/commands/shop.CloseShop`, { token: 'ok:a' });
    await expectError(busy, 503, 'partition 3 is busy');
    expect(busy.headers.get('retry-after')).toBe('2');
    app.impl.executeCommand = () =>
      Promise.reject(new AppError('CONFLICT', 'unique violated', { qname: 'shop.Product', data: { field: 'Sku' } }));
    const conflict = await server.call('POST', `${ws}/commands/shop.CloseShop`, { token: 'ok:a' });
    expect(await conflict.json()).toEqual({
      status: 409,
      message: 'unique violated',
      qname: 'shop.Product',
      data: { field: 'Sku' },
    });
    app.impl.executeCommand = () => Promise.reject(new AppError('UNAUTHENTICATED', 'a token is required'));
    await expectError(await server.call('POST', `${ws}/commands/shop.CloseShop`), 401, 'a token is required');
    app.impl.executeCommand = () => Promise.reject(new AppError('FORBIDDEN', 'denied'));
    await expectError(await server.call('POST', `${ws}/commands/shop.CloseShop`, { token: 'ok:a' }), 403, 'denied');
    app.impl.executeCommand = () => Promise.reject(new AppError('GONE', 'workspace is inactive'));
    await expectError(
      await server.call('POST', `${ws}/commands/shop.CloseShop`, { token: 'ok:a' }),
      410,
      'workspace is inactive',
    );
    delete app.impl.executeCommand;
    expect(logLines.some((l) => l.level === 50)).toBe(false); // expected errors are not logged as errors
  });

  it('500 hides an unexpected error and logs it with the request id', async () => {
    app.impl.getDoc = () => Promise.reject(new Error('secret: /var/db/path'));
    const res = await server.call('GET', `${ws}/docs/shop.Product/1`, {
      token: 'ok:a',
      headers: { 'x-request-id': 'req-500' },
    });
    expect(await res.json()).toEqual({ status: 500, message: 'internal error' });
    expect(res.status).toBe(500);
    delete app.impl.getDoc;
    const line = logLines.find((l) => l.level === 50);
    expect(line).toMatchObject({ requestId: 'req-500', app: 'local/shop', wsid: 77, msg: 'unexpected error' });
    expect(JSON.stringify(line)).toContain('secret: /var/db/path');
  });
});
