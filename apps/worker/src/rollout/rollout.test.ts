// The rollout's phases and failure classification against fake nodes (an injected fetch that
// answers the admin routes). The real engine is in rollout.int.test.ts.
import { generateAdminKeyPair, type AdminPrivateJwk, type FetchLike } from '@stoa/client/admin';
import { UnrecoverableError } from 'bullmq';
import { beforeAll, describe, expect, it } from 'vitest';
import { isRetryable, toJobFailure } from '../failures.js';
import { RolloutError, rolloutBundle, type RolloutOptions } from './rollout.js';

const BUNDLE = { id: 'ab'.repeat(32), bytes: new Uint8Array([1, 2, 3]) };
let key: AdminPrivateJwk;
beforeAll(async () => {
  key = (await generateAdminKeyPair()).privateJwk;
});

type Phase = 'upload' | 'check' | 'activate';
type Answer = { status: number; body?: unknown } | 'network';

interface Call {
  readonly node: string;
  readonly phase: Phase;
}

/** Nodes that answer like the engine unless `override(node, phase)` returns another answer. */
function fakeNodes(override: (node: string, phase: Phase) => Answer | undefined = () => undefined): {
  fetch: FetchLike;
  calls: Call[];
} {
  const calls: Call[] = [];
  const fetch: FetchLike = (input, init) => {
    const url = new URL(input);
    const node = url.origin;
    let phase: Phase;
    if (init.method === 'PUT' && url.pathname.startsWith('/admin/v1/bundles/')) phase = 'upload';
    else if (init.method === 'POST' && url.pathname.endsWith('/deployments')) {
      phase =
        (JSON.parse(typeof init.body === 'string' ? init.body : '{}') as { dryRun?: boolean }).dryRun === true
          ? 'check'
          : 'activate';
    } else return Promise.resolve(new Response('{"status":404,"message":"no route"}', { status: 404 }));
    calls.push({ node, phase });
    const answer = override(node, phase) ?? normalAnswer(phase);
    if (answer === 'network') return Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }));
    return Promise.resolve(
      new Response(JSON.stringify(answer.body ?? {}), {
        status: answer.status,
        headers: { 'content-type': 'application/json' },
      }),
    );
  };
  return { fetch, calls };
}

function normalAnswer(phase: Phase): Answer {
  if (phase === 'upload') return { status: 201, body: { id: BUNDLE.id, bytes: 3, manifest: {}, created: true } };
  const dryRun = phase === 'check';
  const diff = {
    entries: [{ change: 'added', subject: 'field', qname: 'notes.Note', field: 'Mood' }],
    text: '+ field notes.Note.Mood',
  };
  return {
    status: dryRun ? 200 : 201,
    body: {
      app: 'acme/notes',
      deployment: dryRun ? null : { version: 2, bundle: BUNDLE.id, kind: 'deploy', at: '', by: 'w', diff: diff.text },
      unchanged: false,
      dryRun,
      diff,
      activationMs: dryRun ? 0 : 7,
    },
  };
}

const NODES = [{ url: 'http://node-a:8080' }, { url: 'http://node-b:8080' }];

function options(fetch: FetchLike, extra: Partial<RolloutOptions> = {}): RolloutOptions {
  return {
    bundle: BUNDLE,
    owner: 'acme',
    app: 'notes',
    nodes: NODES,
    adminKey: key,
    subject: 'worker:test',
    fetch,
    ...extra,
  };
}

async function rolloutFailure(opts: RolloutOptions): Promise<RolloutError> {
  const error = await rolloutBundle(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RolloutError);
  return error as RolloutError;
}

describe('rolloutBundle', () => {
  it('uploads everywhere, checks everywhere, then activates node by node', async () => {
    const { fetch, calls } = fakeNodes();
    const lines: string[] = [];
    const progress: string[] = [];
    const result = await rolloutBundle(
      options(fetch, { log: (l) => lines.push(l), progress: (stage, pct) => progress.push(`${stage}:${pct}`) }),
    );
    expect(calls.map((c) => c.phase)).toEqual(['upload', 'upload', 'check', 'check', 'activate', 'activate']);
    expect(calls.filter((c) => c.phase === 'activate').map((c) => c.node)).toEqual(NODES.map((n) => n.url));
    expect(result.diff).toBe('+ field notes.Note.Mood');
    expect(result.nodes).toEqual(
      NODES.map((n) => ({
        url: n.url,
        uploaded: true,
        version: 2,
        unchanged: false,
        diff: '+ field notes.Note.Mood',
        activationMs: 7,
      })),
    );
    expect(progress).toEqual(['upload:50', 'upload:100', 'activate:50', 'activate:100']);
    expect(lines).toContain('schema changes:\n+ field notes.Note.Mood');
    expect(lines.at(-1)).toBe('http://node-b:8080: acme/notes live as version 2 (activation 7 ms)');
  });

  it('refuses an incompatible change on any node before activating anything (permanent)', async () => {
    const breaking = [
      {
        code: 'field-type-changed',
        qname: 'notes.Note',
        field: 'Title',
        message: 'field notes.Note.Title: type changed',
      },
    ];
    const { fetch, calls } = fakeNodes((node, phase) =>
      node === 'http://node-b:8080' && phase === 'check'
        ? {
            status: 409,
            body: {
              status: 409,
              message: 'incompatible change:\nfield notes.Note.Title: type changed',
              data: { reason: 'incompatible', breaking, diff: { entries: [], text: '~ field notes.Note.Title' } },
            },
          }
        : undefined,
    );
    const error = await rolloutFailure(options(fetch));
    expect(calls.some((c) => c.phase === 'activate')).toBe(false);
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe('acme/notes: incompatible change:\nfield notes.Note.Title: type changed');
    expect(error.data).toMatchObject({ reason: 'incompatible', breaking, diff: '~ field notes.Note.Title' });
    expect(error.nodes).toEqual({ 'http://node-a:8080': 'uploaded', 'http://node-b:8080': 'uploaded' });
    expect(isRetryable(error)).toBe(false);
    const failure = toJobFailure(error);
    expect(failure).toBeInstanceOf(UnrecoverableError);
    expect(failure.message).toBe(error.message);
    expect(failure.cause).toBe(error);
  });

  it('classifies failures: 400/401/404 permanent; network, 5xx and 429 retryable', async () => {
    const cases: [Phase, Answer, boolean, string][] = [
      ['upload', { status: 400, body: { status: 400, message: 'bundle is corrupt' } }, false, 'BAD_REQUEST'],
      ['upload', { status: 401, body: { status: 401, message: 'unauthenticated' } }, false, 'UNAUTHENTICATED'],
      ['check', { status: 404, body: { status: 404, message: 'bundle not found' } }, false, 'NOT_FOUND'],
      ['activate', { status: 400, body: { status: 400, message: 'extension failed to load' } }, false, 'BAD_REQUEST'],
      ['upload', 'network', true, 'UNAVAILABLE'],
      ['check', { status: 503, body: { status: 503, message: 'starting' } }, true, 'UNAVAILABLE'],
      ['activate', { status: 500, body: { status: 500, message: 'internal error' } }, true, 'INTERNAL'],
      ['upload', { status: 429, body: { status: 429, message: 'slow down' } }, true, 'RATE_LIMITED'],
    ];
    for (const [phase, answer, retryable, code] of cases) {
      const { fetch } = fakeNodes((node, p) => (node === 'http://node-a:8080' && p === phase ? answer : undefined));
      const error = await rolloutFailure(options(fetch));
      const label = `${phase} ${answer === 'network' ? 'network' : answer.status}`;
      expect(isRetryable(error), label).toBe(retryable);
      expect(error.code, label).toBe(code);
      expect(toJobFailure(error) instanceof UnrecoverableError, label).toBe(!retryable);
    }
  });

  it('names the nodes already live when activation fails part-way; a retry converges', async () => {
    let nodeBDown = true;
    const { fetch } = fakeNodes((node, phase) =>
      node === 'http://node-b:8080' && phase === 'activate' && nodeBDown ? 'network' : undefined,
    );
    const error = await rolloutFailure(options(fetch));
    expect(error.nodes).toEqual({ 'http://node-a:8080': 'live', 'http://node-b:8080': 'failed' });
    expect(error.message).toMatch(
      /^activation failed on http:\/\/node-b:8080: .* \(already live on http:\/\/node-a:8080\)$/,
    );
    expect(isRetryable(error)).toBe(true);
    nodeBDown = false;
    const retried = await rolloutBundle(options(fetch));
    expect(retried.nodes.map((n) => n.url)).toEqual(NODES.map((n) => n.url));
  });

  it('refuses to roll out to no nodes at all', async () => {
    const { fetch } = fakeNodes();
    const error = await rolloutFailure(options(fetch, { nodes: [] }));
    expect(error.message).toBe('no engine nodes are registered: nothing to roll out to');
    expect(isRetryable(error)).toBe(false);
  });
});
