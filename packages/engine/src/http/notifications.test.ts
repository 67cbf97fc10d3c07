import { AppError } from '@stoa/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeApp, FakeCore, type TestServer, loadExampleAppDef, startTestServer } from './test-support.js';

const base = '/api/v2/apps/local/todo';
const APP = 'local/todo';

interface Frame {
  event?: string;
  data?: string;
  comment?: string;
}

interface Stream {
  readonly res: Response;
  next(timeoutMs?: number): Promise<Frame>;
  close(): void;
}

function parseFrame(text: string): Frame {
  const frame: Frame = {};
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim();
    else if (line.startsWith('event: ')) frame.event = line.slice(7);
    else if (line.startsWith('data: ')) frame.data = line.slice(6);
  }
  return frame;
}

async function openStream(server: TestServer, body: unknown, token = 'ok:alice'): Promise<Stream> {
  const ctrl = new AbortController();
  const res = await fetch(`${server.url}${base}/notifications`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: ctrl.signal,
  });
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  return {
    res,
    async next(timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const end = buf.indexOf('\n\n');
        if (end !== -1) {
          const text = buf.slice(0, end);
          buf = buf.slice(end + 2);
          return parseFrame(text);
        }
        if (reader === undefined || Date.now() > deadline) throw new Error('no SSE frame in time');
        let timer: NodeJS.Timeout | undefined;
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('no SSE frame in time')), timeoutMs);
          }),
        ]).finally(() => clearTimeout(timer));
        if (chunk.done) throw new Error('stream ended');
        buf += decoder.decode(chunk.value as Uint8Array, { stream: true });
      }
    },
    close: () => ctrl.abort(),
  };
}

async function waitFor(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('notifications over SSE', () => {
  let server: TestServer;
  let app: FakeApp;

  beforeAll(async () => {
    app = new FakeApp('local', 'todo', loadExampleAppDef('todo'));
    server = await startTestServer(new FakeCore([app]), undefined, { heartbeatMs: 50 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends channelId first, then every published offset of a subscribed view', async () => {
    const broker = server.core.notifications;
    broker.publish({ app: APP, view: 'todo.TaskStats', wsid: 5 }, 3); // before subscribing: replayed
    const stream = await openStream(server, { subscriptions: [{ entity: 'todo.TaskStats', wsid: 5 }] });
    try {
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(stream.res.headers.get('cache-control')).toBe('no-cache, no-transform');
      const first = await stream.next();
      expect(first.event).toBe('channelId');
      expect(first.data).toMatch(/^[0-9a-f-]{36}$/);
      expect(app.calls.filter((c) => c.method === 'authorizeSubscription').at(-1)?.args).toEqual([5, 'todo.TaskStats']);

      expect(await stream.next()).toEqual({ event: 'update', data: '{"view":"todo.TaskStats","wsid":5,"offset":3}' });
      broker.publish({ app: APP, view: 'todo.TaskStats', wsid: 5 }, 4);
      broker.publish({ app: APP, view: 'todo.TaskStats', wsid: 5 }, 4); // repeated: not resent
      broker.publish({ app: APP, view: 'todo.TaskStats', wsid: 6 }, 9); // other workspace: not subscribed
      broker.publish({ app: APP, view: 'todo.TaskStats', wsid: 5 }, 5);
      let frame = await stream.next();
      while (frame.comment !== undefined) frame = await stream.next();
      expect(JSON.parse(frame.data ?? '')).toEqual({ view: 'todo.TaskStats', wsid: 5, offset: 4 });
      frame = await stream.next();
      while (frame.comment !== undefined) frame = await stream.next();
      expect(JSON.parse(frame.data ?? '')).toEqual({ view: 'todo.TaskStats', wsid: 5, offset: 5 });
    } finally {
      stream.close();
    }
  });

  it('sends heartbeat comments', async () => {
    const stream = await openStream(server, { subscriptions: [{ entity: 'todo.TaskStats', wsid: 8 }] });
    try {
      expect((await stream.next()).event).toBe('channelId');
      expect(await stream.next()).toEqual({ comment: 'heartbeat' });
    } finally {
      stream.close();
    }
  });

  it('PUT adds and DELETE removes a subscription; the broker watcher goes away', async () => {
    const broker = server.core.notifications;
    const stream = await openStream(server, { subscriptions: [{ entity: 'todo.TaskStats', wsid: 11 }] });
    try {
      const channelId = (await stream.next()).data ?? '';
      const path = `${base}/notifications/${channelId}/workspaces/12/subscriptions/todo.AssigneeLoad`;
      const watchers = broker.watcherCount();
      const put = await server.call('PUT', path, { token: 'ok:alice' });
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual({});
      expect(broker.watcherCount()).toBe(watchers + 1);
      broker.publish({ app: APP, view: 'todo.AssigneeLoad', wsid: 12 }, 21);
      let frame = await stream.next();
      while (frame.comment !== undefined) frame = await stream.next();
      expect(JSON.parse(frame.data ?? '')).toEqual({ view: 'todo.AssigneeLoad', wsid: 12, offset: 21 });

      const del = await server.call('DELETE', path, { token: 'ok:alice' });
      expect(del.status).toBe(204);
      expect(broker.watcherCount()).toBe(watchers);

      // Another caller cannot touch the channel: it does not exist for them.
      const foreign = await server.call('PUT', path, { token: 'ok:mallory' });
      expect(foreign.status).toBe(404);
      expect(await foreign.json()).toEqual({ status: 404, message: 'notification channel not found' });
    } finally {
      stream.close();
    }
  });

  it('closing the client stream releases the channel and its watchers', async () => {
    const broker = server.core.notifications;
    await waitFor(() => broker.watcherCount() === 0); // streams of earlier tests are gone
    const before = 0;
    const stream = await openStream(server, {
      subscriptions: [
        { entity: 'todo.TaskStats', wsid: 31 },
        { entity: 'todo.TaskStats', wsid: 31 },
        { entity: 'todo.AssigneeLoad', wsid: 31 },
      ],
    });
    await stream.next();
    expect(broker.watcherCount()).toBe(before + 2); // duplicates collapse
    stream.close();
    await waitFor(() => broker.watcherCount() === before);
  });

  it('a denied subscription answers the AppError, not a stream', async () => {
    app.impl.authorizeSubscription = () => Promise.reject(new AppError('FORBIDDEN', 'cannot select todo.TaskStats'));
    try {
      const res = await server.call('POST', `${base}/notifications`, {
        token: 'ok:alice',
        body: { subscriptions: [{ entity: 'todo.TaskStats', wsid: 5 }] },
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ status: 403, message: 'cannot select todo.TaskStats' });
    } finally {
      delete app.impl.authorizeSubscription;
    }
  });

  it('validates the body and the subscription path', async () => {
    const bad = await server.call('POST', `${base}/notifications`, {
      token: 'ok:alice',
      body: { subscriptions: [{ entity: 'TaskStats', wsid: 0 }], expiresIn: 1e9 },
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { message: string };
    expect(body.message).toContain('subscriptions.0.entity: expected a qualified name pkg.Name');
    const unknown = await server.call('PUT', `${base}/notifications/nope/workspaces/1/subscriptions/todo.TaskStats`, {
      token: 'ok:alice',
    });
    expect(unknown.status).toBe(404);
    const badWsid = await server.call('DELETE', `${base}/notifications/nope/workspaces/x/subscriptions/todo.TaskStats`);
    expect(badWsid.status).toBe(400);
  });

  it('expiresIn ends the stream', async () => {
    const stream = await openStream(server, { subscriptions: [{ entity: 'todo.TaskStats', wsid: 41 }], expiresIn: 1 });
    expect((await stream.next()).event).toBe('channelId');
    await expect(
      (async () => {
        for (;;) await stream.next(3000);
      })(),
    ).rejects.toThrow('stream ended');
  });
});

describe('server close()', () => {
  it('ends open SSE streams and resolves promptly', async () => {
    const app = new FakeApp('local', 'todo', loadExampleAppDef('todo'));
    const server = await startTestServer(new FakeCore([app]));
    const stream = await openStream(server, { subscriptions: [{ entity: 'todo.TaskStats', wsid: 1 }] });
    expect((await stream.next()).event).toBe('channelId');
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(stream.next()).rejects.toThrow();
  });
});
