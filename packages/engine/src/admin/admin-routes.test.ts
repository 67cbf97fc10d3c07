// The /admin/v1 edge over a real node:http server: a recording fake AdminApi behind it (the real
// service is tested in deploy-service.test.ts) and a real token verifier with real keys.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createAdminTokenVerifier, parseAdminPublicKeys } from '@stoa/auth';
import { AppError } from '@stoa/errors';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogBuffer } from './log-buffer.js';
import type { AppDetail, BundleInfo, DeployResult, LogSource } from './types.js';
import {
  ACTIVE,
  APPS,
  FakeAdminApi,
  SHA,
  adminKey,
  appInfo,
  deployment,
  manifest,
  nodeInfo,
  nowSec,
  otherKey,
  sha,
  signToken,
  startAdminServer,
  token,
  type AdminTestServer,
} from './admin-routes.test-util.js';

describe('admin routes', () => {
  let server: AdminTestServer;
  let api: FakeAdminApi;
  const logs = createLogBuffer(100);
  let subscribers = 0;
  const countingLogs: LogSource = {
    read: (o) => logs.read(o),
    subscribe(listener) {
      subscribers++;
      const off = logs.subscribe(listener);
      return () => {
        subscribers--;
        off();
      };
    },
  };

  beforeAll(async () => {
    api = new FakeAdminApi();
    const keys = await parseAdminPublicKeys(
      JSON.stringify({ ...adminKey.publicKey.export({ format: 'jwk' }), kid: 'admin-1' }),
    );
    server = await startAdminServer({
      api,
      verify: createAdminTokenVerifier(keys),
      logs: countingLogs,
      maxBundleBytes: 4096,
      heartbeatMs: 40,
    });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(() => {
    api.failures.clear();
  });

  const call = (
    method: string,
    path: string,
    init: { body?: unknown; auth?: string | null; headers?: Record<string, string> } = {},
  ): Promise<Response> => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.auth !== null) headers.authorization = init.auth ?? `Bearer ${token()}`;
    let body: Uint8Array | string | undefined;
    if (init.body instanceof Uint8Array) {
      body = init.body;
    } else if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    return fetch(`${server.url}${path}`, { method, headers, body });
  };

  async function expectError(res: Response, status: number, message: string | RegExp, field?: string) {
    expect(res.status).toBe(status);
    const body = (await res.json()) as { status: number; message: string; data?: { field?: string } };
    expect(body.status).toBe(status);
    expect(body.message).toMatch(message);
    if (field !== undefined) expect(body.data?.field).toBe(field);
    return body;
  }

  describe('authentication (before anything else)', () => {
    it('401 without a token, with a malformed header, a foreign key, an expired or non-admin token', async () => {
      const before = api.calls.length;
      const missing = await call('GET', APPS, { auth: null });
      expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="stoa-admin"');
      await expectError(missing, 401, /^admin token required$/);
      await expectError(await call('GET', APPS, { auth: 'Basic abc' }), 401, /malformed authorization header/);
      await expectError(await call('GET', APPS, { auth: 'Bearer a b' }), 401, /malformed authorization header/);
      const foreign = signToken(otherKey.privateKey, {
        aud: 'stoa-admin',
        sub: 'x',
        iat: nowSec(),
        exp: nowSec() + 60,
      });
      await expectError(await call('GET', APPS, { auth: `Bearer ${foreign}` }), 401, 'admin token signature invalid');
      const expired = token('x', { iat: nowSec() - 400, exp: nowSec() - 100 });
      await expectError(await call('GET', APPS, { auth: `Bearer ${expired}` }), 401, 'admin token expired');
      const appToken = token('x', { aud: 'acme/shop' });
      await expectError(await call('GET', APPS, { auth: `Bearer ${appToken}` }), 401, /audience must be "stoa-admin"/);
      // Unknown paths and uploads are refused unauthenticated too: nothing is learnt, nothing read.
      await expectError(await call('GET', '/admin/v1/nope', { auth: null }), 401, 'admin token required');
      const upload = await call('PUT', `/admin/v1/bundles/${SHA}`, { auth: null, body: new Uint8Array(100) });
      expect(upload.headers.get('connection')).toBe('close');
      await expectError(upload, 401, 'admin token required');
      expect(api.calls.length).toBe(before);
    });

    it('401 for every request when no admin key is configured', async () => {
      const bare = await startAdminServer({ api, verify: createAdminTokenVerifier(undefined), logs });
      try {
        const res = await fetch(`${bare.url}${APPS}`, { headers: { authorization: `Bearer ${token()}` } });
        await expectError(res, 401, 'no admin public key configured (STOA_ADMIN_PUBLIC_KEY)');
      } finally {
        await bare.close();
      }
    });
  });

  describe('routes', () => {
    it('PUT /bundles/{sha256}: 201 when created, 200 when already stored; the raw bytes reach the API', async () => {
      const bytes = new Uint8Array(randomBytes(3000));
      const first = await call('PUT', `/admin/v1/bundles/${SHA}`, {
        body: bytes,
        headers: { 'content-type': 'application/zip' },
      });
      expect(first.status).toBe(201);
      expect(await first.json()).toEqual({ id: SHA, bytes: 3000, manifest, created: true });
      expect(api.last()).toEqual({ method: 'putBundle', subject: 'cli:alice@host', args: [SHA, 3000, sha(bytes)] });
      const again = await call('PUT', `/admin/v1/bundles/${SHA}`, { body: bytes });
      expect(again.status).toBe(200);
      expect(((await again.json()) as BundleInfo).created).toBe(false);
      await expectError(await call('PUT', `/admin/v1/bundles/${ACTIVE}`), 400, 'bundle body is empty', 'body');
    });

    it('GET /bundles/{sha256}: 200 BundleInfo', async () => {
      const res = await call('GET', `/admin/v1/bundles/${SHA}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: SHA, bytes: 10, manifest, created: false });
    });

    it('POST …/deployments: 201 with a deployment, 200 for a dry run or an unchanged bundle', async () => {
      const made = await call('POST', `${APPS}/acme/shop/deployments`, { body: { bundle: SHA } });
      expect(made.status).toBe(201);
      const result = (await made.json()) as DeployResult;
      expect(result.deployment).toEqual(deployment(3, 'cli:alice@host'));
      expect(api.last()?.args).toEqual(['acme', 'shop', { bundle: SHA, dryRun: false }]);
      const dry = await call('POST', `${APPS}/acme/shop/deployments`, { body: { bundle: SHA, dryRun: true } });
      expect(dry.status).toBe(200);
      expect(await dry.json()).toMatchObject({ deployment: null, dryRun: true });
      const same = await call('POST', `${APPS}/acme/shop/deployments`, { body: { bundle: ACTIVE } });
      expect(same.status).toBe(200);
      expect(await same.json()).toMatchObject({ deployment: null, unchanged: true });
    });

    it('POST …/rollback: by version or by bundle, 201', async () => {
      const byVersion = await call('POST', `${APPS}/acme/shop/rollback`, { body: { version: 2 } });
      expect(byVersion.status).toBe(201);
      expect(((await byVersion.json()) as DeployResult).deployment?.kind).toBe('rollback');
      expect(api.last()?.args).toEqual(['acme', 'shop', { version: 2 }]);
      expect((await call('POST', `${APPS}/acme/shop/rollback`, { body: { bundle: SHA } })).status).toBe(201);
      expect(api.last()?.args).toEqual(['acme', 'shop', { bundle: SHA }]);
    });

    it('DELETE, GET …/apps/{owner}/{app} and GET /apps', async () => {
      const undeployed = await call('DELETE', `${APPS}/acme/shop`);
      expect(undeployed.status).toBe(200);
      expect(await undeployed.json()).toEqual(appInfo('undeployed'));
      expect(api.last()).toEqual({ method: 'undeploy', subject: 'cli:alice@host', args: ['acme', 'shop'] });
      const detail = await call('GET', `${APPS}/acme/shop`);
      expect(detail.status).toBe(200);
      expect(((await detail.json()) as AppDetail).history.map((d) => d.version)).toEqual([2, 1]);
      const list = await call('GET', APPS);
      expect(list.status).toBe(200);
      expect(await list.json()).toEqual({ apps: [appInfo('active')] });
    });

    it('secrets: GET names, PUT 204, DELETE 204 and 404 when absent', async () => {
      const names = await call('GET', `${APPS}/acme/shop/secrets`);
      expect(await names.json()).toEqual({ names: ['A_KEY', 'B_KEY'] });
      const put = await call('PUT', `${APPS}/acme/shop/secrets/STRIPE_KEY`, { body: { value: 'sk_ünï' } });
      expect(put.status).toBe(204);
      expect(await put.text()).toBe('');
      expect(api.last()?.args).toEqual(['acme', 'shop', 'STRIPE_KEY', 'sk_ünï']);
      expect((await call('DELETE', `${APPS}/acme/shop/secrets/STRIPE_KEY`)).status).toBe(204);
      expect(api.last()).toMatchObject({ method: 'deleteSecret', args: ['acme', 'shop', 'STRIPE_KEY'] });
      await expectError(await call('DELETE', `${APPS}/acme/shop/secrets/MISSING`), 404, 'secret MISSING not found');
    });

    it('GET /nodes and GET /logs', async () => {
      expect(await (await call('GET', '/admin/v1/nodes')).json()).toEqual({ nodes: [nodeInfo] });
      for (let i = 0; i < 5; i++) {
        logs.write(`${JSON.stringify({ level: 30, time: 1, msg: `m${i}`, app: i % 2 ? 'acme/shop' : 'acme/todo' })}\n`);
      }
      const next = logs.read({ limit: 1 }).next;
      const all = (await (await call('GET', '/admin/v1/logs?limit=2')).json()) as {
        entries: { msg: string }[];
        next: number;
      };
      expect(all.entries.map((e) => e.msg)).toEqual(['m3', 'm4']);
      expect(all.next).toBe(next);
      const shop = (await (await call('GET', `/admin/v1/logs?app=acme/shop&since=${next - 5}`)).json()) as {
        entries: { msg: string }[];
      };
      expect(shop.entries.map((e) => e.msg)).toEqual(['m1', 'm3']);
      const none = (await (await call('GET', `/admin/v1/logs?since=${next}&follow=0`)).json()) as {
        entries: unknown[];
      };
      expect(none.entries).toEqual([]);
    });

    it('passes AdminApi errors through with their status and data (409 incompatible)', async () => {
      api.failures.set(
        'deploy',
        new AppError('CONFLICT', 'incompatible change:\nfield removed', {
          data: { reason: 'incompatible', breaking: [] },
        }),
      );
      const body = await expectError(
        await call('POST', `${APPS}/acme/shop/deployments`, { body: { bundle: SHA } }),
        409,
        /incompatible change/,
      );
      expect(body.data).toEqual({ reason: 'incompatible', breaking: [] });
    });

    it('labels metrics with the route template, never the raw path', async () => {
      await call('POST', `${APPS}/acme/shop/deployments`, { body: { bundle: SHA, dryRun: true } });
      await call('GET', '/admin/v1/nothing-here');
      expect(server.observed).toContainEqual({
        route: '/admin/v1/apps/{owner}/{app}/deployments',
        method: 'POST',
        status: 200,
      });
      expect(server.observed).toContainEqual({ route: 'unmatched', method: 'GET', status: 404 });
      expect(server.observed.some((o) => o.route.includes('acme'))).toBe(false);
    });
  });

  describe('validation', () => {
    it('400 naming the path parameter', async () => {
      const before = api.calls.length;
      await expectError(
        await call('GET', '/admin/v1/bundles/ABC'),
        400,
        /^sha256: expected 64 lowercase hex/,
        'sha256',
      );
      await expectError(await call('GET', `${APPS}/Acme/shop`), 400, /^owner: /, 'owner');
      await expectError(await call('GET', `${APPS}/acme/1shop`), 400, /^app: /, 'app');
      await expectError(
        await call('GET', `${APPS}/acme/%E0%A4%A/secrets`),
        400,
        'app: malformed percent-encoding',
        'app',
      );
      await expectError(
        await call('PUT', `${APPS}/acme/shop/secrets/9X`, { body: { value: 'v' } }),
        400,
        /^name: /,
        'name',
      );
      await expectError(await call('DELETE', `${APPS}/acme/shop/secrets/a-b`), 400, /^name: /, 'name');
      expect(api.calls.length).toBe(before);
    });

    it('400 naming the body field', async () => {
      const deployments = `${APPS}/acme/shop/deployments`;
      await expectError(await call('POST', deployments, { body: {} }), 400, /^bundle: required/, 'bundle');
      await expectError(
        await call('POST', deployments, { body: { bundle: 'x' } }),
        400,
        /^bundle: expected 64/,
        'bundle',
      );
      await expectError(
        await call('POST', deployments, { body: { bundle: SHA, dryRun: 'yes' } }),
        400,
        /^dryRun: /,
        'dryRun',
      );
      await expectError(
        await call('POST', deployments, { body: { bundle: SHA, force: true } }),
        400,
        /unknown field\(s\): force/,
      );
      await expectError(await call('POST', deployments), 400, 'request body required', 'body');
      await expectError(await call('POST', deployments, { body: '[1]' }), 400, 'expected a JSON object');
      await expectError(await call('POST', deployments, { body: '{"bundle":' }), 400, /malformed JSON body/);
      await expectError(
        await call('POST', deployments, {
          body: JSON.stringify({ bundle: SHA }),
          headers: { 'content-type': 'text/plain' },
        }),
        400,
        'content-type must be application/json',
        'content-type',
      );
      const rollback = `${APPS}/acme/shop/rollback`;
      await expectError(
        await call('POST', rollback, { body: {} }),
        400,
        /^version: required: give "version" or "bundle"/,
        'version',
      );
      await expectError(await call('POST', rollback, { body: { version: 1, bundle: SHA } }), 400, /not both/, 'bundle');
      await expectError(
        await call('POST', rollback, { body: { version: 0 } }),
        400,
        /^version: must be at least 1/,
        'version',
      );
      await expectError(await call('POST', rollback, { body: { version: 1.5 } }), 400, /^version: /, 'version');
      const secret = `${APPS}/acme/shop/secrets/K`;
      await expectError(
        await call('PUT', secret, { body: { value: 'x'.repeat(65_537) } }),
        400,
        /^value: must be at most 65536 bytes/,
        'value',
      );
      await expectError(await call('PUT', secret, { body: { value: 1 } }), 400, /^value: expected string/, 'value');
    });

    it('400 naming the query parameter of /logs', async () => {
      const cases: [string, string][] = [
        ['limit=0', 'limit'],
        ['limit=1001', 'limit'],
        ['limit=abc', 'limit'],
        ['since=-1', 'since'],
        ['since=1.5', 'since'],
        ['follow=yes', 'follow'],
        ['app=Acme', 'app'],
        ['tail=1', 'tail'],
        ['limit=1&limit=2', 'limit'],
      ];
      for (const [qs, field] of cases) {
        await expectError(await call('GET', `/admin/v1/logs?${qs}`), 400, new RegExp(`^${field}: `), field);
      }
      expect((await call('GET', '/admin/v1/logs?limit=1000&since=0&follow=false')).status).toBe(200);
    });

    it('404 for unknown admin paths, 405 with Allow for wrong methods', async () => {
      for (const path of [
        '/admin/v1/',
        '/admin/v1/apps/acme',
        '/admin/v1/apps/acme/shop/other',
        `${APPS}/`,
        '/admin/v1/bundles',
      ]) {
        await expectError(await call('GET', path), 404, 'admin route not found');
      }
      const wrong = await call('POST', `${APPS}/acme/shop`);
      expect(wrong.headers.get('allow')).toBe('GET, DELETE');
      await expectError(wrong, 405, 'method POST not allowed here; allowed: GET, DELETE');
      expect((await call('DELETE', `/admin/v1/bundles/${SHA}`)).headers.get('allow')).toBe('PUT, GET');
    });

    it('413 for bundles over maxBundleBytes (declared or streamed) and JSON bodies over 1 MiB', async () => {
      const before = api.calls.length;
      const declared = await call('PUT', `/admin/v1/bundles/${SHA}`, { body: new Uint8Array(5000) });
      expect(declared.headers.get('connection')).toBe('close');
      await expectError(declared, 413, 'request body exceeds 4096 bytes');
      const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          `${server.url}/admin/v1/bundles/${SHA}`,
          { method: 'PUT', headers: { authorization: `Bearer ${token()}` } },
          (r) => {
            let text = '';
            r.on('data', (c: Buffer) => (text += c.toString()));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        // No content-length: the cap must hold while streaming.
        req.write(new Uint8Array(3000));
        req.write(new Uint8Array(3000));
        req.end();
      });
      expect(chunked.status).toBe(413);
      expect(JSON.parse(chunked.body)).toMatchObject({ status: 413, message: 'request body exceeds 4096 bytes' });
      const bigJson = await call('PUT', `${APPS}/acme/shop/secrets/K`, { body: { value: 'x'.repeat(1024 * 1024) } });
      await expectError(bigJson, 413, 'request body exceeds 1048576 bytes');
      expect(api.calls.length).toBe(before);
    });
  });

  describe('GET /logs?follow=1 (SSE)', () => {
    it('streams the backlog, then live entries and heartbeats; unsubscribes when the client goes', async () => {
      const base = logs.read({ limit: 1 }).next;
      logs.write(`${JSON.stringify({ level: 30, time: 2, msg: 'backlog-shop', app: 'acme/shop' })}\n`);
      logs.write(`${JSON.stringify({ level: 30, time: 2, msg: 'backlog-todo', app: 'acme/todo' })}\n`);
      const abort = new AbortController();
      const res = await fetch(`${server.url}/admin/v1/logs?follow=1&app=acme/shop&since=${base}`, {
        headers: { authorization: `Bearer ${token()}` },
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(subscribers).toBe(1);
      const reader = res.body!.getReader();
      let text = '';
      const readUntil = async (needle: string): Promise<void> => {
        while (!text.includes(needle)) {
          const { value, done } = (await reader.read()) as { value?: Uint8Array; done: boolean };
          if (done || value === undefined) throw new Error(`stream ended before ${needle}`);
          text += Buffer.from(value).toString();
        }
      };
      await readUntil('backlog-shop');
      logs.write(`${JSON.stringify({ level: 40, time: 3, msg: 'live-todo', app: 'acme/todo' })}\n`);
      logs.write(`${JSON.stringify({ level: 50, time: 3, msg: 'live-shop', app: 'acme/shop', token: 'secret' })}\n`);
      await readUntil('live-shop');
      await readUntil(': heartbeat');
      const frames = text.split('\n\n').filter((f) => f.startsWith('id: '));
      expect(frames).toEqual([
        `id: ${base + 1}\ndata: ${JSON.stringify({ seq: base + 1, level: 30, time: 2, msg: 'backlog-shop', app: 'acme/shop' })}`,
        `id: ${base + 4}\ndata: ${JSON.stringify({ seq: base + 4, level: 50, time: 3, msg: 'live-shop', app: 'acme/shop' })}`,
      ]);
      expect(server.observed).toContainEqual({ route: '/admin/v1/logs', method: 'GET', status: 200 });
      abort.abort();
      await reader.cancel().catch(() => undefined);
      for (let i = 0; i < 100 && subscribers > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(subscribers).toBe(0);
    });

    it('resumes after Last-Event-ID, and after a restart (since beyond the newest) sends the recent backlog', async () => {
      const next = logs.read({ limit: 1 }).next;
      const open = async (headers: Record<string, string>, qs = ''): Promise<string> => {
        const abort = new AbortController();
        const res = await fetch(`${server.url}/admin/v1/logs?follow=true&limit=1${qs}`, {
          headers: { authorization: `Bearer ${token()}`, ...headers },
          signal: abort.signal,
        });
        const reader = res.body!.getReader();
        let text = '';
        while (!text.includes(': heartbeat')) text += Buffer.from((await reader.read()).value ?? []).toString();
        abort.abort();
        await reader.cancel().catch(() => undefined);
        return text;
      };
      expect(await open({ 'last-event-id': String(next) })).not.toContain('id: ');
      expect(await open({ 'last-event-id': String(next - 1) })).toContain(`id: ${next}\n`);
      expect(await open({}, `&since=${next + 1000}`)).toContain(`id: ${next}\n`);
    });

    it('shutdown() ends open streams', async () => {
      const res = await fetch(`${server.url}/admin/v1/logs?follow=1`, {
        headers: { authorization: `Bearer ${token()}` },
      });
      const reader = res.body!.getReader();
      await reader.read();
      server.handler.shutdown();
      let done = false;
      while (!done) done = (await reader.read()).done;
      expect(done).toBe(true);
    });
  });
});
