// `stoa deploy --portal` against a fake portal (an injected fetch answering as apps/web's tool API
// does: 201 {deploymentId, deployment}, then the deploy log as SSE). The real portal and worker are
// exercised by their own integration tests.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { inflateZipEntry, listZipEntries } from '@stoa/bundle/zip';
import type { FetchLike } from '@stoa/client/admin';
import type { DeployLogEvent } from '@stoa/client/portal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, stoa, type CliRun, type RunOptions } from '../cli.test-util.js';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array | string | undefined;
}

type Route = (seen: Seen, signal: AbortSignal | undefined) => Response | Promise<Response> | undefined;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** Answers with the first route that answers (else 404, as the portal); records every request. */
function fakePortal(...routes: Route[]): { fetch: FetchLike; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch: FetchLike = async (url, init) => {
    const s: Seen = {
      method: init.method ?? 'GET',
      url,
      headers: { ...((init.headers ?? {}) as Record<string, string>) },
      body: init.body === null || init.body === undefined ? undefined : (init.body as Uint8Array | string),
    };
    seen.push(s);
    for (const route of routes) {
      const res = await route(s, init.signal ?? undefined);
      if (res !== undefined) return res;
    }
    return json(404, { code: 'NOT_FOUND', message: `no route ${s.method} ${s.url}` });
  };
  return { fetch, seen };
}

const PORTAL = 'http://portal:3000';
const TOKEN = 'stoa_pat_Zq8vN3kP0wXyT7mR2sLd';
const ID = '0b8a8c2e-1d2f-4e5a-9b6c-7d8e9f0a1b2c';
const SHORT = ID.slice(0, 12);
const UPLOAD_URL = `${PORTAL}/api/v1/orgs/acme/apps/myapp/deployments`;
const LOG_URL = `${UPLOAD_URL}/${ID}/logs`;

const created: Route = (s) =>
  s.method === 'POST' && s.url === UPLOAD_URL
    ? json(201, {
        deploymentId: ID,
        deployment: { id: ID, status: 'queued', source: 'cli', createdAt: '2025-01-01T00:00:00.000Z' },
      })
    : undefined;

/** The deploy log as the portal streams it; stays open after the events unless one is `end`. */
function logStream(events: readonly DeployLogEvent[]): Route {
  return (s, signal) => {
    if (s.method !== 'GET' || s.url !== LOG_URL) return undefined;
    const encoder = new TextEncoder();
    const frames = ['retry: 3000\n\n', ...events.map((e) => `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`)];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')));
      },
      pull(controller) {
        const frame = frames.shift();
        if (frame !== undefined) controller.enqueue(encoder.encode(frame));
        else if (events.some((e) => e.type === 'end')) controller.close();
        else return new Promise<void>(() => undefined);
        return undefined;
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
}

const at = 1_700_000_000_000;
const LOG: DeployLogEvent[] = [
  { seq: 1, at, type: 'progress', stage: 'queued' },
  { seq: 2, at, type: 'line', level: 'info', text: 'unpacked 3 files' },
  { seq: 3, at, type: 'progress', stage: 'build', pct: 10 },
  { seq: 4, at, type: 'progress', stage: 'build', pct: 90 },
  { seq: 5, at, type: 'line', level: 'warn', text: 'partitions fixed at 4' },
  { seq: 6, at, type: 'progress', stage: 'activate' },
];
const LIVE: DeployLogEvent = { seq: 7, at, type: 'end', status: 'live' };
const FAILURE = 'schema/todo.vsql:3:7: unknown type Strng';
const FAILED: DeployLogEvent[] = [
  { seq: 1, at, type: 'progress', stage: 'build' },
  { seq: 2, at, type: 'line', level: 'error', text: FAILURE },
  { seq: 3, at, type: 'end', status: 'failed', text: FAILURE },
];

let temp: { dir: string; cleanup: () => void };
let closedPort: number;
const ENV = { STOA_PORTAL_URL: PORTAL, STOA_PORTAL_TOKEN: TOKEN, STOA_ORG: 'acme' };
/** Project files as packed: .gitignore is a dot file. */
const PROJECT_FILES = ['README.md', 'schema/myapp.vsql', 'stoa.json'];

beforeAll(async () => {
  temp = makeTempDir('deploy-portal');
  expect((await stoa(['init', 'app', '--template', 'blank'], { cwd: temp.dir })).code).toBe(0);
  expect((await stoa(['keygen', 'admin.jwk'], { cwd: temp.dir })).code).toBe(0);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(() => temp.cleanup());

/** Runs stoa in the temp dir; whatever happens, the token is never printed. */
async function run(argv: readonly string[], options: Partial<RunOptions> = {}): Promise<CliRun> {
  const res = await stoa(argv, { cwd: temp.dir, env: ENV, ...options });
  expect(res.stdout).not.toContain(TOKEN);
  expect(res.stderr).not.toContain(TOKEN);
  expect(res.stdout + res.stderr).not.toContain('Zq8vN3kP0wXyT7mR2sLd');
  return res;
}

describe('stoa deploy --portal: usage errors exit 2 before any request', () => {
  const noPortal = { STOA_PORTAL_TOKEN: TOKEN, STOA_ORG: 'acme' };
  it.each([
    [['deploy', 'app', '--org', 'acme'], noPortal, 'no portal URL: pass --portal <url> or set STOA_PORTAL_URL'],
    [['deploy', 'app', '--portal', PORTAL], { STOA_PORTAL_TOKEN: TOKEN }, 'no org: pass --org <slug> or set STOA_ORG'],
    [['deploy', 'app'], { STOA_PORTAL_URL: PORTAL, STOA_ORG: 'acme' }, 'no portal access token: set STOA_PORTAL_TOKEN'],
    [
      ['deploy', 'app'],
      { ...ENV, STOA_PORTAL_TOKEN: 'ghp_notaportaltoken' },
      'STOA_PORTAL_TOKEN is not a portal access token (they start with stoa_pat_)',
    ],
    [
      ['deploy', 'app', '--portal', 'ftp://portal'],
      ENV,
      '--portal "ftp://portal": expected an http:// or https:// URL',
    ],
    [['deploy', 'app'], { ...ENV, STOA_PORTAL_URL: 'portal' }, 'STOA_PORTAL_URL "portal" is not a URL'],
    [['deploy', 'app', '--org', 'Acme Inc'], ENV, 'org "Acme Inc"'],
    [['deploy', 'app', '--portal', PORTAL, '--url', 'http://node:8080'], ENV, 'give --url (an engine) or --portal'],
    [['deploy', 'app', '--org', 'acme', '--url', 'http://node:8080'], ENV, 'give --url (an engine) or --portal'],
    [['deploy', 'app', '--portal', PORTAL, '--key', 'admin.jwk'], ENV, '--key is for deploys straight to an engine'],
    [['deploy', 'app', '--owner', 'acme'], ENV, '--owner is for deploys straight to an engine (--url)'],
    [['deploy', '--portal', PORTAL, '--bundle', 'b.zip'], ENV, '--bundle is for deploys straight to an engine'],
    [['deploy', 'app', '--portal', PORTAL, '--dry-run'], ENV, '--dry-run is for deploys straight to an engine'],
    [
      ['deploy', 'app', '--no-follow', '--url', 'http://node:8080', '--key', 'admin.jwk'],
      ENV,
      '--no-follow is for deploys through the portal (--portal)',
    ],
    [['deploy', 'app', '--no-follow'], {}, '--no-follow is for deploys through the portal'],
  ] as const)('%j with %j', async (argv, env, message) => {
    const { fetch, seen } = fakePortal();
    const res = await run(argv, { env, fetch });
    expect(res.stderr).toContain(message);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(seen).toEqual([]);
  });

  it('a bad token is not echoed back', async () => {
    const res = await run(['deploy', 'app'], { env: { ...ENV, STOA_PORTAL_TOKEN: 'sekrit-value-42' } });
    expect(res.code).toBe(2);
    expect(res.stderr).not.toContain('sekrit-value-42');
  });
});

describe('stoa deploy: portal or engine', () => {
  it('STOA_PORTAL_URL without --url goes to the portal, uploading the project files as a zip', async () => {
    const portal = fakePortal(created);
    const res = await run(['deploy', 'app', '--no-follow'], { fetch: portal.fetch });
    expect(res.stderr).toBe(`deployment ${SHORT} of acme/myapp queued (${PORTAL}/orgs/acme/apps/myapp)\n`);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`${ID}\n`);
    expect(portal.seen).toHaveLength(1);
    const [upload] = portal.seen;
    expect(upload!.method).toBe('POST');
    expect(upload!.url).toBe(UPLOAD_URL);
    expect(upload!.headers['content-type']).toBe('application/zip');
    expect(upload!.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    const zip = upload!.body as Uint8Array;
    const entries = listZipEntries(zip, { maxEntries: 100, explainBadName: () => undefined });
    expect(entries.map((e) => e.name).sort()).toEqual(PROJECT_FILES);
    for (const entry of entries) {
      const onDisk = readFileSync(join(temp.dir, 'app', entry.name));
      expect(Buffer.from(inflateZipEntry(zip, entry)).equals(onDisk)).toBe(true);
    }
  });

  it('--portal and --org win over the environment; a trailing slash is dropped', async () => {
    const other = `${PORTAL.replace('portal', 'other')}`;
    const portal = fakePortal((s) =>
      s.url === `${other}/api/v1/orgs/beta/apps/myapp/deployments` ? json(201, { deploymentId: ID }) : undefined,
    );
    const res = await run(['deploy', '--portal', `${other}/`, '--org', 'beta', '--no-follow'], {
      cwd: join(temp.dir, 'app'),
      fetch: portal.fetch,
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`${ID}\n`);
    expect(res.stderr).toContain(`(${other}/orgs/beta/apps/myapp)`);
  });

  it('--url goes to the engine even with STOA_PORTAL_URL set', async () => {
    const node = fakePortal(() => json(401, { status: 401, message: 'invalid admin token' }));
    const res = await run(['deploy', 'app', '--url', 'http://node:8080', '--key', 'admin.jwk'], { fetch: node.fetch });
    expect(res.code).toBe(4);
    expect(res.stderr).toContain('STOA_ADMIN_PUBLIC_KEY');
    expect(node.seen.map((s) => s.url)).toEqual([expect.stringMatching(/^http:\/\/node:8080\/admin\/v1\/bundles\//)]);
    // Without a key it is the engine's usage error, not a portal one.
    const noKey = await run(['deploy', 'app', '--url', 'http://node:8080'], { fetch: node.fetch });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('no admin key');
  });

  it('STOA_ORG alone does not choose the portal', async () => {
    const res = await run(['deploy', 'app'], { env: { STOA_ORG: 'acme', STOA_PORTAL_TOKEN: TOKEN } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('no engine admin URL');
  });

  it('--json --no-follow prints {deploymentId, org, app, status}', async () => {
    const res = await run(['deploy', 'app', '--json', '--no-follow'], { fetch: fakePortal(created).fetch });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ deploymentId: ID, org: 'acme', app: 'myapp', status: 'queued' });
  });
});

describe('stoa deploy --portal: following the deployment', () => {
  it('prints log lines and stage changes, then "live org/app": exit 0', async () => {
    const portal = fakePortal(created, logStream([...LOG, LIVE]));
    const res = await run(['deploy', 'app'], { fetch: portal.fetch });
    expect(res.stderr).toBe(`deployment ${SHORT} of acme/myapp queued (${PORTAL}/orgs/acme/apps/myapp)\n`);
    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n');
    expect(lines.slice(0, -2)).toEqual([
      '» queued',
      'unpacked 3 files',
      '» build',
      'partitions fixed at 4',
      '» activate',
    ]);
    expect(lines.at(-2)).toMatch(new RegExp(`^live acme/myapp: deployment ${SHORT} in \\d+ (ms|\\.\\d\\d s)$`));
    expect(lines.at(-1)).toBe('');
    expect(portal.seen.map((s) => [s.method, s.url])).toEqual([
      ['POST', UPLOAD_URL],
      ['GET', LOG_URL],
    ]);
    expect(portal.seen[1]!.headers['accept']).toBe('text/event-stream');
    expect(portal.seen[1]!.headers['authorization']).toBe(`Bearer ${TOKEN}`);
  });

  it('with --json, stdout is only the final document; the log goes to stderr', async () => {
    const res = await run(['deploy', 'app', '--json'], { fetch: fakePortal(created, logStream([...LOG, LIVE])).fetch });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ deploymentId: ID, org: 'acme', app: 'myapp', status: 'live' });
    expect(res.stderr).toContain('» build\n');
    expect(res.stderr).toContain('unpacked 3 files\n');
  });

  it('`end failed` exits 1 with its text (file:line:col) on stderr', async () => {
    const res = await run(['deploy', 'app'], { fetch: fakePortal(created, logStream(FAILED)).fetch });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe(`» build\n${FAILURE}\n`);
    expect(res.stderr).toMatch(
      new RegExp(`error: deployment ${SHORT} of acme/myapp failed after \\d+ (ms|\\.\\d\\d s): ${FAILURE}\\n$`),
    );
    const asJson = await run(['deploy', 'app', '--json'], { fetch: fakePortal(created, logStream(FAILED)).fetch });
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toEqual({
      deploymentId: ID,
      org: 'acme',
      app: 'myapp',
      status: 'failed',
      text: FAILURE,
    });
  });

  it('Ctrl-C (the signal) stops following: exit 1, the deployment goes on', async () => {
    const controller = new AbortController();
    const res = await run(['deploy', 'app'], {
      fetch: fakePortal(created, logStream(LOG)).fetch,
      signal: controller.signal,
      stdout: (text) => {
        if (text.includes('» activate')) controller.abort();
      },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`stopped following; deployment ${SHORT} continues (${PORTAL}/orgs/acme/apps/myapp)`);
  });

  it('a 404 when opening the log exits 1', async () => {
    const res = await run(['deploy', 'app'], { fetch: fakePortal(created).fetch });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`follow deployment ${SHORT}: no route GET ${LOG_URL} (HTTP 404)`);
  });
  it('losing the log after the upload (stream broken, then 401) exits 4 and says where the deployment goes on', async () => {
    let opened = 0;
    const brokenThenRefused: Route = (s) => {
      if (s.url !== LOG_URL) return undefined;
      opened += 1;
      if (opened > 1) return json(401, { code: 'UNAUTHENTICATED', message: 'the access token was revoked' });
      const frame = `id: 2\ndata: ${JSON.stringify(LOG[1])}\n\n`;
      let sent = false;
      const body = new ReadableStream<Uint8Array>({
        // One event, then the connection breaks (error() in the same turn would drop the event).
        pull(controller) {
          if (sent) controller.error(new Error('socket hang up'));
          else controller.enqueue(new TextEncoder().encode(frame));
          sent = true;
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    };
    const res = await run(['deploy', 'app'], { fetch: fakePortal(created, brokenThenRefused).fetch });
    expect(res.code).toBe(4);
    expect(res.stdout).toContain('unpacked 3 files');
    expect(res.stderr).toContain('the access token was revoked');
    expect(res.stderr).toContain(`deployment ${SHORT} continues without the CLI: ${PORTAL}/orgs/acme/apps/myapp`);
    expect(opened).toBe(2);
  });
});

describe('stoa deploy --portal: failures reaching the portal', () => {
  it('401 on upload exits 4 with the portal token hint', async () => {
    const portal = fakePortal(() => json(401, { code: 'UNAUTHENTICATED', message: 'access token not valid' }));
    const res = await run(['deploy', 'app'], { fetch: portal.fetch });
    expect(res.code).toBe(4);
    expect(res.stderr).toContain('deploy acme/myapp through the portal: access token not valid (HTTP 401)');
    expect(res.stderr).toContain('the portal refused the access token: is STOA_PORTAL_TOKEN a token of this org');
    expect(res.stderr).not.toContain('STOA_ADMIN_PUBLIC_KEY');
    expect(portal.seen).toHaveLength(1);
  });

  it('403 exits 4, 404 and 413 exit 1', async () => {
    for (const [status, code, exit] of [
      [403, 'FORBIDDEN', 4],
      [404, 'NOT_FOUND', 1],
      [413, 'PAYLOAD_TOO_LARGE', 1],
    ] as const) {
      const portal = fakePortal(() => json(status, { code, message: `refused with ${status}` }));
      const res = await run(['deploy', 'app'], { fetch: portal.fetch });
      expect(res.code).toBe(exit);
      expect(res.stderr).toContain(`refused with ${status} (HTTP ${status})`);
    }
  });

  it('a refused connection exits 5, naming the portal and ECONNREFUSED', async () => {
    const refused: FetchLike = () =>
      Promise.reject(
        new TypeError('fetch failed', {
          cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
        }),
      );
    const res = await run(['deploy', 'app'], { fetch: refused });
    expect(res.code).toBe(5);
    expect(res.stderr).toBe(
      `error: deploy acme/myapp through the portal: the portal is unreachable: POST ${UPLOAD_URL}: fetch failed (ECONNREFUSED)\n`,
    );
  });

  it('a closed port (the real fetch) exits 5', async () => {
    const url = `http://127.0.0.1:${closedPort}`;
    const res = await run(['deploy', 'app', '--portal', url]);
    expect(res.code).toBe(5);
    expect(res.stderr).toMatch(/the portal is unreachable: POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/.*ECONNREFUSED/);
  });

  it('a folder that is not a project exits 1 before any request', async () => {
    const { fetch, seen } = fakePortal();
    const res = await run(['deploy', 'app/schema'], { fetch });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`error: ${join(temp.dir, 'app/schema')} is not an app project: it has no stoa.json\n`);
    expect(seen).toEqual([]);
  });
});
