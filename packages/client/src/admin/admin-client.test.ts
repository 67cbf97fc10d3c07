import { isAppError } from '@stoa/errors';
import { importJWK, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FetchLike } from '../transport.js';
import { createAdminClient, isIncompatible, type AdminClientOptions } from './admin-client.js';
import { generateAdminKeyPair, type AdminPrivateJwk, type AdminPublicJwk } from './keys.js';
import type { LogEntry } from './types.js';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array | string | undefined;
}

/** A fake node: records every request and answers with the next scripted response. */
function fakeFetch(answer: (call: Call) => Response | Promise<Response>): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const raw = init.body;
    const body = raw === undefined || raw === null ? undefined : typeof raw === 'string' ? raw : (raw as Uint8Array);
    const call = { url, method: init.method ?? 'GET', headers, body };
    calls.push(call);
    return answer(call);
  };
  return { fetch, calls };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

let privateJwk: AdminPrivateJwk;
let publicJwk: AdminPublicJwk;

beforeAll(async () => {
  ({ privateJwk, publicJwk } = await generateAdminKeyPair());
});

function client(fetch: FetchLike, extra: Partial<AdminClientOptions> = {}) {
  return createAdminClient({ baseUrl: 'http://node:8080/', key: privateJwk, subject: 'cli:ann@box', fetch, ...extra });
}

async function claimsOf(call: Call) {
  const auth = call.headers['authorization'] ?? '';
  expect(auth).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  const key = await importJWK({ ...publicJwk }, 'EdDSA');
  return (await jwtVerify(auth.slice('Bearer '.length), key, { audience: 'stoa-admin' })).payload;
}

const ID = 'a'.repeat(64);
const MANIFEST = {
  format: 'stoa.bundle/1',
  name: 'todo',
  partitions: 4,
  appdefVersion: 1,
  compiler: { assemblyscript: '0.28.20', abi: 1 },
  sources: { 'schema/todo.vsql': 'b'.repeat(64) },
  modules: {},
  appdefSha256: 'c'.repeat(64),
};

describe('AdminClient wire format', () => {
  it('PUTs bundle bytes as application/zip with a verifiable system JWT', async () => {
    const { fetch, calls } = fakeFetch(() => json(201, { id: ID, bytes: 3, manifest: MANIFEST, created: true }));
    const bytes = Uint8Array.of(0x50, 0x4b, 0x03);
    const res = await client(fetch).putBundle(ID, bytes);
    expect(res).toEqual({ ok: true, value: { id: ID, bytes: 3, manifest: MANIFEST, created: true } });
    const [call] = calls;
    expect(call!.method).toBe('PUT');
    expect(call!.url).toBe(`http://node:8080/admin/v1/bundles/${ID}`);
    expect(call!.headers['content-type']).toBe('application/zip');
    expect(call!.body).toBeInstanceOf(Uint8Array);
    expect([...(call!.body as Uint8Array)]).toEqual([0x50, 0x4b, 0x03]);
    const claims = await claimsOf(call!);
    expect(claims.sub).toBe('cli:ann@box');
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(typeof claims.jti).toBe('string');
  });

  it('sends each route its method, path and JSON body', async () => {
    const { fetch, calls } = fakeFetch((call) => {
      if (call.url.endsWith('/apps')) return json(200, { apps: [] });
      if (call.url.endsWith('/secrets')) return json(200, { names: ['A', 'B'] });
      if (call.url.endsWith('/nodes')) return json(200, { nodes: [] });
      if (call.url.includes('/secrets/')) return new Response(null, { status: 204 });
      return json(200, {});
    });
    const admin = client(fetch);
    await admin.getBundle(ID);
    await admin.deploy('acme', 'todo', { bundle: ID });
    await admin.deploy('acme', 'todo', { bundle: ID, dryRun: true });
    await admin.rollback('acme', 'todo', { version: 2 });
    await admin.rollback('acme', 'todo', { bundle: ID });
    await admin.undeploy('acme', 'todo');
    expect(await admin.listApps()).toEqual({ ok: true, value: [] });
    await admin.getApp('acme', 'todo');
    expect(await admin.listSecrets('acme', 'todo')).toEqual({ ok: true, value: ['A', 'B'] });
    expect(await admin.putSecret('acme', 'todo', 'API_KEY', 's3cr3t')).toEqual({ ok: true, value: undefined });
    expect(await admin.deleteSecret('acme', 'todo', 'API_KEY')).toEqual({ ok: true, value: undefined });
    expect(await admin.listNodes()).toEqual({ ok: true, value: [] });
    const base = 'http://node:8080/admin/v1';
    expect(calls.map((c) => [c.method, c.url.slice(base.length), c.body])).toEqual([
      ['GET', `/bundles/${ID}`, undefined],
      ['POST', '/apps/acme/todo/deployments', JSON.stringify({ bundle: ID })],
      ['POST', '/apps/acme/todo/deployments', JSON.stringify({ bundle: ID, dryRun: true })],
      ['POST', '/apps/acme/todo/rollback', JSON.stringify({ version: 2 })],
      ['POST', '/apps/acme/todo/rollback', JSON.stringify({ bundle: ID })],
      ['DELETE', '/apps/acme/todo', undefined],
      ['GET', '/apps', undefined],
      ['GET', '/apps/acme/todo', undefined],
      ['GET', '/apps/acme/todo/secrets', undefined],
      ['PUT', '/apps/acme/todo/secrets/API_KEY', JSON.stringify({ value: 's3cr3t' })],
      ['DELETE', '/apps/acme/todo/secrets/API_KEY', undefined],
      ['GET', '/nodes', undefined],
    ]);
    for (const call of calls) {
      expect(call.headers['content-type']).toBe(typeof call.body === 'string' ? 'application/json' : undefined);
    }
  });

  it('encodes path segments, so a hostile name cannot change the route', async () => {
    const { fetch, calls } = fakeFetch(() => json(400, { status: 400, message: 'bad owner' }));
    await client(fetch).getApp('../x', 'a/b?c');
    expect(calls[0]!.url).toBe('http://node:8080/admin/v1/apps/..%2Fx/a%2Fb%3Fc');
  });

  it('reuses a token until 30 s before it expires, then signs a new one', async () => {
    let now = 1_700_000_000_000;
    const { fetch, calls } = fakeFetch(() => json(200, { nodes: [] }));
    const admin = client(fetch, { now: () => now });
    await admin.listNodes();
    now += 89_000;
    await admin.listNodes();
    now += 1_000; // 90 s after signing: 30 s left of 120 → a new token
    await admin.listNodes();
    const [a, b, c] = calls.map((call) => call.headers['authorization']);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    const payload = JSON.parse(Buffer.from(c!.split('.')[1]!, 'base64url').toString('utf8')) as { iat: number };
    expect(payload.iat).toBe(1_700_000_090);
  });

  it('reads logs with app/since/limit in the query and checks the body shape', async () => {
    const entries: LogEntry[] = [{ seq: 5, time: 1, level: 30, msg: 'deployed', app: 'acme/todo' }];
    const { fetch, calls } = fakeFetch(() => json(200, { entries, next: 5 }));
    const res = await client(fetch).readLogs({ app: 'acme/todo', since: 4, limit: 10 });
    expect(res).toEqual({ ok: true, value: { entries, next: 5 } });
    expect(calls[0]!.url).toBe('http://node:8080/admin/v1/logs?app=acme%2Ftodo&since=4&limit=10');
    const bad = await client(fakeFetch(() => json(200, { lines: [] })).fetch).readLogs();
    expect(bad).toMatchObject({
      ok: false,
      error: { kind: 'invalid-response', message: expect.stringMatching(/entries/) as unknown },
    });
    const badList = await client(fakeFetch(() => json(200, { nope: 1 })).fetch).listApps();
    expect(badList).toMatchObject({
      ok: false,
      error: { kind: 'invalid-response', message: 'expected a body {apps: [...]}' },
    });
  });
});

describe('AdminClient failures', () => {
  const breaking = [
    { code: 'field-removed', qname: 'todo.Task', field: 'Title', message: 'field todo.Task.Title removed' },
  ];
  const diff = {
    entries: [{ change: 'removed', subject: 'field', qname: 'todo.Task', field: 'Title' }],
    text: '- field todo.Task.Title',
  };

  it('a 409 incompatible deploy is an http error value that isIncompatible recognises', async () => {
    const body = {
      status: 409,
      message: 'field todo.Task.Title removed',
      data: { reason: 'incompatible', breaking, diff },
    };
    const res = await client(fakeFetch(() => json(409, body)).fetch).deploy('acme', 'todo', { bundle: ID });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(isIncompatible(res.error)).toBe(true);
    if (!isIncompatible(res.error)) return;
    expect(res.error.code).toBe('CONFLICT');
    expect(res.error.data.breaking).toEqual(breaking);
    expect(res.error.data.diff.text).toBe('- field todo.Task.Title');
  });

  it('other failures are not incompatible: 409 folder app, 401, network', async () => {
    const folder = await client(
      fakeFetch(() => json(409, { status: 409, message: 'local/todo is a folder app', data: { reason: 'folder-app' } }))
        .fetch,
    ).deploy('local', 'todo', { bundle: ID });
    const unauth = await client(fakeFetch(() => json(401, { status: 401, message: 'bad token' })).fetch).listApps();
    const down = await client(async () => Promise.reject(new TypeError('fetch failed'))).listApps();
    for (const res of [folder, unauth, down]) {
      expect(res.ok).toBe(false);
      if (!res.ok) expect(isIncompatible(res.error)).toBe(false);
    }
    expect(unauth).toMatchObject({
      ok: false,
      error: { kind: 'http', status: 401, code: 'UNAUTHENTICATED', message: 'bad token' },
    });
    expect(down).toMatchObject({
      ok: false,
      error: { kind: 'network', message: 'GET http://node:8080/admin/v1/apps: fetch failed' },
    });
  });
});

function sseResponse(chunks: string[], onCancel?: () => void): Response {
  const encoder = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(encoder.encode(chunk));
    },
    cancel() {
      onCancel?.();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

describe('AdminClient.followLogs', () => {
  it('asks for an event stream and yields the entries, whatever the chunking', async () => {
    const a = JSON.stringify({ seq: 7, time: 1000, level: 30, msg: 'hello', app: 'acme/todo' });
    const b = JSON.stringify({ seq: 8, time: 1001, level: 50, msg: 'bööm', reqId: 'r1' });
    const wire = `: hi\nid: 7\ndata: ${a}\n\nid: 8\ndata: ${b}\n\n`;
    const { fetch, calls } = fakeFetch(() => sseResponse([wire.slice(0, 13), wire.slice(13, 60), wire.slice(60)]));
    const res = await client(fetch, { timeoutMs: 5 }).followLogs({ app: 'acme/todo', since: 6 });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const seen: LogEntry[] = [];
    for await (const entry of res.value) seen.push(entry);
    expect(seen).toEqual([JSON.parse(a), JSON.parse(b)]);
    expect(calls[0]!.url).toBe('http://node:8080/admin/v1/logs?app=acme%2Ftodo&since=6&follow=1');
    expect(calls[0]!.headers['accept']).toBe('text/event-stream');
    await claimsOf(calls[0]!);
  });

  it('ends quietly when the signal aborts, and releases the stream', async () => {
    const controller = new AbortController();
    let cancelled = false;
    const line = `data: ${JSON.stringify({ seq: 1, time: 1, level: 30, msg: 'x' })}\n\n`;
    // Abort-aware like fetch: the body errors once the request's signal aborts.
    const fetch: FetchLike = (_url, init) => {
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(encoder.encode(line));
          init.signal?.addEventListener('abort', () => c.error(new DOMException('aborted', 'AbortError')));
        },
        cancel() {
          cancelled = true;
        },
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    };
    const res = await client(fetch).followLogs({ signal: controller.signal });
    if (!res.ok) throw new Error('expected a stream');
    const seen: number[] = [];
    for await (const entry of res.value) {
      seen.push(entry.seq);
      controller.abort();
    }
    expect(seen).toEqual([1]);
    // The errored stream cannot be cancelled any more; breaking out early can.
    const again = await client(fakeFetch(() => sseResponse([line, line], () => (cancelled = true))).fetch).followLogs(
      {},
    );
    if (!again.ok) throw new Error('expected a stream');
    for await (const _entry of again.value) break;
    expect(cancelled).toBe(true);
  });

  it('refusals are values before streaming; a non-entry event throws INTERNAL from the iteration', async () => {
    const denied = await client(fakeFetch(() => json(401, { status: 401, message: 'no' })).fetch).followLogs({});
    expect(denied).toMatchObject({ ok: false, error: { kind: 'http', status: 401 } });
    const res = await client(fakeFetch(() => sseResponse(['data: not json\n\n'])).fetch).followLogs({});
    if (!res.ok) throw new Error('expected a stream');
    const consume = async () => {
      for await (const _entry of res.value) void _entry;
    };
    await expect(consume()).rejects.toSatisfy(
      (e: unknown) => isAppError(e) && e.code === 'INTERNAL' && /not a log entry: "not json"/.test(e.message),
    );
  });

  it('a stream broken mid-way throws UNAVAILABLE', async () => {
    const fetch: FetchLike = () => {
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.error(new TypeError('terminated'));
        },
      });
      return Promise.resolve(new Response(body, { status: 200 }));
    };
    const res = await client(fetch).followLogs({});
    if (!res.ok) throw new Error('expected a stream');
    const consume = async () => {
      for await (const _entry of res.value) void _entry;
    };
    await expect(consume()).rejects.toThrow('log stream broken: terminated');
  });
});
