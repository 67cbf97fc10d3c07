// The deploy log SSE route on a real Postgres and a real Redis: backlog then live events with
// `id: <seq>`, the end of the stream at `end`, resuming with Last-Event-ID, heartbeats, a closing
// event for final deployments whose log has no `end`, unsubscribing when the client goes away, and
// org scoping (401 without a session, 404 for a deployment of another org).
//
// Events are written the way the worker's writer does (apps/worker/src/logs/deploy-log.ts, not
// importable from here): INCR the counter, RPUSH the JSON, PUBLISH it — in one MULTI.
import type { DeploymentStatus } from '@stoa/db';
import { deployLogKeys, type DeployLogEvent, type DeployLogEventInput } from '@stoa/jobs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDeployment } from '../../../test/deployment-fixtures';
import { openPortal, routeDepsAs, type Portal, type TestUser } from '../../../test/fixtures';
import { handleDeployLogRequest, handleTokenDeployLogRequest } from './deploy-log';

let portal: Portal;
let member: TestUser;
let outsider: TestUser;
let appId: string;
let orgSlug: string;
let outsiderSlug: string;
const written: string[] = [];

async function writeEvent(deploymentId: string, event: DeployLogEventInput): Promise<number> {
  const keys = deployLogKeys(deploymentId);
  const seq = await portal.redis.incr(keys.seq);
  const json = JSON.stringify({ ...event, seq });
  await portal.redis.multi().rpush(keys.list, json).publish(keys.channel, json).exec();
  return seq;
}

async function newDeployment(status: DeploymentStatus): Promise<string> {
  const { id } = await insertDeployment(portal.db, appId, status);
  written.push(id);
  return id;
}

interface SseFrame {
  readonly id?: string;
  readonly data?: DeployLogEvent;
  readonly comment?: string;
  readonly retry?: string;
}

/** Reads SSE frames from a response body as they arrive. */
function frameReader(res: Response) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const frames: SseFrame[] = [];
  let ended = false;
  const parse = (block: string): SseFrame => {
    const frame: { id?: string; data?: DeployLogEvent; comment?: string; retry?: string } = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) frame.comment = line.slice(1).trim();
      else if (line.startsWith('id: ')) frame.id = line.slice(4);
      else if (line.startsWith('retry: ')) frame.retry = line.slice(7);
      else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6)) as DeployLogEvent;
    }
    return frame;
  };
  /** Reads until `predicate` holds for the frames so far, or the stream ends. */
  async function until(predicate: (frames: SseFrame[]) => boolean, timeoutMs = 5_000): Promise<SseFrame[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(frames) && !ended) {
      if (Date.now() > deadline) throw new Error(`timed out; frames so far: ${JSON.stringify(frames)}`);
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        frames.push(parse(buffer.slice(0, cut)));
        buffer = buffer.slice(cut + 2);
      }
    }
    return frames;
  }
  return {
    until,
    events: () => frames.filter((f) => f.data !== undefined),
    ended: () => ended,
    cancel: () => reader.cancel(),
  };
}

function logRequest(headers: Record<string, string> = {}, query = ''): Request {
  return new Request(`http://portal.test/api/deployments/x/logs${query}`, { headers });
}

beforeAll(async () => {
  portal = await openPortal();
  [member, outsider] = await Promise.all([portal.createUser('log-member'), portal.createUser('log-outsider')]);
  const org = await portal.createOrg(member, 'logs');
  orgSlug = org.slug;
  outsiderSlug = (await portal.createOrg(outsider, 'elsewhere')).slug;
  appId = (await portal.as(member).app.create({ orgSlug: org.slug, name: 'todo' })).id;
});

afterAll(async () => {
  for (const id of written) {
    const keys = deployLogKeys(id);
    await portal?.redis.del(keys.list, keys.seq);
  }
  await portal?.drop();
});

describe('GET /api/deployments/{id}/logs', () => {
  it('streams the backlog, then live events, with id = seq, and ends after `end`', async () => {
    const id = await newDeployment('building');
    await writeEvent(id, { at: Date.now(), type: 'progress', stage: 'queued' });
    await writeEvent(id, { at: Date.now(), type: 'line', level: 'info', text: 'build of logs/todo started' });

    const res = await handleDeployLogRequest(logRequest(), { id }, routeDepsAs(portal, member));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toContain('no-cache');
    const stream = frameReader(res);
    const backlog = await stream.until((f) => f.filter((x) => x.data).length >= 2);
    expect(backlog[0]?.retry).toBe('3000');
    expect(stream.events().map((f) => [f.id, f.data?.type])).toEqual([
      ['1', 'progress'],
      ['2', 'line'],
    ]);

    // Live, after the follower subscribed.
    await writeEvent(id, { at: Date.now(), type: 'progress', stage: 'build', pct: 40 });
    await writeEvent(id, { at: Date.now(), type: 'line', level: 'warn', text: 'slow disk' });
    await writeEvent(id, { at: Date.now(), type: 'end', status: 'live', text: 'logs/todo is live' });
    await stream.until(() => false);
    expect(stream.ended()).toBe(true);
    const events = stream.events();
    expect(events.map((f) => f.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(events.map((f) => f.data?.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events[2]?.data).toMatchObject({ type: 'progress', stage: 'build', pct: 40 });
    expect(events[4]?.data).toMatchObject({ type: 'end', status: 'live', text: 'logs/todo is live' });

    // Resuming after seq 3 (EventSource's Last-Event-ID, or ?after=) gets the rest only.
    for (const req of [logRequest({ 'last-event-id': '3' }), logRequest({}, '?after=3')]) {
      const resumed = frameReader(await handleDeployLogRequest(req, { id }, routeDepsAs(portal, member)));
      await resumed.until(() => false);
      expect(resumed.events().map((f) => f.data?.seq)).toEqual([4, 5]);
    }
  });

  it('sends heartbeats, and closes a stream whose deployment turned final without an `end`', async () => {
    const id = await newDeployment('rolling_out');
    await writeEvent(id, { at: Date.now(), type: 'line', level: 'info', text: 'rolling out' });
    const res = await handleDeployLogRequest(logRequest(), { id }, routeDepsAs(portal, member, 100));
    const stream = frameReader(res);
    await stream.until((f) => f.some((x) => x.comment === 'heartbeat'));
    await portal.db.deployment.update({ where: { id }, data: { status: 'failed' } });
    await stream.until(() => false);
    const events = stream.events();
    expect(events.map((f) => f.data?.type)).toEqual(['line', 'end']);
    // The closing event comes from the status, and carries no id (it is not in the log).
    expect(events[1]?.id).toBeUndefined();
    expect(events[1]?.data).toMatchObject({ type: 'end', status: 'failed', seq: 2 });
  });

  it('a final deployment whose log has no `end` (expired, never written): backlog + closing event at once', async () => {
    const empty = await newDeployment('superseded');
    const stream = frameReader(await handleDeployLogRequest(logRequest(), { id: empty }, routeDepsAs(portal, member)));
    await stream.until(() => false, 2_000);
    expect(stream.events().map((f) => f.data)).toMatchObject([{ type: 'end', status: 'live', seq: 1 }]);

    const partial = await newDeployment('failed');
    await writeEvent(partial, { at: Date.now(), type: 'line', level: 'error', text: 'stoa.json: bad' });
    const again = frameReader(await handleDeployLogRequest(logRequest(), { id: partial }, routeDepsAs(portal, member)));
    await again.until(() => false, 2_000);
    expect(again.events().map((f) => [f.id, f.data?.type])).toEqual([
      ['1', 'line'],
      [undefined, 'end'],
    ]);
  });

  it('unsubscribes when the client goes away', async () => {
    const id = await newDeployment('building');
    const { channel } = deployLogKeys(id);
    const controller = new AbortController();
    const req = new Request('http://portal.test/api/deployments/x/logs', { signal: controller.signal });
    const stream = frameReader(await handleDeployLogRequest(req, { id }, routeDepsAs(portal, member)));
    await writeEvent(id, { at: Date.now(), type: 'progress', stage: 'fetch' });
    await stream.until((f) => f.some((x) => x.data !== undefined));
    const subscribers = async () => ((await portal.redis.pubsub('NUMSUB', channel)) as [string, number])[1];
    expect(await subscribers()).toBe(1);
    controller.abort();
    await stream.cancel();
    await expect.poll(subscribers, { timeout: 3_000 }).toBe(0);
  });

  it('isolation: 401 without a session, 404 for another org’s deployment or an unknown id', async () => {
    const id = await newDeployment('building');
    await writeEvent(id, { at: Date.now(), type: 'line', level: 'info', text: 'secret build output' });
    const anonymous = await handleDeployLogRequest(logRequest(), { id }, routeDepsAs(portal, null));
    expect(anonymous.status).toBe(401);
    for (const target of [id, crypto.randomUUID(), 'not-a-uuid']) {
      const res = await handleDeployLogRequest(logRequest(), { id: target }, routeDepsAs(portal, outsider));
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.text()).not.toContain('secret build output');
    }
  });
});

describe('GET /api/v1/orgs/{slug}/apps/{app}/deployments/{id}/logs (portal access token)', () => {
  function tokenLogRequest(token: string | null): Request {
    return new Request('http://portal.test/api/v1/orgs/x/apps/todo/deployments/x/logs', {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
  }
  const deps = () => routeDepsAs(portal, null);

  it('streams the log to a token of the deployment’s org and ends after `end`', async () => {
    const id = await newDeployment('building');
    await writeEvent(id, { at: Date.now(), type: 'line', level: 'info', text: 'compiling' });
    await writeEvent(id, { at: Date.now(), type: 'end', status: 'failed', text: 'schema/todo.vsql:3:7: boom' });
    const { token } = await portal.as(member).token.create({ orgSlug, name: 'log-cli' });
    const res = await handleTokenDeployLogRequest(tokenLogRequest(token), { slug: orgSlug, app: 'todo', id }, deps());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const stream = frameReader(res);
    await stream.until(() => false);
    expect(stream.events().map((f) => f.data)).toMatchObject([
      { seq: 1, type: 'line', text: 'compiling' },
      { seq: 2, type: 'end', status: 'failed', text: 'schema/todo.vsql:3:7: boom' },
    ]);
  });

  it('401 without a valid token; 404 for another org, another app or an unknown id — nothing streamed', async () => {
    const id = await newDeployment('building');
    await writeEvent(id, { at: Date.now(), type: 'line', level: 'info', text: 'secret build output' });
    for (const token of [null, 'stoa_pat_unknown', 'not-a-token']) {
      const res = await handleTokenDeployLogRequest(tokenLogRequest(token), { slug: orgSlug, app: 'todo', id }, deps());
      expect(res.status).toBe(401);
    }
    const mine = (await portal.as(member).token.create({ orgSlug, name: 'log-cli-2' })).token;
    const theirs = (await portal.as(outsider).token.create({ orgSlug: outsiderSlug, name: 'other' })).token;
    const cases: [string, { slug: string; app: string; id: string }][] = [
      [theirs, { slug: outsiderSlug, app: 'todo', id }],
      [theirs, { slug: orgSlug, app: 'todo', id }],
      [mine, { slug: orgSlug, app: 'other', id }],
      [mine, { slug: orgSlug, app: 'todo', id: crypto.randomUUID() }],
      [mine, { slug: orgSlug, app: 'todo', id: 'not-a-uuid' }],
    ];
    for (const [token, params] of cases) {
      const res = await handleTokenDeployLogRequest(tokenLogRequest(token), params, deps());
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('secret build output');
    }
  });
});
