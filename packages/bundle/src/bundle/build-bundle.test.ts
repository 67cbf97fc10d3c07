import { createHash } from 'node:crypto';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '@stoa/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearModuleMemo } from '../extensions/cache.js';
import { ASSEMBLYSCRIPT_VERSION } from '../extensions/version.js';
import { calcProject, makeTempDir, writeProject } from '../extensions/project.test-util.js';
import { PLAIN_VSQL, readJson, unpack } from './bundle.test-util.js';
import { buildBundle, openBundle, type BuiltBundle } from './index.js';

// asc compiles take seconds: the calc project is compiled once (beforeAll); the other builds of
// it are cache hits, except the one whose point is a cold rebuild from another folder.

const TODO_DIR = join(import.meta.dirname, '../../../../examples/todo');
const cleanup: string[] = [];

function tempDir(where: 'os' | 'repo' = 'os'): string {
  const dir = makeTempDir(where);
  cleanup.push(dir);
  return dir;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

let calcDir: string;
let cacheDir: string;
let calc: BuiltBundle;

beforeAll(async () => {
  calcDir = tempDir();
  cacheDir = tempDir();
  writeProject(calcDir, calcProject());
  calc = await buildBundle(calcDir, { cacheDir });
}, 120_000);

afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

describe('buildBundle', () => {
  it('zips the manifest, the AppDef, the sources and one module per package, sorted', () => {
    expect(calc.id).toBe(sha256(calc.bytes));
    const entries = unpack(calc.bytes);
    expect([...entries.keys()]).toEqual(['appdef.json', 'extensions/calc.wasm', 'manifest.json', 'schema/app.vsql']);
    const wasm = entries.get('extensions/calc.wasm')!;
    const appdefJson = entries.get('appdef.json')!;
    expect(calc.manifest).toEqual({
      format: 'stoa.bundle/1',
      name: 'calc',
      partitions: 1,
      appdefVersion: 1,
      compiler: { assemblyscript: ASSEMBLYSCRIPT_VERSION, abi: 1 },
      sources: { 'schema/app.vsql': sha256(entries.get('schema/app.vsql')!) },
      modules: { calc: { sha256: sha256(wasm), bytes: wasm.length } },
      appdefSha256: sha256(appdefJson),
    });
    expect(readJson(entries, 'manifest.json')).toEqual(calc.manifest);
    // Canonical JSON: keys sorted at every level.
    const manifestText = new TextDecoder().decode(entries.get('manifest.json'));
    expect(manifestText.indexOf('"appdefSha256"')).toBeLessThan(manifestText.indexOf('"compiler"'));
    expect(new TextDecoder().decode(entries.get('schema/app.vsql'))).toBe(calcProject()['schema/app.vsql']);
    expect(calc.extensions).toEqual([expect.objectContaining({ package: 'calc', sha256: sha256(wasm) })]);
  });

  it('gives the same bytes when built again and from another folder', async () => {
    const again = await buildBundle(calcDir, { cacheDir });
    expect(again.extensions[0]!.cached).toBe(true);
    expect(again.id).toBe(calc.id);
    expect(again.bytes).toEqual(calc.bytes);

    const moved = join(tempDir('repo'), 'nested', 'calc');
    cpSync(calcDir, moved, { recursive: true });
    expect((await buildBundle(moved, { cacheDir })).id).toBe(calc.id);
  });

  it('gives the same id when everything is compiled again (no cache) in another folder', async () => {
    const moved = join(tempDir('os'), 'elsewhere');
    cpSync(calcDir, moved, { recursive: true });
    clearModuleMemo();
    const cold = await buildBundle(moved, { cacheDir: tempDir() });
    expect(cold.extensions[0]!.cached).toBe(false);
    expect(cold.id).toBe(calc.id);
  }, 120_000);

  it('builds examples/todo into a bundle that opens', async () => {
    const todo = await buildBundle(TODO_DIR, { cacheDir });
    expect(todo.manifest).toMatchObject({ name: 'todo', partitions: 4 });
    expect(Object.keys(todo.manifest.sources)).toEqual(['schema/todo.vsql']);
    expect(Object.keys(todo.manifest.modules)).toEqual(['todo']);
    const opened = openBundle(todo.bytes, { expectedId: todo.id });
    expect(opened.id).toBe(todo.id);
    expect(opened.appdef.name).toBe('todo');
    expect(Object.keys(opened.modules)).toEqual(['todo']);
    expect(opened.modules['todo']!.length).toBe(todo.manifest.modules['todo']!.bytes);
    expect(opened.sources.map((s) => s.path)).toEqual(['schema/todo.vsql']);
  }, 120_000);

  it('bundles an app without WASM extensions without compiling anything', async () => {
    const dir = tempDir();
    writeProject(dir, { 'stoa.json': '{ "name": "plain", "partitions": 2 }', 'schema/plain.vsql': PLAIN_VSQL });
    const plain = await buildBundle(dir, { cacheDir });
    expect(plain.manifest.modules).toEqual({});
    expect(plain.extensions).toEqual([]);
    expect([...unpack(plain.bytes).keys()]).toEqual(['appdef.json', 'manifest.json', 'schema/plain.vsql']);
    expect(openBundle(plain.bytes).manifest.partitions).toBe(2);
  });

  it('refuses a project with app BUILTIN extensions: bundles never carry them', async () => {
    const dir = tempDir();
    writeProject(dir, {
      'stoa.json': '{ "name": "calc", "partitions": 1 }',
      'schema/app.vsql':
        'APPLICATION calc();\nWORKSPACE CalcWS (\n    TYPE R ( N int32 NOT NULL );\n' +
        '    EXTENSION ENGINE BUILTIN ( QUERY Local RETURNS R; );\n);\n',
      'extensions/builtin.ts': 'export default {};\n',
    });
    const error = await buildBundle(dir, { cacheDir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION_FAILED');
    expect((error as AppError).message).toBe(
      'extension calc.Local is EXTENSION ENGINE BUILTIN: builtin extensions of apps are a dev-mode feature; ' +
        `the bundle of app folder ${dir} cannot have them: implement it as EXTENSION ENGINE WASM, or load the app ` +
        'folder in dev mode (extensions/builtin.ts)',
    );
  });
});
