// rolloutBundle against two real engine nodes (child processes trusting a fresh admin key): first
// deploy, a compatible change with its diff, an incompatible change refused on every node with
// nothing activated (→ UnrecoverableError), a redeploy of the live bundle (unchanged), and a node
// that does not answer (retryable).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { buildBundle } from '@stoa/bundle/bundle';
import { createClient } from '@stoa/client';
import { createAdminClient, generateAdminKeyPair, unwrap, type AdminPrivateJwk } from '@stoa/client/admin';
import { UnrecoverableError } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../build/git-repo.test-util.js';
import { isRetryable, toJobFailure } from '../failures.js';
import { startEngine, type EngineChild } from './engine-child.test-util.js';
import { RolloutError, rolloutBundle } from './rollout.js';

const temp = makeTempDir('rollout');
let key: AdminPrivateJwk;
let engines: EngineChild[] = [];

const SCHEMA = `APPLICATION notes();
WORKSPACE NotebookWS (
    DESCRIPTOR Notebook ( Title varchar(100) NOT NULL );
    ROLE Editor;
    TABLE Note INHERITS sys.CDoc (
        Title varchar(200) NOT NULL,
        Body varchar(4000)
    );
    GRANT Editor TO sys.WorkspaceOwner;
    GRANT SELECT, INSERT, UPDATE ON TABLE Note TO Editor;
);
`;

const SCHEMA_V2 = SCHEMA.replace('Body varchar(4000)', 'Body varchar(4000),\n        Mood varchar(20)');

let version = 0;
/** Builds the notes app with the given schema text (a fresh project folder each time). */
async function bundleOf(schema: string): Promise<{ id: string; bytes: Uint8Array }> {
  const dir = join(temp.dir, `notes-${++version}`);
  mkdirSync(join(dir, 'schema'), { recursive: true });
  writeFileSync(join(dir, 'stoa.json'), '{ "name": "notes", "partitions": 2 }');
  writeFileSync(join(dir, 'schema', 'notes.vsql'), schema);
  const built = await buildBundle(dir);
  return { id: built.id, bytes: built.bytes };
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function activeBundle(url: string): Promise<string | undefined> {
  const admin = createAdminClient({ baseUrl: url, key, subject: 'test:check' });
  return unwrap(await admin.getApp('acme', 'notes')).active?.bundle;
}

beforeAll(async () => {
  const pair = await generateAdminKeyPair();
  key = pair.privateJwk;
  engines = await Promise.all([startEngine(pair.publicJwk), startEngine(pair.publicJwk)]);
}, 180_000);

afterAll(async () => {
  await Promise.all(engines.map((e) => e.stop()));
  temp.cleanup();
});

describe('rolloutBundle on real engine nodes', () => {
  const nodes = (): { url: string }[] => engines.map((e) => ({ url: e.url }));
  let live: { id: string; bytes: Uint8Array };
  let first: { id: string; bytes: Uint8Array };

  it('deploys a first version to every node, and the app answers there', async () => {
    live = await bundleOf(SCHEMA);
    first = live;
    const result = await rolloutBundle({
      bundle: live,
      owner: 'acme',
      app: 'notes',
      nodes: nodes(),
      adminKey: key,
      subject: 'worker:test',
    });
    expect(result.diff).toBe('');
    expect(result.nodes).toEqual(
      engines.map((e): unknown =>
        expect.objectContaining({ url: e.url, uploaded: true, version: 1, unchanged: false, diff: '' }),
      ),
    );
    for (const engine of engines) {
      expect(await activeBundle(engine.url)).toBe(live.id);
      const spec = unwrap(await createClient({ baseUrl: engine.url }).app('acme', 'notes').openapi());
      expect(JSON.stringify(spec)).toContain('notes.Note');
    }
  });

  it('rolls out a compatible change and returns its schema diff', async () => {
    const next = await bundleOf(SCHEMA_V2);
    const lines: string[] = [];
    const result = await rolloutBundle({
      bundle: next,
      owner: 'acme',
      app: 'notes',
      nodes: nodes(),
      adminKey: key,
      subject: 'worker:test',
      log: (l) => lines.push(l),
    });
    expect(result.diff).toMatch(/^\+ field notes\.Note\.Mood/m);
    expect(result.nodes.map((n) => [n.version, n.unchanged])).toEqual([
      [2, false],
      [2, false],
    ]);
    expect(lines.some((l) => l.startsWith('schema changes:\n+ field notes.Note.Mood'))).toBe(true);
    for (const engine of engines) expect(await activeBundle(engine.url)).toBe(next.id);
    live = next;
  });

  it('refuses an incompatible change on every node with nothing activated (unrecoverable)', async () => {
    const breaking = await bundleOf(SCHEMA_V2.replace('Title varchar(200) NOT NULL', 'Title int32 NOT NULL'));
    const error = await rolloutBundle({
      bundle: breaking,
      owner: 'acme',
      app: 'notes',
      nodes: nodes(),
      adminKey: key,
      subject: 'worker:test',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RolloutError);
    const refused = error as RolloutError;
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toMatch(/^acme\/notes: .*Title/s);
    expect(refused.data?.['breaking']).toEqual([
      expect.objectContaining({ code: 'field-retyped', qname: 'notes.Note', field: 'Title' }),
    ]);
    expect(refused.data?.['diff']).toMatch(/notes\.Note\.Title/);
    expect(isRetryable(refused)).toBe(false);
    expect(toJobFailure(refused)).toBeInstanceOf(UnrecoverableError);
    for (const engine of engines) expect(await activeBundle(engine.url)).toBe(live.id);
  });

  it('answers unchanged for the live bundle, and a node that does not answer is retryable', async () => {
    const again = await rolloutBundle({
      bundle: live,
      owner: 'acme',
      app: 'notes',
      nodes: nodes(),
      adminKey: key,
      subject: 'worker:test',
    });
    expect(again.nodes.map((n) => [n.uploaded, n.unchanged, n.version])).toEqual([
      [false, true, null],
      [false, true, null],
    ]);
    const gone = `http://127.0.0.1:${await closedPort()}`;
    const error = await rolloutBundle({
      bundle: live,
      owner: 'acme',
      app: 'notes',
      nodes: [...nodes(), { url: gone }],
      adminKey: key,
      subject: 'worker:test',
      timeoutMs: 5_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RolloutError);
    expect((error as RolloutError).message).toMatch(new RegExp(`^upload failed on ${gone}: `));
    expect(isRetryable(error)).toBe(true);
    expect(toJobFailure(error)).not.toBeInstanceOf(UnrecoverableError);
  });

  it('a rollback re-activates an older bundle that a plain deploy refuses as incompatible', async () => {
    const options = {
      bundle: first,
      owner: 'acme',
      app: 'notes',
      nodes: nodes(),
      adminKey: key,
      subject: 'worker:test',
    };
    // The older bundle lacks the field v2 added: as a new deploy, that is a breaking change.
    const refused = await rolloutBundle(options).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RolloutError);
    expect((refused as RolloutError).code).toBe('CONFLICT');
    for (const engine of engines) expect(await activeBundle(engine.url)).toBe(live.id);

    const lines: string[] = [];
    const result = await rolloutBundle({ ...options, rollback: true, log: (l) => lines.push(l) });
    expect(result.nodes.map((n) => [n.version, n.unchanged])).toEqual([
      [3, false],
      [3, false],
    ]);
    expect(lines.filter((l) => l.includes('rolling back (data kept, hidden)'))).toHaveLength(engines.length);
    for (const engine of engines) {
      expect(await activeBundle(engine.url)).toBe(first.id);
      const spec = JSON.stringify(unwrap(await createClient({ baseUrl: engine.url }).app('acme', 'notes').openapi()));
      expect(spec).not.toContain('Mood');
    }
    live = first;
  });
});
