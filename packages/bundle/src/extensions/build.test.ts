import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isAppError } from '@stoa/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExtensions, type BuiltExtensions } from './index.js';
import { clearModuleMemo } from './cache.js';
import { CALC_VSQL, calcProject, compileAppDef, makeTempDir, wasm, writeProject } from './project.test-util.js';

// Every asc compile takes ~2 s: the suite compiles the reference project once (beforeAll) and
// only compiles again where the point is that the compiler runs (reproducibility, ignored config).

const appdef = compileAppDef(CALC_VSQL);
const cleanup: string[] = [];

function tempDir(where: 'os' | 'repo'): string {
  const dir = makeTempDir(where);
  cleanup.push(dir);
  return dir;
}

async function buildError(options: Parameters<typeof buildExtensions>[0]): Promise<Error> {
  const error = await buildExtensions(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected the build to fail');
  return error;
}

let projectDir: string;
let cacheDir: string;
let reference: BuiltExtensions;

beforeAll(async () => {
  projectDir = tempDir('os');
  cacheDir = tempDir('os');
  writeProject(projectDir, calcProject());
  clearModuleMemo();
  reference = await buildExtensions({ dir: projectDir, appdef, cacheDir });
}, 60_000);

afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

describe('buildExtensions', () => {
  it('compiles one module per package with its extensions and the ABI exports', () => {
    expect(Object.keys(reference.modules)).toEqual(['calc']);
    const bytes = reference.modules['calc']!;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(reference.details).toEqual([
      { package: 'calc', sha256, bytes: bytes.length, cached: false, ms: reference.details[0]!.ms },
    ]);
    expect(reference.details[0]!.ms).toBeGreaterThan(0);
    const module = new wasm.Module(bytes);
    const functions = wasm.Module.exports(module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name)
      .sort();
    expect(functions).toEqual(['Add', 'Ping', '__stoa_abi_version', '__stoa_alloc']);
    const imports = wasm.Module.imports(module).map((i) => `${i.module}.${i.name}:${i.kind}`);
    expect(imports).toEqual(expect.arrayContaining(['env.memory:memory', 'stoa.log:function', 'env.abort:function']));

    const logged: string[] = [];
    const memory = new wasm.Memory({ initial: 1, maximum: 256 });
    const instance = new wasm.Instance(module, {
      env: {
        memory,
        abort: () => {
          throw new Error('abort');
        },
      },
      stoa: {
        log: (_level: number, ptr: number, len: number) =>
          logged.push(Buffer.from((memory as { buffer: ArrayBuffer }).buffer, ptr, len).toString('utf8')),
      },
    });
    expect((instance.exports['__stoa_abi_version'] as () => number)()).toBe(1);
    (instance.exports['Ping'] as () => void)();
    expect(logged).toEqual(['ping']);
  });

  it('produces the same bytes when compiled again, also from another absolute path (in the repo)', async () => {
    clearModuleMemo();
    const again = await buildExtensions({ dir: projectDir, appdef, cacheDir: tempDir('os') });
    expect(again.details[0]!.cached).toBe(false);
    expect(again.modules['calc']).toEqual(reference.modules['calc']);

    const inRepo = join(tempDir('repo'), 'deeper', 'calc');
    cpSync(projectDir, inRepo, { recursive: true });
    clearModuleMemo();
    const moved = await buildExtensions({ dir: inRepo, appdef, cacheDir: tempDir('os') });
    expect(moved.details[0]!.cached).toBe(false);
    expect(moved.modules['calc']).toEqual(reference.modules['calc']);

    // The assert's abort message names the file relative to the project, never where it lives.
    expect(containsUtf16(moved.modules['calc']!, 'extensions/calc/index.ts')).toBe(true);
    expect(containsUtf16(moved.modules['calc']!, 'stoa-bundle-test-')).toBe(false);
  }, 60_000);

  it('takes an unchanged module from the disk cache, then from memory, without running asc', async () => {
    clearModuleMemo();
    const fromDisk = await buildExtensions({ dir: projectDir, appdef, cacheDir });
    expect(fromDisk.details[0]).toMatchObject({ cached: true, sha256: reference.details[0]!.sha256 });
    expect(fromDisk.details[0]!.ms).toBeLessThan(500);
    const fromMemory = await buildExtensions({ dir: projectDir, appdef, cacheDir });
    expect(fromMemory.details[0]).toMatchObject({ cached: true, sha256: reference.details[0]!.sha256 });
    expect(fromMemory.modules['calc']).toEqual(reference.modules['calc']);
    // One module file, written atomically (no temp files left behind).
    expect(readdirSync(cacheDir)).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.wasm$/)]);
  });

  it('builds nothing (and reads nothing) for an app without WASM extensions', async () => {
    const noWasm = compileAppDef(
      'APPLICATION plain();\nWORKSPACE PlainWS ( DESCRIPTOR Plain ( Name varchar NOT NULL ); );\n',
    );
    expect(await buildExtensions({ dir: '/nonexistent', appdef: noWasm, cacheDir })).toEqual({
      modules: {},
      details: [],
    });
  });

  it('refuses a package with WASM extensions but no extensions/<pkg>/index.ts', async () => {
    const dir = tempDir('os');
    writeProject(dir, { 'stoa.json': '{ "name": "calc", "partitions": 1 }', 'schema/app.vsql': CALC_VSQL });
    const error = await buildError({ dir, appdef, cacheDir });
    expect(isAppError(error) && error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain('extensions/calc/index.ts does not exist');
    expect(error.message).toContain('calc.Add, calc.Ping');
    expect(isAppError(error) && error.data).toEqual({
      files: ['extensions/calc/index.ts'],
      extensions: ['calc.Add', 'calc.Ping'],
    });
  });

  it('reports compile errors with file:line:col, the message and a code frame', async () => {
    const dir = tempDir('os');
    const broken = 'export function Add(): void {\n  const n: i32 = "text";\n}\nexport function Ping(): void {}\n';
    writeProject(dir, calcProject(broken));
    const error = await buildError({ dir, appdef, cacheDir });
    expect(isAppError(error) && error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain(
      "extensions/calc/index.ts:2:18: Type '~lib/string/String' is not assignable to type 'i32'.",
    );
    expect(error.message).toContain('> 2 |   const n: i32 = "text";');
    expect(isAppError(error) && error.data).toEqual({
      errors: [
        {
          file: 'extensions/calc/index.ts',
          line: 2,
          column: 18,
          message: "Type '~lib/string/String' is not assignable to type 'i32'.",
        },
      ],
    });
  }, 60_000);

  it('explains that files outside extensions/<pkg>/ cannot be imported', async () => {
    const dir = tempDir('os');
    const guest =
      'import { y } from "../shared/y";\nexport function Add(): void { y(); }\nexport function Ping(): void {}\n';
    writeProject(dir, { ...calcProject(guest), 'extensions/shared/y.ts': 'export function y(): void {}\n' });
    const error = await buildError({ dir, appdef, cacheDir });
    expect(error.message).toContain(
      "extensions/calc/index.ts:1:19: File 'extensions/shared/y.ts' not found. A module can import only files below extensions/calc/ and @stoa/extension-sdk.",
    );
  }, 60_000);

  it("never reads the project's asconfig.json nor loads the transforms it names", async () => {
    const dir = tempDir('os');
    // Each would change the module (or write a marker) if the compiler honoured it.
    const asconfig = JSON.stringify({
      entries: ['extensions/calc/other.ts'],
      options: { transform: ['./transform.mjs'], noAssert: true, runtime: 'stub', exportRuntime: true },
    });
    const transform = [
      "import { writeFileSync } from 'node:fs';",
      "writeFileSync(new URL('./marker-loaded', import.meta.url), 'loaded');",
      'export default class { afterParse() {',
      "  writeFileSync(new URL('./marker-ran', import.meta.url), 'ran');",
      '} }',
      '',
    ].join('\n');
    writeProject(dir, {
      ...calcProject(),
      'asconfig.json': asconfig,
      'extensions/calc/asconfig.json': asconfig,
      'transform.mjs': transform,
      'extensions/calc/transform.mjs': transform,
    });
    clearModuleMemo();
    const built = await buildExtensions({ dir, appdef, cacheDir: tempDir('os') });
    expect(built.details[0]!.cached).toBe(false);
    expect(built.modules['calc']).toEqual(reference.modules['calc']);
    for (const folder of [dir, join(dir, 'extensions', 'calc')]) {
      expect(existsSync(join(folder, 'marker-loaded'))).toBe(false);
      expect(existsSync(join(folder, 'marker-ran'))).toBe(false);
    }
  }, 60_000);

  it('compiles a guest that uses the SDK (bare import) and the generated helpers', async () => {
    const dir = tempDir('os');
    const guest = [
      'import { logInfo } from "@stoa/extension-sdk";',
      'import { AddParamsBuilder, argAdd, resultPing } from "./generated";',
      '',
      'export function Add(): void {',
      '  const p = argAdd();',
      '  logInfo("sum " + (p.A + p.B).toString());',
      '}',
      '',
      'export function Ping(): void {',
      '  resultPing(new AddParamsBuilder().A(1).B(2));',
      '}',
      '',
    ].join('\n');
    // A stale generated.ts on disk is ignored: the build serves codegen's output in its place.
    writeProject(dir, { ...calcProject(guest), 'extensions/calc/generated.ts': 'export const nothing = 0;\n' });
    const built = await buildExtensions({ dir, appdef, cacheDir });
    expect(built.details[0]!.cached).toBe(false);
    const module = new wasm.Module(built.modules['calc']!);
    const functions = wasm.Module.exports(module)
      .filter((e) => e.kind === 'function' && !e.name.startsWith('_'))
      .map((e) => e.name)
      .sort();
    expect(functions).toEqual(['Add', 'Ping']);
    const imports = wasm.Module.imports(module).map((i) => `${i.module}.${i.name}`);
    expect(imports).toEqual(expect.arrayContaining(['stoa.arg', 'stoa.take', 'stoa.result', 'stoa.log']));

    const rows: Uint8Array[] = [];
    const memory = new wasm.Memory({ initial: 1, maximum: 256 });
    const bytesAt = (ptr: number, len: number): Uint8Array =>
      new Uint8Array((memory as { buffer: ArrayBuffer }).buffer, ptr, len).slice();
    const host = new Proxy<Record<string, unknown>>(
      { result: (ptr: number, len: number) => rows.push(bytesAt(ptr, len)) },
      { get: (target, name: string) => target[name] ?? (() => -1) },
    );
    const instance = new wasm.Instance(module, { env: { memory, abort: () => 0, seed: () => 1 }, stoa: host });
    (instance.exports['Ping'] as () => void)();
    // MessagePack {A: 1, B: 2}: a two-entry fixmap.
    expect(rows.map((row) => [...row])).toEqual([[0x82, 0xa1, 0x41, 0x01, 0xa1, 0x42, 0x02]]);
  }, 60_000);
});

function containsUtf16(bytes: Uint8Array, text: string): boolean {
  return Buffer.from(bytes).includes(Buffer.from(text, 'utf16le'));
}
