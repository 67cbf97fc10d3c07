// The admin commands (deploy, rollback, undeploy, apps, logs, secrets) against a fake node: an
// injected fetch. The real engine is exercised by the end-to-end tests of the engine side.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { FetchLike } from '@stoa/client/admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, stoa } from '../cli.test-util.js';

interface Seen {
  method: string;
  path: string;
  auth: string;
  body: Uint8Array | string | undefined;
}

type Route = (seen: Seen) => Response | undefined;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A fake node answering with the first route that answers; records every request. */
function fakeNode(...routes: Route[]): { fetch: FetchLike; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetch: FetchLike = (url, init) => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    const s: Seen = {
      method: init.method ?? 'GET',
      path: url.replace(/^http:\/\/node:8080/, ''),
      auth: headers['authorization'] ?? '',
      body: init.body === null || init.body === undefined ? undefined : (init.body as Uint8Array | string),
    };
    seen.push(s);
    for (const route of routes) {
      const res = route(s);
      if (res !== undefined) return Promise.resolve(res);
    }
    return Promise.resolve(json(404, { status: 404, message: `no route ${s.method} ${s.path}` }));
  };
  return { fetch, seen };
}

let temp: { dir: string; cleanup: () => void };
let zip: string;
let bundle: { id: string; bytes: number; manifest: { name: string } };
let closedPort: number;
let env: Record<string, string>;

beforeAll(async () => {
  temp = makeTempDir('admin');
  expect((await stoa(['init', 'app', '--template', 'blank'], { cwd: temp.dir })).code).toBe(0);
  const built = await stoa(['build', 'app', '--json', '--out', 'app.zip'], { cwd: temp.dir });
  expect(built.code).toBe(0);
  bundle = JSON.parse(built.stdout) as typeof bundle;
  zip = join(temp.dir, 'app.zip');
  expect((await stoa(['keygen', 'admin.jwk'], { cwd: temp.dir })).code).toBe(0);
  env = { STOA_ADMIN_URL: 'http://node:8080', STOA_ADMIN_KEY_FILE: 'admin.jwk' };
  // A port nobody listens on: bind one, then close it.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(() => temp.cleanup());

const putBundle: Route = (s) =>
  s.method === 'PUT' && s.path === `/admin/v1/bundles/${bundle.id}`
    ? json(201, { id: bundle.id, bytes: bundle.bytes, manifest: bundle.manifest, created: true })
    : undefined;

function deployAnswer(status: number, body: unknown): Route {
  return (s) =>
    s.method === 'POST' && s.path === '/admin/v1/apps/acme/myapp/deployments' ? json(status, body) : undefined;
}

const deployment = (version: number) => ({
  version,
  bundle: bundle.id,
  kind: 'deploy',
  at: '2025-01-01T00:00:00.000Z',
  by: 'cli:ann@box',
  diff: '+ field myapp.Note.Color',
});

const DIFF = {
  entries: [
    { change: 'added', subject: 'field', qname: 'myapp.Note', field: 'Color', detail: 'varchar(20)' },
    { change: 'changed', subject: 'field', qname: 'myapp.Note', field: 'Title', detail: 'varchar(200) → varchar(300)' },
  ],
  text: '+ field myapp.Note.Color: varchar(20)\n~ field myapp.Note.Title: varchar(200) → varchar(300)',
};

describe('usage errors exit 2 before any request', () => {
  it.each([
    [['deploy', '--bundle', 'app.zip'], 'no engine admin URL: pass --url <adminUrl> or set STOA_ADMIN_URL', {}],
    [['deploy', '--url', 'http://node:8080'], 'no admin key: pass --key <keyFile> or set STOA_ADMIN_KEY_FILE', {}],
    [['deploy', '--url', 'ftp://node', '--key', 'admin.jwk'], 'expected an http:// or https:// URL', {}],
    [['apps'], 'STOA_ADMIN_URL "not a url" is not a URL', { STOA_ADMIN_URL: 'not a url', STOA_ADMIN_KEY_FILE: 'k' }],
    [['deploy', 'app', '--bundle', 'app.zip'], 'give a project folder or --bundle <zipfile>, not both', undefined],
    [['deploy', '--bundle', 'app.zip', '--owner', 'Bad Owner'], 'owner "Bad Owner"', undefined],
    [['rollback', 'acme/todo'], 'give exactly one of --version <n> and --bundle <id>', undefined],
    [['rollback', 'acme/todo', '--version', '2', '--bundle', 'a'.repeat(64)], 'give exactly one', undefined],
    [['rollback', 'acme/todo', '--version', '0'], "option '--version <n>' argument '0' is invalid", undefined],
    [['rollback', 'acme/todo', '--bundle', 'abc'], 'bundle "abc": expected 64 lowercase hex digits', undefined],
    [['undeploy', 'todo'], '"todo" is not owner/app', undefined],
    [['apps', 'a/b/c'], '"a/b/c" is not owner/app', undefined],
    [['apps', 'acme/Todo'], 'app "Todo"', undefined],
    [['logs', '--limit', '0'], "option '--limit <n>' argument '0' is invalid", undefined],
    [['logs', '--limit', '1001'], 'expected an integer 1…1000', undefined],
    [['logs', '--since', 'x'], "option '--since <n>' argument 'x' is invalid", undefined],
    [['logs', '--app', 'nope'], '"nope" is not owner/app', undefined],
    [['secrets', 'set', 'acme/todo', '1BAD', '--value', 'v'], 'secret name "1BAD"', undefined],
    [['secrets', 'delete', 'acme/todo'], "missing required argument 'name'", undefined],
    [['secrets'], 'Usage: stoa secrets', undefined],
    [['deploy', '--bogus'], "unknown option '--bogus'", undefined],
    [['nonsense'], "unknown command 'nonsense'", undefined],
  ] as const)('%j', async (argv, message, envOverride) => {
    const { fetch, seen } = fakeNode();
    const res = await stoa(argv, { cwd: temp.dir, env: envOverride ?? env, fetch });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(message);
    expect(seen).toEqual([]);
  });
});

describe('failures reaching the node', () => {
  it.each([
    [['deploy', '--bundle', 'app.zip', '--owner', 'acme']],
    [['apps']],
    [['apps', 'acme/myapp']],
    [['logs']],
    [['logs', '--follow']],
    [['secrets', 'list', 'acme/myapp']],
    [['undeploy', 'acme/myapp']],
    [['rollback', 'acme/myapp', '--version', '1']],
  ])('%j on a closed port exits 5, naming the URL and ECONNREFUSED', async (argv) => {
    const url = `http://127.0.0.1:${closedPort}`;
    const res = await stoa([...argv, '--url', url], { cwd: temp.dir, env: { STOA_ADMIN_KEY_FILE: 'admin.jwk' } });
    expect(res.code).toBe(5);
    expect(res.stderr).toMatch(/the engine is unreachable: .*127\.0\.0\.1:\d+.*ECONNREFUSED/);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('401 and 403 exit 4, with a hint about the key for 401', async () => {
    const denied = fakeNode(() => json(401, { status: 401, message: 'invalid admin token' }));
    const res = await stoa(['apps'], { cwd: temp.dir, env, fetch: denied.fetch });
    expect(res.code).toBe(4);
    expect(res.stderr).toContain('list apps: invalid admin token (HTTP 401)');
    expect(res.stderr).toContain('STOA_ADMIN_PUBLIC_KEY');
    const forbidden = fakeNode(() => json(403, { status: 403, message: 'not allowed' }));
    expect((await stoa(['apps'], { cwd: temp.dir, env, fetch: forbidden.fetch })).code).toBe(4);
  });

  it('a missing or public key file exits 1 before any request', async () => {
    const { fetch, seen } = fakeNode();
    const missing = await stoa(['apps', '--key', 'nope.jwk'], { cwd: temp.dir, env, fetch });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `error: key file ${join(temp.dir, 'nope.jwk')}: not found (create one with stoa keygen <file>)\n`,
    );
    const pub = JSON.parse(readFileSync(join(temp.dir, 'admin.jwk'), 'utf8')) as Record<string, unknown>;
    delete pub['d'];
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(temp.dir, 'public.jwk'), JSON.stringify(pub), { mode: 0o600 });
    const wrong = await stoa(['apps', '--key', 'public.jwk'], { cwd: temp.dir, env, fetch });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('public.jwk: admin key: this is a public key (no "d")');
    expect(seen).toEqual([]);
  });
});

describe('stoa deploy', () => {
  it('uploads the zip bytes, deploys, and prints the diff, version and activation time', async () => {
    const result = {
      app: 'acme/myapp',
      deployment: deployment(2),
      unchanged: false,
      dryRun: false,
      diff: DIFF,
      activationMs: 7,
    };
    const node = fakeNode(putBundle, deployAnswer(201, result));
    const res = await stoa(['deploy', '--bundle', 'app.zip', '--owner', 'acme'], {
      cwd: temp.dir,
      env,
      fetch: node.fetch,
    });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(
      [
        `bundle ${bundle.id.slice(0, 12)} (${(bundle.bytes / 1024).toFixed(1)} KB) uploaded`,
        'schema changes in acme/myapp:',
        '  + field myapp.Note.Color: varchar(20)',
        '  ~ field myapp.Note.Title: varchar(200) → varchar(300)',
        `deployed acme/myapp version 2 (bundle ${bundle.id.slice(0, 12)}, activation 7 ms)`,
        '',
      ].join('\n'),
    );
    const [put, post] = node.seen;
    expect(Buffer.from(put!.body as Uint8Array).equals(readFileSync(zip))).toBe(true);
    expect(post!.body).toBe(JSON.stringify({ bundle: bundle.id }));
    const claims = JSON.parse(Buffer.from(put!.auth.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string };
    expect(claims.sub).toMatch(/^cli:.+@.+$/);
  });

  it('builds the project folder when no --bundle is given; first deploy and --dry-run say so', async () => {
    const first = {
      app: 'acme/myapp',
      deployment: { ...deployment(1), diff: '' },
      unchanged: false,
      dryRun: false,
      diff: { entries: [], text: '' },
      activationMs: 3,
    };
    const node = fakeNode(putBundle, deployAnswer(201, first));
    const res = await stoa(['deploy', 'app', '--owner', 'acme'], { cwd: temp.dir, env, fetch: node.fetch });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('first deploy: no earlier version to compare with\ndeployed acme/myapp version 1');

    const dry = { ...first, deployment: null, dryRun: true, diff: DIFF, activationMs: 0 };
    const dryNode = fakeNode(putBundle, deployAnswer(200, dry));
    const dryRes = await stoa(['deploy', '--bundle', 'app.zip', '--owner', 'acme', '--dry-run'], {
      cwd: temp.dir,
      env,
      fetch: dryNode.fetch,
    });
    expect(dryRes.code).toBe(0);
    expect(dryNode.seen[1]!.body).toBe(JSON.stringify({ bundle: bundle.id, dryRun: true }));
    expect(dryRes.stdout).toContain('  + field myapp.Note.Color: varchar(20)\n');
    expect(dryRes.stdout).toContain('dry run: nothing activated');
  });

  it('--json prints {bundle, result}; the owner comes from STOA_OWNER when not given', async () => {
    const result = {
      app: 'acme/myapp',
      deployment: null,
      unchanged: true,
      dryRun: false,
      diff: { entries: [], text: '' },
      activationMs: 0,
    };
    const node = fakeNode(putBundle, deployAnswer(200, result));
    const res = await stoa(['deploy', '--bundle', 'app.zip', '--json'], {
      cwd: temp.dir,
      env: { ...env, STOA_OWNER: 'acme' },
      fetch: node.fetch,
    });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ bundle: { id: bundle.id, bytes: bundle.bytes, created: true }, result });
  });

  it('a 409 incompatible exits 3 and lists every breaking change', async () => {
    const breaking = [
      { code: 'field-removed', qname: 'myapp.Note', field: 'Body', message: 'field myapp.Note.Body was removed' },
      {
        code: 'field-retyped',
        qname: 'myapp.Note',
        field: 'Pinned',
        message: 'field myapp.Note.Pinned changed type bool → int32',
      },
    ];
    const diff = {
      entries: [{ change: 'removed', subject: 'field', qname: 'myapp.Note', field: 'Body' }],
      text: '- field myapp.Note.Body',
    };
    const body = {
      status: 409,
      message: breaking.map((b) => b.message).join('\n'),
      data: { reason: 'incompatible', breaking, diff },
    };
    const res = await stoa(['deploy', '--bundle', 'app.zip', '--owner', 'acme'], {
      cwd: temp.dir,
      env,
      fetch: fakeNode(putBundle, deployAnswer(409, body)).fetch,
    });
    expect(res.code).toBe(3);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(
      [
        'error: deploy of acme/myapp refused: 2 breaking changes against the live version',
        '  ✗ field myapp.Note.Body was removed [field-removed]',
        '  ✗ field myapp.Note.Pinned changed type bool → int32 [field-retyped]',
        'schema changes:',
        '  - field myapp.Note.Body',
        'nothing was changed on the node',
        '',
      ].join('\n'),
    );
    const asJson = await stoa(['deploy', '--bundle', 'app.zip', '--owner', 'acme', '--json'], {
      cwd: temp.dir,
      env,
      fetch: fakeNode(putBundle, deployAnswer(409, body)).fetch,
    });
    expect(asJson.code).toBe(3);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ refused: { breaking, diff } });
  });

  it('other refusals exit 1 with the node’s message', async () => {
    const body = { status: 409, message: 'local/myapp is a folder app', data: { reason: 'folder-app' } };
    const res = await stoa(['deploy', '--bundle', 'app.zip'], {
      cwd: temp.dir,
      env,
      fetch: fakeNode(putBundle, (s) => (s.method === 'POST' ? json(409, body) : undefined)).fetch,
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('error: deploy local/myapp: local/myapp is a folder app (HTTP 409)\n');
  });

  it('a corrupt bundle file fails before any upload', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(temp.dir, 'junk.zip'), 'not a zip');
    const node = fakeNode();
    const res = await stoa(['deploy', '--bundle', 'junk.zip'], { cwd: temp.dir, env, fetch: node.fetch });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: bundle file .*junk\.zip: /);
    expect(node.seen).toEqual([]);
  });
});

describe('rollback, undeploy, apps, secrets, logs', () => {
  it('rollback sends the target and prints the result', async () => {
    const result = {
      app: 'acme/myapp',
      deployment: { ...deployment(4), kind: 'rollback' },
      unchanged: false,
      dryRun: false,
      diff: DIFF,
      activationMs: 2,
    };
    const node = fakeNode((s) => (s.path === '/admin/v1/apps/acme/myapp/rollback' ? json(201, result) : undefined));
    const res = await stoa(['rollback', 'acme/myapp', '--version', '1'], { cwd: temp.dir, env, fetch: node.fetch });
    expect(res.code).toBe(0);
    expect(node.seen[0]!.body).toBe('{"version":1}');
    expect(res.stdout).toContain('rolled back acme/myapp version 4');
  });

  it('undeploy, apps (list and detail)', async () => {
    const info = {
      owner: 'acme',
      name: 'myapp',
      partitions: 4,
      status: 'undeployed',
      source: 'admin',
      versionHash: bundle.id,
      active: deployment(2),
    };
    const node = fakeNode(
      (s) => (s.method === 'DELETE' ? json(200, info) : undefined),
      (s) => (s.path === '/admin/v1/apps' ? json(200, { apps: [info] }) : undefined),
      (s) =>
        s.path === '/admin/v1/apps/acme/myapp'
          ? json(200, { ...info, history: [deployment(2), { ...deployment(1), diff: '' }] })
          : undefined,
    );
    const un = await stoa(['undeploy', 'acme/myapp'], { cwd: temp.dir, env, fetch: node.fetch });
    expect(un).toMatchObject({ code: 0, stdout: expect.stringContaining('undeployed acme/myapp') as unknown });
    const list = await stoa(['apps'], { cwd: temp.dir, env, fetch: node.fetch });
    expect(list.stdout.split('\n')[1]).toBe(
      `acme/myapp  undeployed  2        admin   4           ${bundle.id.slice(0, 12)}`,
    );
    const detail = await stoa(['apps', 'acme/myapp'], { cwd: temp.dir, env, fetch: node.fetch });
    expect(detail.code).toBe(0);
    expect(detail.stdout).toContain('history (newest first):\n  v2  deploy');
    expect(detail.stdout).toContain('        + field myapp.Note.Color');
    const asJson = await stoa(['apps', '--json'], { cwd: temp.dir, env, fetch: node.fetch });
    expect(JSON.parse(asJson.stdout)).toEqual([info]);
  });

  it('secrets: set reads stdin without its trailing newline; list; delete of a missing one exits 1', async () => {
    const node = fakeNode(
      (s) => (s.method === 'PUT' ? new Response(null, { status: 204 }) : undefined),
      (s) => (s.method === 'GET' ? json(200, { names: ['API_KEY', 'OTHER'] }) : undefined),
      (s) => (s.method === 'DELETE' ? json(404, { status: 404, message: 'secret GONE not found' }) : undefined),
    );
    const set = await stoa(['secrets', 'set', 'acme/myapp', 'API_KEY'], {
      cwd: temp.dir,
      env,
      fetch: node.fetch,
      stdin: 's3cr3t\n',
    });
    expect(set).toMatchObject({ code: 0, stdout: 'set secret API_KEY of acme/myapp\n' });
    expect(node.seen[0]).toMatchObject({
      method: 'PUT',
      path: '/admin/v1/apps/acme/myapp/secrets/API_KEY',
      body: '{"value":"s3cr3t"}',
    });
    const list = await stoa(['secrets', 'list', 'acme/myapp'], { cwd: temp.dir, env, fetch: node.fetch });
    expect(list.stdout).toBe('API_KEY\nOTHER\n');
    const del = await stoa(['secrets', 'delete', 'acme/myapp', 'GONE'], { cwd: temp.dir, env, fetch: node.fetch });
    expect(del.code).toBe(1);
    expect(del.stderr).toBe('error: delete secret GONE of acme/myapp: secret GONE not found (HTTP 404)\n');
  });

  it('logs: human lines, --json lines, and --follow over SSE', async () => {
    const entries = [
      { seq: 1, time: Date.UTC(2025, 0, 1), level: 30, msg: 'deployed', app: 'acme/myapp' },
      { seq: 2, time: Date.UTC(2025, 0, 1, 0, 0, 1), level: 50, msg: 'boom', err: { message: 'x' } },
    ];
    const node = fakeNode((s) =>
      s.path.startsWith('/admin/v1/logs?') && !s.path.includes('follow') ? json(200, { entries, next: 2 }) : undefined,
    );
    const human = await stoa(['logs', '--app', 'acme/myapp', '--limit', '5'], {
      cwd: temp.dir,
      env,
      fetch: node.fetch,
    });
    expect(human.stdout).toBe(
      '2025-01-01T00:00:00.000Z INFO  acme/myapp deployed\n2025-01-01T00:00:01.000Z ERROR - boom\n',
    );
    expect(node.seen[0]!.path).toBe('/admin/v1/logs?app=acme%2Fmyapp&limit=5');
    const lines = await stoa(['logs', '--json', '--since', '0'], { cwd: temp.dir, env, fetch: node.fetch });
    expect(
      lines.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(entries);

    const sse = entries.map((e) => `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`).join(': ping\n\n');
    const streaming = fakeNode(
      () => new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    );
    const follow = await stoa(['logs', '--follow', '--json'], { cwd: temp.dir, env, fetch: streaming.fetch });
    expect(follow.code).toBe(0);
    expect(
      follow.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(entries);
    expect(follow.stderr).toBe('the node closed the log stream\n');
    expect(streaming.seen[0]!.path).toBe('/admin/v1/logs?follow=1');
  });
});
