// Helpers for the build tests: throwaway app projects on disk and the slice of the WebAssembly
// API the tests use (the repo's TypeScript setup has no DOM lib to type it).
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AppDef } from '@stoa/vsql';
import { compile } from '@stoa/vsql';

/** An app with two WASM extensions in package `calc`. */
export const CALC_VSQL = `APPLICATION calc();
WORKSPACE CalcWS (
    DESCRIPTOR Calc ( Name varchar(50) NOT NULL );
    TYPE AddParams ( A int32 NOT NULL, B int32 NOT NULL );
    EXTENSION ENGINE WASM (
        COMMAND Add(AddParams);
        QUERY Ping RETURNS AddParams;
    );
);
`;

/** A guest that needs only the SDK's host imports; its assert embeds its file name. */
export const CALC_GUEST = `import { log } from "@stoa/extension-sdk/assembly/stoa";

function say(message: string): void {
  const bytes = String.UTF8.encode(message);
  log(0, changetype<usize>(bytes), bytes.byteLength);
}

export function Add(): void {
  say("add");
}

export function Ping(): void {
  const n = "ping".length;
  assert(n == 4, "ping has four letters");
  say("ping");
}
`;

export function compileAppDef(vsql: string): AppDef {
  const result = compile([{ path: 'schema/app.vsql', source: vsql }]);
  if (!result.ok) throw new Error(result.errors.map((e) => e.format()).join('\n'));
  return result.appdef;
}

/** A fresh folder under the OS temp dir (outside the repo) or under this package's .test-results. */
export function makeTempDir(where: 'os' | 'repo'): string {
  const base = where === 'os' ? tmpdir() : join(import.meta.dirname, '..', '..', '.test-results');
  const dir = join(base, `stoa-bundle-test-${randomUUID()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes `files` (project-relative path → text) below `dir`. */
export function writeProject(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

export function calcProject(guest: string = CALC_GUEST): Record<string, string> {
  return {
    'stoa.json': '{ "name": "calc", "partitions": 1 }',
    'schema/app.vsql': CALC_VSQL,
    'extensions/calc/index.ts': guest,
  };
}

interface WasmDescriptor {
  readonly module?: string;
  readonly name: string;
  readonly kind: string;
}

interface WasmApi {
  readonly Module: {
    new (bytes: Uint8Array): object;
    exports(module: object): WasmDescriptor[];
    imports(module: object): WasmDescriptor[];
  };
  readonly Memory: new (descriptor: { initial: number; maximum?: number }) => object;
  readonly Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => {
    readonly exports: Record<string, unknown>;
  };
}

export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
