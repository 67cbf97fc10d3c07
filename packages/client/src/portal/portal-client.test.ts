import { getEventListeners } from 'node:events';
import { isAppError } from '@stoa/errors';
import { describe, expect, it } from 'vitest';
import type { FetchLike } from '../transport.js';
import { createPortalClient, parseDeployLogEvent, type PortalClientOptions } from './portal-client.js';
import type { CreatedDeployment, DeployLogEvent } from './types.js';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array | string | undefined;
  signal: AbortSignal | undefined;
}

/** A fake portal: records every request and answers with what `answer` makes of it. */
function fakeFetch(answer: (call: Call, index: number) => Response | Promise<Response>): {
  fetch: FetchLike;
  calls: Call[];
} {
  const calls: Call[] = [];
  const fetch: FetchLike = async (url, init) => {
    const headers = { ...((init.headers ?? {}) as Record<string, string>) };
    const raw = init.body;
    const body = raw === undefined || raw === null ? undefined : typeof raw === 'string' ? raw : (raw as Uint8Array);
    const call = { url, method: init.method ?? 'GET', headers, body, signal: init.signal ?? undefined };
    calls.push(call);
    // Like fetch: an aborted request never reaches the server.
    if (call.signal?.aborted === true) throw new DOMException('aborted', 'AbortError');
    return answer(call, calls.length - 1);
  };
  return { fetch, calls };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const TOKEN = 'stoa_pat_0123456789abcdef';
const ID = '8f14e45f-ceea-467f-a0e6-0b0d2f5e3c11';

function client(fetch: FetchLike, extra: Partial<PortalClientOptions> = {}) {
  return createPortalClient({ baseUrl: 'http://portal:3000/', token: TOKEN, fetch, ...extra });
}

const CREATED: CreatedDeployment = {
  deploymentId: ID,
  deployment: { id: ID, status: 'queued', source: 'cli', createdAt: '2025-01-01T00:00:00.000Z', bundleId: null },
};

describe('PortalClient.createDeployment', () => {
  it('POSTs the archive as application/zip with the bearer token; 201 → the created deployment', async () => {
    const { fetch, calls } = fakeFetch(() => json(201, CREATED));
    const zip = Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0xff);
    const res = await client(fetch, { timeoutMs: 5_000 }).createDeployment('acme', 'todo', zip);
    expect(res).toEqual({ ok: true, value: CREATED });
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.method).toBe('POST');
    expect(call!.url).toBe('http://portal:3000/api/v1/orgs/acme/apps/todo/deployments');
    expect(call!.headers['content-type']).toBe('application/zip');
    expect(call!.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(call!.headers['accept']).toBe('application/json');
    expect(call!.body).toBeInstanceOf(Uint8Array);
    expect([...(call!.body as Uint8Array)]).toEqual([...zip]);
    // The upload has a deadline.
    expect(call!.signal).toBeInstanceOf(AbortSignal);
  });

  it('encodes org and app, so a hostile name cannot change the route', async () => {
    const { fetch, calls } = fakeFetch(() => json(404, { code: 'NOT_FOUND', message: 'org not found' }));
    await client(fetch).createDeployment('../x', 'a/b?c#d', new Uint8Array(1));
    expect(calls[0]!.url).toBe('http://portal:3000/api/v1/orgs/..%2Fx/apps/a%2Fb%3Fc%23d/deployments');
  });

  it.each([
    [401, 'UNAUTHENTICATED', 'access token not valid'],
    [403, 'FORBIDDEN', 'deploying needs the developer role'],
    [404, 'NOT_FOUND', 'app todo not found'],
    [413, 'PAYLOAD_TOO_LARGE', 'the archive is larger than 32 MiB'],
    [415, 'BAD_REQUEST', 'send the project archive as application/zip'],
  ] as const)('%i → an http failure with code %s and the portal message', async (status, code, message) => {
    const res = await client(fakeFetch(() => json(status, { code, message })).fetch).createDeployment(
      'acme',
      'todo',
      new Uint8Array(1),
    );
    expect(res).toMatchObject({ ok: false, error: { kind: 'http', status, code, message } });
  });

  it('a refused connection is a network failure naming the URL and ECONNREFUSED', async () => {
    const refused: FetchLike = () =>
      Promise.reject(
        new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }),
      );
    const res = await client(refused).createDeployment('acme', 'todo', new Uint8Array(1));
    expect(res).toMatchObject({
      ok: false,
      error: {
        kind: 'network',
        timedOut: false,
        message: 'POST http://portal:3000/api/v1/orgs/acme/apps/todo/deployments: fetch failed (ECONNREFUSED)',
      },
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The deploy log

const line = (seq: number, text: string, level: 'info' | 'warn' | 'error' = 'info'): DeployLogEvent => ({
  seq,
  at: 1_700_000_000_000 + seq,
  type: 'line',
  level,
  text,
});
const progress = (seq: number, stage: 'build' | 'activate', pct?: number): DeployLogEvent => ({
  seq,
  at: 1_700_000_000_000 + seq,
  type: 'progress',
  stage,
  ...(pct === undefined ? {} : { pct }),
});
const end = (seq: number, status: 'live' | 'failed', text?: string): DeployLogEvent => ({
  seq,
  at: 1_700_000_000_000 + seq,
  type: 'end',
  status,
  ...(text === undefined ? {} : { text }),
});

/** An event as the portal frames it: `id: <seq>` (unless `withId` is false) and `data: <json>`. */
function frame(event: DeployLogEvent, withId = true): string {
  return `${withId ? `id: ${event.seq}\n` : ''}data: ${JSON.stringify(event)}\n\n`;
}

const RETRY = 'retry: 3000\n\n';
const HEARTBEAT = ': heartbeat\n\n';

/**
 * A 200 event stream of `chunks`; then it closes, or errors with `breakWith` (a dropped
 * connection, as undici reports it). Like fetch's body, it errors when the request aborts.
 */
function sse(
  chunks: readonly string[],
  options: { breakWith?: Error; signal?: AbortSignal; onCancel?: () => void; stayOpen?: boolean } = {},
): Response {
  const encoder = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      options.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')), {
        once: true,
      });
    },
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk !== undefined) controller.enqueue(encoder.encode(chunk));
      else if (options.breakWith !== undefined) controller.error(options.breakWith);
      // A live stream with nothing more to say: pending until aborted or cancelled.
      else if (options.stayOpen === true) return new Promise<void>(() => undefined);
      else controller.close();
      return undefined;
    },
    cancel() {
      options.onCancel?.();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
}

async function collect(events: AsyncIterable<DeployLogEvent>): Promise<DeployLogEvent[]> {
  const seen: DeployLogEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

async function follow(fetch: FetchLike, options: Parameters<ReturnType<typeof client>['followDeployment']>[3] = {}) {
  const res = await client(fetch).followDeployment('acme', 'todo', ID, { reconnectDelayMs: 0, ...options });
  if (!res.ok) throw new Error(`expected a stream, got ${res.error.message}`);
  return res.value;
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

const LOG = [
  progress(1, 'build', 0),
  line(2, 'compiling schema/todo.vsql'),
  progress(3, 'build', 100),
  line(4, 'extension slugify: 12 KB', 'warn'),
  progress(5, 'activate'),
  end(6, 'live'),
];

describe('PortalClient.followDeployment', () => {
  it('asks for the event stream and yields backlog and live events up to `end`, skipping heartbeats and retry', async () => {
    let cancelled = false;
    const wire = [
      RETRY,
      frame(LOG[0]!) + frame(LOG[1]!),
      HEARTBEAT,
      // An event split across chunks, and a heartbeat between events.
      frame(LOG[2]!).slice(0, 9),
      frame(LOG[2]!).slice(9) + HEARTBEAT + frame(LOG[3]!),
      frame(LOG[4]!),
      frame(LOG[5]!),
      // Nothing after `end` is read: the stream is released.
      frame(line(7, 'never seen')),
    ];
    const { fetch, calls } = fakeFetch(() => sse(wire, { onCancel: () => (cancelled = true), stayOpen: true }));
    expect(await collect(await follow(fetch))).toEqual(LOG);
    expect(cancelled).toBe(true);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.method).toBe('GET');
    expect(call!.url).toBe(`http://portal:3000/api/v1/orgs/acme/apps/todo/deployments/${ID}/logs`);
    expect(call!.headers['accept']).toBe('text/event-stream');
    expect(call!.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(call!.headers['last-event-id']).toBeUndefined();
  });

  it('afterSeq resumes from there (Last-Event-ID); the id encodes in the path', async () => {
    const { fetch, calls } = fakeFetch(() => sse([RETRY, frame(LOG[5]!)]));
    const res = await client(fetch).followDeployment('my-org', 'todo', 'a/b', { afterSeq: 5 });
    if (!res.ok) throw new Error('expected a stream');
    expect(await collect(res.value)).toEqual([LOG[5]]);
    expect(calls[0]!.url).toBe('http://portal:3000/api/v1/orgs/my-org/apps/todo/deployments/a%2Fb/logs');
    expect(calls[0]!.headers['last-event-id']).toBe('5');
  });

  it('the portal closing event (no id) ends the iteration', async () => {
    const closing = end(1, 'failed', 'the deployment is failed (its log ended without a final line)');
    const { fetch } = fakeFetch(() => sse([RETRY, frame(closing, false)]));
    expect(await collect(await follow(fetch))).toEqual([closing]);
  });

  it.each([
    ['closes', undefined],
    ['breaks', new TypeError('terminated')],
  ])(
    'a stream that %s mid-way is reopened after the last event seen; the rest arrives once',
    async (_how, breakWith) => {
      // The fake portal honours Last-Event-ID, as the real one does.
      const { fetch, calls } = fakeFetch((call, index) => {
        const after = Number(call.headers['last-event-id'] ?? 0);
        const rest = LOG.filter((e) => e.seq > after).map((e) => frame(e));
        // The first connection drops after three events.
        return index === 0
          ? sse([RETRY, ...rest.slice(0, 3)], breakWith === undefined ? {} : { breakWith })
          : sse([RETRY, ...rest]);
      });
      const seen = await collect(await follow(fetch, { reconnectDelayMs: 1 }));
      expect(seen).toEqual(LOG);
      expect(calls.map((c) => c.headers['last-event-id'])).toEqual([undefined, '3']);
      expect(calls.map((c) => c.url)).toEqual([calls[0]!.url, calls[0]!.url]);
    },
  );

  it('an event without an id does not move the resume point', async () => {
    // Only the portal's closing event has no id; were another one sent, its seq is not a log seq.
    const { fetch, calls } = fakeFetch((call, index) => {
      if (index === 0) return sse([RETRY, frame(LOG[0]!), frame(LOG[1]!), frame(line(9, 'no id'), false)]);
      const after = Number(call.headers['last-event-id'] ?? 0);
      return sse(LOG.filter((e) => e.seq > after).map((e) => frame(e)));
    });
    const seen = await collect(await follow(fetch));
    expect(calls.map((c) => c.headers['last-event-id'])).toEqual([undefined, '2']);
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 9, 3, 4, 5, 6]);
  });

  it('gives up with UNAVAILABLE after maxReconnects drops in a row; 5xx and network failures count too', async () => {
    const { fetch, calls } = fakeFetch((_call, index) => {
      if (index === 0) return sse([RETRY, frame(LOG[0]!)]);
      if (index === 1) return json(503, { code: 'UNAVAILABLE', message: 'portal restarting' });
      if (index === 2) return Promise.reject(new TypeError('fetch failed'));
      return sse([RETRY, HEARTBEAT], { breakWith: new TypeError('terminated') });
    });
    const events = await follow(fetch, { maxReconnects: 3 });
    const seen: DeployLogEvent[] = [];
    const error = await failureOf(
      (async () => {
        for await (const event of events) seen.push(event);
      })(),
    );
    expect(seen).toEqual([LOG[0]]);
    expect(isAppError(error) && error.code).toBe('UNAVAILABLE');
    expect((error as Error).message).toBe(`deploy log of ${ID}: terminated (gave up after 3 reconnects)`);
    expect(calls).toHaveLength(4);
    expect(calls.slice(1).map((c) => c.headers['last-event-id'])).toEqual(['1', '1', '1']);
  });

  it('an event resets the count of failures: only drops in a row give up', async () => {
    // Each connection brings one event, then drops: with maxReconnects 1 it still reaches `end`.
    const { fetch, calls } = fakeFetch((call) => {
      const after = Number(call.headers['last-event-id'] ?? 0);
      const next = LOG.find((e) => e.seq > after)!;
      return sse([frame(next)], { breakWith: new TypeError('terminated') });
    });
    expect(await collect(await follow(fetch, { maxReconnects: 1 }))).toEqual(LOG);
    expect(calls).toHaveLength(LOG.length);
  });

  it.each([
    [404, 'NOT_FOUND'],
    [401, 'UNAUTHENTICATED'],
  ] as const)('a %i on reconnect throws AppError %s at once', async (status, code) => {
    const { fetch, calls } = fakeFetch((_call, index) =>
      index === 0
        ? sse([RETRY, frame(LOG[0]!)], { breakWith: new TypeError('terminated') })
        : json(status, { code, message: 'deployment not found' }),
    );
    const error = await failureOf(collect(await follow(fetch, { maxReconnects: 5 })));
    expect(isAppError(error) && error.code).toBe(code);
    expect((error as Error).message).toBe(`deploy log of ${ID}: deployment not found`);
    expect(calls).toHaveLength(2);
  });

  it('a refusal of the first connection is a failure value, not an iterator', async () => {
    const denied = await client(
      fakeFetch(() => json(401, { code: 'UNAUTHENTICATED', message: 'token revoked' })).fetch,
    ).followDeployment('acme', 'todo', ID);
    expect(denied).toMatchObject({
      ok: false,
      error: { kind: 'http', status: 401, code: 'UNAUTHENTICATED', message: 'token revoked' },
    });
    const down = await client(() => Promise.reject(new TypeError('fetch failed'))).followDeployment('acme', 'todo', ID);
    expect(down).toMatchObject({ ok: false, error: { kind: 'network' } });
  });

  it.each([
    ['not JSON', 'data: {oops\n\n', /not a deploy log event: "\{oops"/],
    [
      'not an event',
      `id: 1\ndata: ${JSON.stringify({ seq: 1, at: 1, type: 'line', level: 'debug', text: 'x' })}\n\n`,
      /not a deploy log event/,
    ],
  ])('a malformed event (%s) throws INTERNAL, without reconnecting', async (_what, wire, message) => {
    const { fetch, calls } = fakeFetch(() => sse([RETRY, frame(LOG[0]!), wire, frame(LOG[5]!)]));
    const seen: DeployLogEvent[] = [];
    const error = await failureOf(
      (async () => {
        for await (const event of await follow(fetch)) seen.push(event);
      })(),
    );
    expect(seen).toEqual([LOG[0]]);
    expect(isAppError(error) && error.code).toBe('INTERNAL');
    expect((error as Error).message).toMatch(message);
    expect(calls).toHaveLength(1);
  });

  it('an abort while streaming ends the iteration quietly', async () => {
    const controller = new AbortController();
    const { fetch, calls } = fakeFetch((call) =>
      sse([RETRY, frame(LOG[0]!), frame(LOG[1]!)], { stayOpen: true, ...(call.signal ? { signal: call.signal } : {}) }),
    );
    const seen: DeployLogEvent[] = [];
    for await (const event of await follow(fetch, { signal: controller.signal })) {
      seen.push(event);
      if (event.seq === 2) setTimeout(() => controller.abort(), 1);
    }
    expect(seen).toEqual([LOG[0], LOG[1]]);
    expect(calls).toHaveLength(1);
  });

  it('an abort while waiting to reconnect ends the iteration at once, and leaves no listener behind', async () => {
    const controller = new AbortController();
    const { fetch } = fakeFetch((call) =>
      sse([RETRY, frame(LOG[0]!)], {
        breakWith: new TypeError('terminated'),
        ...(call.signal ? { signal: call.signal } : {}),
      }),
    );
    const events = await follow(fetch, { signal: controller.signal, reconnectDelayMs: 60_000 });
    const started = performance.now();
    const seen: DeployLogEvent[] = [];
    setTimeout(() => controller.abort(), 20);
    for await (const event of events) seen.push(event);
    expect(seen).toEqual([LOG[0]]);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('reconnect waits do not pile up abort listeners on the signal', async () => {
    const controller = new AbortController();
    const { fetch } = fakeFetch((call) => {
      const after = Number(call.headers['last-event-id'] ?? 0);
      return sse([frame(LOG.find((e) => e.seq > after)!)], { breakWith: new TypeError('terminated') });
    });
    const seen = await collect(await follow(fetch, { signal: controller.signal, reconnectDelayMs: 1 }));
    expect(seen).toEqual(LOG);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('parseDeployLogEvent', () => {
  it('accepts the three event types as the worker writes them', () => {
    for (const event of [...LOG, end(7, 'failed', 'schema/todo.vsql:3:7: unknown type'), line(8, 'x', 'error')]) {
      expect(parseDeployLogEvent(JSON.stringify(event))).toEqual(event);
    }
  });

  it.each([
    ['null', null],
    ['no seq', { at: 1, type: 'line', level: 'info', text: 'x' }],
    ['no at', { seq: 1, type: 'line', level: 'info', text: 'x' }],
    ['unknown type', { seq: 1, at: 1, type: 'note', text: 'x' }],
    ['line without text', { seq: 1, at: 1, type: 'line', level: 'info' }],
    ['unknown stage', { seq: 1, at: 1, type: 'progress', stage: 'compile' }],
    ['pct not a number', { seq: 1, at: 1, type: 'progress', stage: 'build', pct: '50' }],
    ['unknown status', { seq: 1, at: 1, type: 'end', status: 'done' }],
    ['text not a string', { seq: 1, at: 1, type: 'end', status: 'failed', text: 3 }],
  ])('refuses %s with INTERNAL', (_what, value) => {
    expect(() => parseDeployLogEvent(JSON.stringify(value))).toThrow(/not a deploy log event/);
  });

  it('shortens a long refused event in the message', () => {
    const error = (() => {
      try {
        parseDeployLogEvent('x'.repeat(500));
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a failure');
    })();
    expect(isAppError(error) && error.code).toBe('INTERNAL');
    expect(error.message).toBe(`deploy log: an event is not a deploy log event: "${'x'.repeat(80)}…"`);
  });
});
