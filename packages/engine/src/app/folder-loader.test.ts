import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@stoa/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { webAssembly } from '../extensions/wasm/webassembly-api.js';
import { loadAppFromFolder } from './folder-loader.js';

const TODO_DIR = join(import.meta.dirname, '../../../../examples/todo');
const roots: string[] = [];

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const NOTES_VSQL = `APPLICATION notes();
WORKSPACE NotesWS (
    DESCRIPTOR NotesBoard ( Title varchar(50) NOT NULL );
    TABLE Note INHERITS sys.CDoc ( Text varchar(200) NOT NULL );
);
`;

const BUILTIN_VSQL = `APPLICATION notes();
WORKSPACE NotesWS (
    TABLE Note INHERITS sys.CDoc ( Text varchar(200) NOT NULL );
    TYPE Count ( N int32 NOT NULL );
    EXTENSION ENGINE BUILTIN (
        QUERY CountNotes RETURNS Count;
    );
);
`;

/** Creates an app folder in a fresh temp dir; `files` maps relative paths to contents. */
function makeApp(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-folder-loader-'));
  roots.push(dir);
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, text);
  }
  return dir;
}

async function loadError(dir: string, options: { dev?: boolean } = {}): Promise<AppError> {
  const error = await loadAppFromFolder(dir, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('loadAppFromFolder', () => {
  it('loads a good app folder with every .vsql below schema/, sorted', async () => {
    const dir = makeApp({
      'stoa.json': '{ "name": "notes", "partitions": 3 }',
      'schema/a/notes.vsql': NOTES_VSQL,
      'schema/z-extra.vsql': 'WORKSPACE ExtraWS ( TABLE Extra INHERITS sys.CDoc ( X int32 ); );\n',
      'schema/README.md': 'not VSQL',
    });
    const bundle = await loadAppFromFolder(dir);
    expect(bundle.owner).toBe('local');
    expect(bundle.manifest).toEqual({ name: 'notes', partitions: 3 });
    expect(bundle.appdef.name).toBe('notes');
    expect(Object.keys(bundle.appdef.tables)).toEqual(expect.arrayContaining(['notes.Note', 'notes.Extra']));
    expect(bundle.modules).toEqual({});
    expect(bundle.versionHash).toMatch(/^[0-9a-f]{64}$/);
    expect(bundle.devBuiltins).toBeUndefined();

    // Same sources → same hash; any change → another hash.
    expect((await loadAppFromFolder(dir, { owner: 'acme' })).versionHash).toBe(bundle.versionHash);
    writeFileSync(join(dir, 'stoa.json'), '{ "name": "notes", "partitions": 4 }');
    expect((await loadAppFromFolder(dir)).versionHash).not.toBe(bundle.versionHash);
  });

  it('names the file and every bad field of stoa.json', async () => {
    const dir = makeApp({ 'stoa.json': '{ "name": "Notes!", "partitions": 0 }', 'schema/notes.vsql': NOTES_VSQL });
    const error = await loadError(dir);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain(`${join(dir, 'stoa.json')}: name:`);
    expect(error.message).toContain(`${join(dir, 'stoa.json')}: partitions: must be at least 1`);
    expect(error.data?.['fields']).toEqual(['name', 'partitions']);

    writeFileSync(join(dir, 'stoa.json'), '{ "name": "notes", "partitions": 2000 }');
    expect((await loadError(dir)).message).toContain('partitions: must be at most 1024');
    writeFileSync(join(dir, 'stoa.json'), '{ "name": "notes", ');
    expect((await loadError(dir)).message).toMatch(/stoa\.json: not valid JSON/);
    rmSync(join(dir, 'stoa.json'));
    const missing = await loadError(dir);
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain('has no stoa.json');
  });

  it('reports VSQL errors with file:line:col and a code frame', async () => {
    const dir = makeApp({
      'stoa.json': '{ "name": "notes", "partitions": 1 }',
      'schema/notes.vsql': 'APPLICATION notes();\nWORKSPACE W (\n    TABLE T INHERITS sys.CDoc ( A varchar(x) );\n);\n',
    });
    const error = await loadError(dir);
    expect(error.code).toBe('VALIDATION_FAILED');
    // Paths are project-relative (the AppDef is the same wherever the project lives); the folder
    // is named in the first line.
    const file = 'schema/notes.vsql';
    expect(error.message).toContain(`app folder ${dir}`);
    expect(error.message).toMatch(/\nschema\/notes\.vsql:3:\d+: /);
    // The code frame: the offending line with its number and a caret.
    expect(error.message).toContain('> 3 |     TABLE T INHERITS sys.CDoc ( A varchar(x) );');
    expect(error.message).toMatch(/\n\s+\|\s+\^/);
    expect(error.data?.['errors']).toEqual([expect.objectContaining({ file, line: 3 })]);
  });

  it('refuses a folder without schema files', async () => {
    const dir = makeApp({ 'stoa.json': '{ "name": "notes", "partitions": 1 }' });
    expect((await loadError(dir)).message).toContain('has no schema/**/*.vsql files');
  });

  it('requires stoa.json name to equal the APPLICATION name', async () => {
    const dir = makeApp({ 'stoa.json': '{ "name": "other", "partitions": 1 }', 'schema/notes.vsql': NOTES_VSQL });
    const error = await loadError(dir);
    expect(error.message).toContain('name "other" does not match the APPLICATION name "notes"');
    expect(error.data).toEqual({ field: 'name' });
  });

  it('refuses app BUILTIN extensions outside dev mode', async () => {
    const dir = makeApp({
      'stoa.json': '{ "name": "notes", "partitions": 1 }',
      'schema/notes.vsql': BUILTIN_VSQL,
      'extensions/builtin.ts': 'export default {};\n',
    });
    const error = await loadError(dir);
    expect(error.message).toMatch(
      /^extension notes\.CountNotes is EXTENSION ENGINE BUILTIN: builtin extensions of apps are a dev-mode feature; /,
    );
    expect(error.qname).toBe('notes.CountNotes');
  });

  it('in dev mode requires extensions/builtin.ts when the schema declares app builtins', async () => {
    const dir = makeApp({ 'stoa.json': '{ "name": "notes", "partitions": 1 }', 'schema/notes.vsql': BUILTIN_VSQL });
    const error = await loadError(dir, { dev: true });
    expect(error.message).toContain('extensions/builtin.ts does not exist');
    expect(error.message).toContain('notes.CountNotes');
  });

  it('in dev mode imports the default export of extensions/builtin.ts and hashes it', async () => {
    const source = `export default { 'notes.CountNotes': (ctx) => { ctx.intents.result({ N: 7 }); } };\n`;
    const dir = makeApp({
      'stoa.json': '{ "name": "notes", "partitions": 1 }',
      'schema/notes.vsql': BUILTIN_VSQL,
      'extensions/builtin.ts': source,
    });
    const bundle = await loadAppFromFolder(dir, { dev: true });
    expect(Object.keys(bundle.devBuiltins ?? {})).toEqual(['notes.CountNotes']);
    expect(typeof bundle.devBuiltins?.['notes.CountNotes']).toBe('function');

    const other = makeApp({
      'stoa.json': '{ "name": "notes", "partitions": 1 }',
      'schema/notes.vsql': BUILTIN_VSQL,
      'extensions/builtin.ts': source.replace('7', '8'),
    });
    expect((await loadAppFromFolder(other, { dev: true })).versionHash).not.toBe(bundle.versionHash);
  });

  it('rejects a builtin.ts whose default export is not an object of functions', async () => {
    const dir = makeApp({
      'stoa.json': '{ "name": "notes", "partitions": 1 }',
      'schema/notes.vsql': BUILTIN_VSQL,
      'extensions/builtin.ts': `export default { 'notes.CountNotes': 42 };\n`,
    });
    expect((await loadError(dir, { dev: true })).message).toContain('not functions: notes.CountNotes');
  });

  it('loads examples/todo with its WASM module (no dev builtins needed)', async () => {
    const bundle = await loadAppFromFolder(TODO_DIR);
    expect(bundle.manifest).toEqual({ name: 'todo', partitions: 4 });
    expect(bundle.devBuiltins).toBeUndefined();
    expect(Object.keys(bundle.modules)).toEqual(['todo']);
    const exports = webAssembly.Module.exports(new webAssembly.Module(bundle.modules['todo']!)).map((e) => e.name);
    expect(exports).toEqual(
      expect.arrayContaining(['CompleteTask', 'CountByAssignee', 'CountTasks', 'Stats', '__stoa_abi_version']),
    );
    // Loading twice gives the same version (the compiled module is reproducible and cached).
    expect((await loadAppFromFolder(TODO_DIR)).versionHash).toBe(bundle.versionHash);
  }, 60_000);
});
