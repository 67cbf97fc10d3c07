import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AppError } from '@stoa/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, writeProject } from '../extensions/project.test-util.js';
import { listAppBuiltins, readProject, refuseAppBuiltins } from './index.js';

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
        QUERY AnotherCount RETURNS Count;
    );
);
`;

const NOTES_MANIFEST = '{ "name": "notes", "partitions": 3 }';
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function makeProject(files: Record<string, string>): string {
  const dir = makeTempDir('os');
  dirs.push(dir);
  writeProject(dir, files);
  return dir;
}

async function readError(dir: string): Promise<AppError> {
  const error = await readProject(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('readProject', () => {
  it('reads stoa.json and every .vsql below schema/, sorted, with project-relative paths', async () => {
    const dir = makeProject({
      'stoa.json': NOTES_MANIFEST,
      'schema/z-extra.vsql': 'WORKSPACE ExtraWS ( TABLE Extra INHERITS sys.CDoc ( X int32 ); );\n',
      'schema/a/notes.vsql': NOTES_VSQL,
      'schema/README.md': 'not VSQL',
      'extensions/builtin.ts': 'not read by readProject',
    });
    // A relative dir is resolved against the working directory.
    const project = await readProject(relative(process.cwd(), dir));
    expect(project.dir).toBe(dir);
    expect(project.manifest).toEqual({ name: 'notes', partitions: 3 });
    expect(project.manifestText).toBe(NOTES_MANIFEST);
    expect(project.sources.map((s) => s.path)).toEqual(['schema/a/notes.vsql', 'schema/z-extra.vsql']);
    expect(project.sources[0]!.source).toBe(NOTES_VSQL);
    expect(project.appdef.name).toBe('notes');
    expect(Object.keys(project.appdef.tables)).toEqual(expect.arrayContaining(['notes.Note', 'notes.Extra']));
    // Positions in the AppDef do not say where the project lives.
    expect(project.appdef.tables['notes.Note']!.loc?.file).toBe('schema/a/notes.vsql');
    expect(JSON.stringify(project.appdef)).not.toContain(dir);
  });

  it('is NOT_FOUND for a missing folder or a folder without stoa.json', async () => {
    const missing = await readError(join(makeTempDir('os'), 'nope'));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toMatch(/^app folder .*nope does not exist$/);

    const dir = makeProject({ 'schema/notes.vsql': NOTES_VSQL });
    const noManifest = await readError(dir);
    expect(noManifest.code).toBe('NOT_FOUND');
    expect(noManifest.message).toBe(`app folder ${dir} has no stoa.json`);
  });

  it('names the file and the field of a bad stoa.json', async () => {
    const badJson = await readError(makeProject({ 'stoa.json': '{ name: notes }', 'schema/n.vsql': NOTES_VSQL }));
    expect(badJson.code).toBe('VALIDATION_FAILED');
    expect(badJson.message).toMatch(/stoa\.json: not valid JSON: /);

    const dir = makeProject({ 'stoa.json': '{ "name": "Notes!", "partitions": 0 }', 'schema/n.vsql': NOTES_VSQL });
    const bad = await readError(dir);
    expect(bad.code).toBe('VALIDATION_FAILED');
    expect(bad.message).toBe(
      `${join(dir, 'stoa.json')}: name: must be 1–63 characters: a lowercase letter, then lowercase letters, digits or -\n` +
        `${join(dir, 'stoa.json')}: partitions: must be at least 1`,
    );
    expect(bad.data).toEqual({ field: 'name', fields: ['name', 'partitions'] });

    const missing = await readError(makeProject({ 'stoa.json': '{ "name": "notes" }', 'schema/n.vsql': NOTES_VSQL }));
    expect(missing.message).toMatch(/stoa\.json: partitions: is required$/);
    expect(missing.data).toMatchObject({ field: 'partitions' });

    const tooMany = await readError(
      makeProject({ 'stoa.json': '{ "name": "notes", "partitions": 1.5 }', 'schema/n.vsql': NOTES_VSQL }),
    );
    expect(tooMany.message).toMatch(/partitions: must be an integer$/);
  });

  it('refuses a project without schema files', async () => {
    const dir = makeProject({ 'stoa.json': NOTES_MANIFEST, 'schema/notes.txt': NOTES_VSQL });
    const error = await readError(dir);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe(`app folder ${dir} has no schema/**/*.vsql files`);
  });

  it('reports VSQL errors with project-relative positions and code frames', async () => {
    const dir = makeProject({
      'stoa.json': NOTES_MANIFEST,
      'schema/notes.vsql':
        'APPLICATION notes();\nWORKSPACE NotesWS (\n    TABLE Note INHERITS sys.CDoc ( Text nosuchtype );\n);\n',
    });
    const error = await readError(dir);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain(`app folder ${dir}: 1 VSQL error(s)`);
    expect(error.message).toMatch(/schema\/notes\.vsql:3:\d+: /);
    expect(error.message).toContain('TABLE Note INHERITS sys.CDoc ( Text nosuchtype );'); // the frame
    const errors = (error.data as { errors: { file: string; line: number; column: number; message: string }[] }).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'schema/notes.vsql', line: 3 });
    expect(errors[0]!.column).toBeGreaterThan(0);
    expect(errors[0]!.message.length).toBeGreaterThan(0);
  });

  it('refuses an APPLICATION name other than stoa.json’s', async () => {
    const dir = makeProject({ 'stoa.json': '{ "name": "memo", "partitions": 1 }', 'schema/notes.vsql': NOTES_VSQL });
    const error = await readError(dir);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe(
      `${join(dir, 'stoa.json')}: name "memo" does not match the APPLICATION name "notes" in the schema; make them equal`,
    );
    expect(error.data).toEqual({ field: 'name' });
  });

  it('refuses a schema file name a bundle could not carry', async () => {
    const dir = makeProject({ 'stoa.json': NOTES_MANIFEST, 'schema/bad\\name.vsql': NOTES_VSQL });
    const error = await readError(dir);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(/bad\\name\.vsql: file name not allowed: contains a control character or one of/);
    expect(error.data).toEqual({ file: 'schema/bad\\name.vsql' });
  });
});

describe('app builtins', () => {
  it('lists and refuses non-sys BUILTIN extensions, sorted, with the dev-mode message', async () => {
    const builtins = await readProject(makeProject({ 'stoa.json': NOTES_MANIFEST, 'schema/notes.vsql': BUILTIN_VSQL }));
    expect(listAppBuiltins(builtins.appdef)).toEqual(['notes.AnotherCount', 'notes.CountNotes']);
    let error: unknown;
    try {
      refuseAppBuiltins(builtins.appdef, 'app folder /src/notes outside dev mode');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.code).toBe('VALIDATION_FAILED');
    expect(appError.qname).toBe('notes.AnotherCount');
    expect(appError.data).toEqual({ extensions: ['notes.AnotherCount', 'notes.CountNotes'] });
    expect(appError.message.split('\n')).toEqual([
      'extension notes.AnotherCount is EXTENSION ENGINE BUILTIN: builtin extensions of apps are a dev-mode feature; ' +
        'app folder /src/notes outside dev mode cannot have them: implement it as EXTENSION ENGINE WASM, or load ' +
        'the app folder in dev mode (extensions/builtin.ts)',
      expect.stringMatching(/^extension notes\.CountNotes is EXTENSION ENGINE BUILTIN: /),
    ]);

    // sys has BUILTIN extensions of its own: they are the engine's, never refused.
    const plain = await readProject(makeProject({ 'stoa.json': NOTES_MANIFEST, 'schema/notes.vsql': NOTES_VSQL }));
    expect(Object.values(plain.appdef.extensions).some((e) => e.engine === 'builtin')).toBe(true);
    expect(listAppBuiltins(plain.appdef)).toEqual([]);
    expect(() => refuseAppBuiltins(plain.appdef, 'anything')).not.toThrow();
  });
});
