import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApp, FakeCore, type TestServer, loadExampleAppDef, startTestServer } from './test-support.js';

const base = '/api/v2/apps/local/shop';
const ws = `${base}/workspaces/140737488355329`;

describe('HTTP edge routes (fake core)', () => {
  let server: TestServer;
  let app: FakeApp;

  beforeAll(async () => {
    app = new FakeApp('local', 'shop', loadExampleAppDef('shop'));
    server = await startTestServer(new FakeCore([app]));
  });
  afterAll(async () => {
    await server.close();
  });

  it('GET /healthz answers 200 JSON', async () => {
    const res = await server.call('GET', '/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz follows core.isReady(): 200, else 503 with Retry-After', async () => {
    expect((await server.call('GET', '/readyz')).status).toBe(200);
    server.core.ready = false;
    try {
      const res = await server.call('GET', '/readyz');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toEqual({ status: 503, message: 'engine is not ready' });
    } finally {
      server.core.ready = true;
    }
  });

  it('GET /.well-known/jwks.json serves resources.jwks()', async () => {
    const res = await server.call('GET', '/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' }] });
  });

  it('GET /metrics exposes request counters labelled by route template, never the raw path', async () => {
    await server.call('GET', `${ws}/docs/shop.Product/5`, { token: 'ok:alice' });
    const res = await server.call('GET', '/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(
      'stoa_http_requests_total{route="/api/v2/apps/{owner}/{app}/workspaces/{wsid}/docs/{table}/{id}",method="GET",status="200"}',
    );
    expect(text).toContain('stoa_http_request_duration_seconds_bucket');
    expect(text).not.toContain('140737488355329');
  });

  it('echoes a sane x-request-id and replaces an insane one', async () => {
    const kept = await server.call('GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const replaced = await server.call('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
  });

  it('POST /workspaces → 201 {wsid}; GET /workspaces lists', async () => {
    const res = await server.call('POST', `${base}/workspaces`, {
      token: 'ok:alice',
      body: { kind: 'shop.ShopWS', name: 'main', descriptor: { ShopName: 'A' } },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ wsid: 1001 });
    const call = app.lastCall();
    expect(call?.method).toBe('createWorkspace');
    expect(call?.args[0]).toEqual({ kind: 'shop.ShopWS', name: 'main', descriptor: { ShopName: 'A' } });
    expect(call?.ctx.principal?.subject).toBe('alice');
    expect(call?.ctx.ip).toMatch(/127\.0\.0\.1/);

    const list = await server.call('GET', `${base}/workspaces`, { token: 'ok:alice' });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ results: [] });
  });

  it('POST /docs → 201 with the core result; fields passed through', async () => {
    const res = await server.call('POST', `${ws}/docs/shop.Product`, {
      token: 'ok:alice',
      body: { Title: 'Pen', Sku: 'P1', Price: 100, Variants: [{ Label: 'red' }] },
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ currentWLogOffset: 8, newIDs: { '1': 200001 } });
    expect(app.lastCall()?.args).toEqual([
      140737488355329,
      'shop.Product',
      { Title: 'Pen', Sku: 'P1', Price: 100, Variants: [{ Label: 'red' }] },
    ]);
  });

  it('GET/PATCH/DELETE /docs/{table}/{id}', async () => {
    const got = await server.call('GET', `${ws}/docs/shop.Product/42?keys=Title,"sys.ID"&include=Variants`, {
      token: 'ok:alice',
    });
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual({ 'sys.ID': 42, 'sys.QName': 'shop.Product' });
    expect(app.lastCall()?.args).toEqual([
      140737488355329,
      'shop.Product',
      42,
      { keys: ['Title', 'sys.ID'], include: ['Variants'] },
    ]);

    const patched = await server.call('PATCH', `${ws}/docs/shop.Product/42`, { token: 'ok:alice', body: { Price: 5 } });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toEqual({ currentWLogOffset: 9 });
    expect(app.lastCall()?.args).toEqual([140737488355329, 'shop.Product', 42, { Price: 5 }]);

    const deleted = await server.call('DELETE', `${ws}/docs/shop.Product/42`, { token: 'ok:alice' });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ currentWLogOffset: 10 });
    const deletedWithEmpty = await server.call('DELETE', `${ws}/docs/shop.Product/42`, { token: 'ok:alice', body: {} });
    expect(deletedWithEmpty.status).toBe(200);
  });

  it('GET /cdocs passes parsed read parameters', async () => {
    const where = encodeURIComponent(JSON.stringify({ Sku: { $in: ['a', 'b'] }, Status: 1 }));
    const res = await server.call('GET', `${ws}/cdocs/shop.Product?where=${where}&order=-Price,Title&limit=10&skip=5`, {
      token: 'ok:alice',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ results: [{ 'sys.ID': 1 }] });
    expect(app.lastCall()?.args[2]).toEqual({
      where: { Sku: { $in: ['a', 'b'] }, Status: 1 },
      order: ['-Price', 'Title'],
      limit: 10,
      skip: 5,
    });
  });

  it('POST /cuds runs sys.CUD with the CUDs', async () => {
    const cuds = [
      { fields: { 'sys.ID': 1, 'sys.QName': 'shop.Product', Title: 'x' } },
      { 'sys.ID': 7, fields: { Price: 1 } },
    ];
    const res = await server.call('POST', `${ws}/cuds`, { token: 'ok:alice', body: { cuds } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ currentWLogOffset: 7, result: { ok: true } });
    expect(app.lastCall()?.args).toEqual([140737488355329, 'sys.CUD', { cuds }]);
  });

  it('POST /commands → 200 with args and unloggedArgs; an empty body means no args', async () => {
    const body = { args: { CustomerID: 5 }, unloggedArgs: { CardToken: 't' } };
    const res = await server.call('POST', `${ws}/commands/shop.PlaceOrder`, { token: 'ok:alice', body });
    expect(res.status).toBe(200);
    expect(app.lastCall()?.args).toEqual([140737488355329, 'shop.PlaceOrder', body]);
    const empty = await server.call('POST', `${ws}/commands/shop.CloseShop`, { token: 'ok:alice' });
    expect(empty.status).toBe(200);
    expect(app.lastCall()?.args).toEqual([140737488355329, 'shop.CloseShop', {}]);
  });

  it('GET /queries parses args against the parameter TYPE', async () => {
    const args = encodeURIComponent(JSON.stringify({ Year: 2024, Month: 5 }));
    const res = await server.call('GET', `${ws}/queries/shop.SalesReport?args=${args}&limit=3`, { token: 'ok:alice' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ results: [{ Day: 1, Total: 5 }] });
    expect(app.lastCall()?.args).toEqual([140737488355329, 'shop.SalesReport', { Year: 2024, Month: 5 }, { limit: 3 }]);
  });

  it('GET /views passes a typed where (int64 as a decimal string beyond 2^53)', async () => {
    const where = encodeURIComponent(JSON.stringify({ Year: 2024, Month: 1, Total: '9007199254740993' }));
    const res = await server.call('GET', `${ws}/views/shop.DailySales?where=${where}`, { token: 'ok:alice' });
    expect(res.status).toBe(200);
    expect(app.lastCall()?.args).toEqual([
      140737488355329,
      'shop.DailySales',
      { where: { Year: 2024, Month: 1, Total: '9007199254740993' } },
    ]);
  });

  it('without a token the core gets a null principal (it decides 401 vs anonymous grants)', async () => {
    const res = await server.call('GET', `${ws}/views/shop.DailySales`);
    expect(res.status).toBe(200);
    expect(app.lastCall()?.ctx.principal).toBeNull();
  });

  it('GET /openapi.json is public: served even with an invalid token', async () => {
    const res = await server.call('GET', `${base}/openapi.json`, { token: 'garbage' });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; servers: { url: string }[] };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0]?.url).toBe(base);
  });
});
