import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calcProject, makeTempDir, writeProject } from '../extensions/project.test-util.js';
import { compileSources, readProject } from '../project/index.js';
import {
  openError,
  PLAIN_VSQL,
  readJson,
  repack,
  replaceListedEntry,
  withDeclaredSize,
  writeJson,
} from './bundle.test-util.js';
import { sha256Hex } from './build-bundle.js';
import { buildBundle, openBundle, packBundle, type BuiltBundle } from './index.js';
import { writeZip } from './zip-write.js';

const cleanup: string[] = [];
let calcDir: string;
let calc: BuiltBundle;
let plain: BuiltBundle;

beforeAll(async () => {
  const cacheDir = makeTempDir('os');
  calcDir = makeTempDir('os');
  const plainDir = makeTempDir('os');
  cleanup.push(cacheDir, calcDir, plainDir);
  writeProject(calcDir, calcProject());
  writeProject(plainDir, { 'stoa.json': '{ "name": "plain", "partitions": 2 }', 'schema/plain.vsql': PLAIN_VSQL });
  calc = await buildBundle(calcDir, { cacheDir });
  plain = await buildBundle(plainDir, { cacheDir });
}, 120_000);

afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('openBundle', () => {
  it('opens a built bundle: manifest, recompiled AppDef, sources and modules', async () => {
    const opened = openBundle(calc.bytes, { expectedId: calc.id });
    const project = await readProject(calcDir);
    expect(opened.id).toBe(calc.id);
    expect(opened.manifest).toEqual(calc.manifest);
    expect(opened.appdef).toEqual(project.appdef);
    expect(opened.sources).toEqual(project.sources);
    expect(Object.keys(opened.modules)).toEqual(['calc']);
    expect(sha256Hex(opened.modules['calc']!)).toBe(calc.manifest.modules['calc']!.sha256);
  });

  it('refuses bytes that are not the expected id (CONFLICT) and caps the size before anything else', () => {
    const tampered = new Uint8Array(calc.bytes);
    tampered[Math.floor(tampered.length / 2)]! ^= 0xff;
    const conflict = openError(tampered, { expectedId: calc.id });
    expect(conflict.code).toBe('CONFLICT');
    expect(conflict.message).toBe(`bundle has id ${sha256Hex(tampered)}, not the expected ${calc.id}`);
    expect(conflict.data).toMatchObject({ reason: 'id-mismatch', expected: calc.id });

    const tooLarge = openError(calc.bytes, { maxBytes: calc.bytes.length - 1 });
    expect(tooLarge.code).toBe('PAYLOAD_TOO_LARGE');
    expect(tooLarge.message).toBe(
      `bundle is ${calc.bytes.length} bytes, more than the limit of ${calc.bytes.length - 1}`,
    );
  });

  it('refuses a module whose bytes differ from the manifest’s sha256', () => {
    const bytes = repack(calc.bytes, (entries) => {
      const wasm = new Uint8Array(entries.get('extensions/calc.wasm')!);
      wasm[wasm.length - 1]! ^= 0x01;
      entries.set('extensions/calc.wasm', wasm);
    });
    const error = openError(bytes);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(
      /^bundle entry extensions\/calc\.wasm has sha256 [0-9a-f]{64}, but manifest\.json lists [0-9a-f]{64} \(the bundle is corrupt or was altered\)$/,
    );
    expect(error.data).toMatchObject({ entry: 'extensions/calc.wasm', reason: 'hash-mismatch' });
  });

  it('refuses an appdef.json that is not what the sources compile to, even with a matching sha256', () => {
    const bytes = repack(calc.bytes, (entries) => {
      const appdef = readJson(entries, 'appdef.json');
      (appdef['extensions'] as Record<string, { engine: string }>)['calc.Add']!.engine = 'builtin';
      replaceListedEntry(entries, 'appdef.json', encode(JSON.stringify(appdef)));
    });
    const error = openError(bytes);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe(
      'appdef.json is not the AppDef the bundled sources compile to (it differs in: extensions); rebuild the bundle',
    );

    // Formatting does not matter, content does: the same AppDef in other whitespace is accepted.
    const reformatted = repack(calc.bytes, (entries) => {
      replaceListedEntry(entries, 'appdef.json', encode(JSON.stringify(readJson(entries, 'appdef.json'))));
    });
    expect(openBundle(reformatted).appdef.name).toBe('calc');
  });

  it('refuses sources that no longer compile, with code frames', () => {
    const bytes = repack(plain.bytes, (entries) => {
      replaceListedEntry(
        entries,
        'schema/plain.vsql',
        encode('APPLICATION plain();\nWORKSPACE W ( TABLE T ( X nope ); );\n'),
      );
    });
    const error = openError(bytes);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(/^bundle [0-9a-f]{64}: 1 VSQL error\(s\)\n\nschema\/plain\.vsql:2:/);
    expect(error.data).toEqual({ errors: [expect.objectContaining({ file: 'schema/plain.vsql', line: 2 })] });
  });

  it('refuses entries the manifest does not list, and listed entries that are missing', () => {
    const extraSource = openError(
      repack(plain.bytes, (entries) => entries.set('schema/extra.vsql', encode('WORKSPACE X ( );\n'))),
    );
    expect(extraSource.code).toBe('BAD_REQUEST');
    expect(extraSource.message).toBe('bundle entries not listed in manifest.json: schema/extra.vsql');

    const readme = openError(repack(plain.bytes, (entries) => entries.set('README.md', encode('hi'))));
    expect(readme.code).toBe('BAD_REQUEST');
    expect(readme.message).toMatch(/^bundle entry "README\.md": not an expected entry \(a bundle holds manifest\.json/);

    const missing = openError(repack(calc.bytes, (entries) => entries.delete('extensions/calc.wasm')));
    expect(missing.message).toBe('bundle lacks entries listed in manifest.json: extensions/calc.wasm');

    const noManifest = openError(repack(plain.bytes, (entries) => entries.delete('manifest.json')));
    expect(noManifest.message).toBe('bundle has no manifest.json');
  });

  it('refuses unsafe entry names', () => {
    const cases: [string, RegExp][] = [
      ['../evil', /^bundle entry "\.\.\/evil": \.\. segments are not allowed$/],
      ['schema/../../evil.vsql', /\.\. segments are not allowed$/],
      ['/etc/passwd', /absolute paths are not allowed$/],
      ['C:/evil.vsql', /absolute paths are not allowed$/],
      ['schema\\evil.vsql', /backslashes are not allowed$/],
      ['extensions/../x.wasm', /\.\. segments are not allowed$/],
      ['extensions/not-a-package.wasm', /not-a-package is not a package name$/],
      ['schema/dir/', /has an empty, \. or \.\. segment$/],
      ['schema/notes.txt', /not a \.vsql file$/],
    ];
    for (const [name, message] of cases) {
      const error = openError(repack(plain.bytes, (entries) => entries.set(name, encode('x'))));
      expect(error.code, name).toBe('BAD_REQUEST');
      expect(error.message, name).toMatch(message);
      expect(error.data, name).toEqual({ entry: name });
    }
  });

  it('names the missing or wrong manifest field', () => {
    const withManifest = (edit: (manifest: Record<string, unknown>) => void): Uint8Array =>
      repack(plain.bytes, (entries) => {
        const manifest = readJson(entries, 'manifest.json');
        edit(manifest);
        writeJson(entries, 'manifest.json', manifest);
      });

    const noName = openError(withManifest((m) => delete m['name']));
    expect(noName.code).toBe('VALIDATION_FAILED');
    expect(noName.message).toBe(
      `bundle ${sha256Hex(withManifest((m) => delete m['name']))}: manifest.json: name: is required`,
    );
    expect(noName.data).toEqual({ field: 'name', fields: ['name'] });

    const partitions = openError(withManifest((m) => (m['partitions'] = 5000)));
    expect(partitions.message).toMatch(/manifest\.json: partitions: must be at most 1024$/);

    const format = openError(withManifest((m) => (m['format'] = 'stoa.bundle/2')));
    expect(format.message).toMatch(/manifest\.json: format: must be "stoa\.bundle\/1"$/);

    const unknown = openError(withManifest((m) => (m['signature'] = 'x')));
    expect(unknown.data).toMatchObject({ field: '(root)' });
    expect(unknown.message).toMatch(/manifest\.json: \(root\): Unrecognized key: "signature"$/);

    const renamed = openError(withManifest((m) => (m['name'] = 'other')));
    expect(renamed.message).toBe(
      'manifest.json: name "other" does not match the APPLICATION name "plain" in the schema',
    );

    const notJson = openError(repack(plain.bytes, (entries) => entries.set('manifest.json', encode('{'))));
    expect(notJson.message).toMatch(/manifest\.json: not valid JSON: /);
  });

  it('refuses a module for a package without WASM extensions, and app BUILTIN extensions', () => {
    const wasm = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const project = { manifest: { name: 'plain', partitions: 2 }, sources: openBundle(plain.bytes).sources };
    const appdef = openBundle(plain.bytes).appdef;
    const extraModule = openError(packBundle({ ...project, appdef, modules: { plain: wasm } }).bytes);
    expect(extraModule.code).toBe('VALIDATION_FAILED');
    expect(extraModule.message).toBe(
      'extensions/plain.wasm belongs to no package with EXTENSION ENGINE WASM extensions',
    );

    const notWasm = openError(packBundle({ ...project, appdef, modules: { plain: encode('MZ nope') } }).bytes);
    expect(notWasm.message).toBe('extensions/plain.wasm: not a WebAssembly module (version 1)');

    // packBundle does not check: this is a bundle someone else's tool could have made.
    const builtinSource =
      'APPLICATION plain();\nWORKSPACE W ( TYPE R ( N int32 ); EXTENSION ENGINE BUILTIN ( QUERY Q RETURNS R; ); );\n';
    const sources = [{ path: 'schema/plain.vsql', source: builtinSource }];
    const withBuiltin = packBundle({
      ...project,
      sources,
      appdef: compileSources(sources, 'test'),
      modules: {},
    }).bytes;
    const builtin = openError(withBuiltin);
    expect(builtin.code).toBe('VALIDATION_FAILED');
    expect(builtin.message).toMatch(
      /^extension plain\.Q is EXTENSION ENGINE BUILTIN: builtin extensions of apps are a dev-mode feature; bundle [0-9a-f]{64} cannot have them/,
    );
  });

  it('caps entries and uncompressed bytes before inflating (zip bombs)', () => {
    const tooMany = openError(calc.bytes, { maxEntries: 3 });
    expect(tooMany.code).toBe('PAYLOAD_TOO_LARGE');
    expect(tooMany.message).toBe('bundle has 4 entries, more than the limit of 3');

    // 4 MiB of spaces deflate to a few KB.
    const big = repack(plain.bytes, (entries) => {
      replaceListedEntry(entries, 'schema/plain.vsql', new Uint8Array(4 * 1024 * 1024).fill(0x20));
    });
    expect(big.length).toBeLessThan(64 * 1024);
    const declared = openError(big, { maxUncompressedBytes: 1024 * 1024 });
    expect(declared.code).toBe('PAYLOAD_TOO_LARGE');
    expect(declared.message).toMatch(/^bundle declares more than 1048576 bytes uncompressed \(at entry /);

    // A header that lies low: inflating stops at the declared size, long before 4 MiB.
    const lying = withDeclaredSize(big, 'schema/plain.vsql', 1000);
    const started = performance.now();
    const stopped = openError(lying);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(stopped.code).toBe('PAYLOAD_TOO_LARGE');
    expect(stopped.message).toBe('bundle entry schema/plain.vsql inflates to more than its declared 1000 bytes');

    // A header that lies high (4 GiB - 1) is refused on the declaration, nothing is allocated.
    const huge = openError(withDeclaredSize(plain.bytes, 'schema/plain.vsql', 0xfffffffe));
    expect(huge.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers truncated, corrupted and garbage bytes with a 4xx AppError, never a crash', () => {
    const inputs: Uint8Array[] = [
      new Uint8Array(0),
      encode('not a zip at all'),
      new Uint8Array(4096).fill(0x50),
      writeZip(new Map()),
    ];
    for (let n = 0; n < calc.bytes.length; n += 97) inputs.push(calc.bytes.subarray(0, n));
    for (let at = 0; at < calc.bytes.length; at += 61) {
      const flipped = new Uint8Array(calc.bytes);
      flipped[at]! ^= 0x5a;
      inputs.push(flipped);
    }
    let opened = 0;
    for (const input of inputs) {
      try {
        openBundle(input);
        opened++; // a flip in a field nothing reads (e.g. a timestamp) leaves a valid bundle
      } catch (error) {
        expect(error, `input of ${input.length} bytes`).toMatchObject({ expected: true });
        expect((error as { httpStatus: number }).httpStatus).toBeLessThan(500);
      }
    }
    expect(opened).toBeLessThan(inputs.length / 4);
  });
});
