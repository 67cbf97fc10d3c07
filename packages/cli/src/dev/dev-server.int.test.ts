// `stoa dev` hot reload (issue "App bundles…", Must show): the dev server embedded in this process
// on a temp copy of examples/todo (AssemblyScript extensions, LMDB). Edits of the VSQL file are
// served after the rebuild (polled, no timing asserted: the latency is bench/deploy's figure), data
// survives reloads, a broken edit shows file:line:col with a code frame while the previous version
// keeps serving, a breaking change is applied with a warning, and generated.ts follows the schema.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer, type ReloadOutcome } from './dev-server.js';

const ROOT = join(import.meta.dirname, '../../../..');
const dir = mkdtempSync(join(tmpdir(), 'stoa-dev-int-'));
const schemaFile = join(dir, 'schema/todo.vsql');
let printed = '';
let warned = '';
let server: DevServer;

beforeAll(async () => {
  cpSync(join(ROOT, 'examples/todo'), dir, { recursive: true, filter: (src) => !src.includes('/.stoa') });
  server = await startDevServer({
    dir,
    port: 0,
    host: '127.0.0.1',
    reset: false,
    debounceMs: 50,
    print: (text) => (printed += text),
    warn: (text) => (warned += text),
  });
}, 120_000);

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function editSchema(edit: (source: string) => string): void {
  const source = readFileSync(schemaFile, 'utf8');
  const next = edit(source);
  expect(next).not.toBe(source);
  writeFileSync(schemaFile, next);
}

/** The outcome of the next reload (the edit triggers it through the file watcher). */
function nextReload(): Promise<ReloadOutcome> {
  return new Promise((resolve) => {
    const off = server.onReload((outcome) => {
      off();
      resolve(outcome);
    });
  });
}

/** Edits the schema and waits for the reload it causes. */
async function editAndReload(edit: (source: string) => string): Promise<ReloadOutcome> {
  const reloaded = nextReload();
  editSchema(edit);
  return reloaded;
}

const openapi = (): Promise<string> => fetch(`${server.url}/api/v2/apps/local/todo/openapi.json`).then((r) => r.text());

describe('stoa dev', () => {
  it('serves the folder with a demo token, then serves each VSQL edit after the rebuild', async () => {
    expect(server.app).toBe('local/todo');
    const token = /export TOKEN=(\S+)/.exec(printed)?.[1];
    const wsid = /demo workspace (\d+)/.exec(printed)?.[1];
    expect(token).toBeDefined();
    const api = `${server.url}/api/v2/apps/local/todo/workspaces/${wsid}`;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${api}/docs/todo.Task`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ Title: 'before the edit', Done: false, Priority: 1 }),
    });
    expect(created.status).toBe(201);

    const outcome = await editAndReload((s) =>
      s.replace('Title varchar(200) NOT NULL,', 'Title varchar(200) NOT NULL,\n        Notes varchar(100),'),
    );
    expect(outcome).toMatchObject({ ok: true, changed: true });
    expect(await openapi()).toContain('"Notes"');
    expect(printed).toContain('+ field todo.Task.Notes');
    expect(readFileSync(join(dir, 'extensions/todo/generated.ts'), 'utf8')).toContain('Notes');

    const withNotes = await fetch(`${api}/docs/todo.Task`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ Title: 'after', Done: false, Priority: 2, Notes: 'new field' }),
    });
    expect(withNotes.status).toBe(201);
    const list = (await (await fetch(`${api}/cdocs/todo.Task`, { headers })).json()) as {
      results: Record<string, unknown>[];
    };
    expect(list.results.map((r) => r['Title']).sort()).toEqual(['after', 'before the edit']);
  });

  it('prints a broken edit with file:line:col and a code frame and keeps serving the last good version', async () => {
    const before = await openapi();
    const broken = await editAndReload((s) => s.replace('Notes varchar(100),', 'Notes varchar(100)'));
    expect(broken).toMatchObject({ ok: false });
    expect(warned).toMatch(/schema\/todo\.vsql:\d+:\d+/);
    expect(warned).toContain('still serving the previous version');
    expect(await openapi()).toBe(before);

    const fixed = await editAndReload((s) => s.replace('Notes varchar(100)', 'Notes varchar(100),'));
    // The fixed text equals the last good one: nothing to swap, still serving it.
    expect(fixed).toMatchObject({ ok: true });
    expect(await openapi()).toBe(before);
  });

  it('applies a breaking change with a warning (dev data is disposable)', async () => {
    const retyped = await editAndReload((s) => s.replace('Notes varchar(100),', 'Notes int32,'));
    expect(retyped).toMatchObject({ ok: true, changed: true, breaking: [expect.stringContaining('Notes')] });
    expect(await openapi()).toMatch(/"Notes":\{"type":"integer"/);
    expect(warned).toMatch(/breaking change\(s\), applied anyway/);
    expect(warned).toContain('--reset');
  });
});
