// Load-time preparation of a guest module (ABI.md §1, §5, §6): validate, check its imports and
// exports against the ABI (collecting every problem), then in one binaryen read/emit inject fuel
// metering and run asyncify over the imports that may suspend, and compile. Prepared modules are
// cached in-process by the sha256 of the input bytes: tests and app reloads load the same module often,
// and asyncify costs tens to hundreds of milliseconds.

import { createHash } from 'node:crypto';
import binaryen from 'binaryen';
import {
  ALLOWED_FUNCTION_IMPORTS,
  ENTRY_POINT_SIGNATURE,
  isEntryPointName,
  isReservedName,
  MEMORY_IMPORT,
  REQUIRED_EXPORTS,
  signature,
  SUSPENDING_IMPORTS,
  type Signature,
} from './abi.js';
import { meterModule, readWasmModule } from './fuel.js';
import type { WasmModule } from './webassembly-api.js';
import { webAssembly } from './webassembly-api.js';

export interface PreparedModule {
  /** sha256 (hex) of the module as the bundle carries it. */
  readonly sha256: string;
  /** Instrumented (fuel + asyncify) and compiled. */
  readonly module: WasmModule;
  /** Exported functions whose name does not start with `_`, in export order. */
  readonly entryPoints: readonly string[];
  /** The memory import's limits, in 64 KiB pages. */
  readonly memory: { readonly initialPages: number; readonly maximumPages: number | undefined };
  /** Time spent instrumenting and compiling (0 when served from the cache). */
  readonly prepareMs: number;
}

export type PrepareResult =
  | { readonly ok: true; readonly prepared: PreparedModule }
  | { readonly ok: false; readonly problems: readonly string[] };

export interface PrepareOptions {
  /**
   * Fuel the module holds when instantiated, i.e. what a start function may burn (the host refills
   * before every call). Part of the cache key, since it is compiled into the module.
   */
  readonly initialFuel?: bigint;
}

const CACHE_LIMIT = 64;
const cache = new Map<string, PreparedModule>();

/** Checks and instruments `bytes`; every ABI problem is listed, none is thrown. */
export function prepareModule(bytes: Uint8Array, options: PrepareOptions = {}): PrepareResult {
  const initialFuel = options.initialFuel ?? 0n;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = `${sha256}:${initialFuel}`;
  const hit = cache.get(key);
  if (hit !== undefined) return { ok: true, prepared: { ...hit, prepareMs: 0 } };

  // binaryen aborts (and poisons its runtime for the process) on invalid input: V8 validates first.
  if (!webAssembly.validate(bytes)) return { ok: false, problems: ['not a valid WebAssembly module'] };
  const started = performance.now();
  const original = new webAssembly.Module(bytes);
  const module = readWasmModule(bytes);
  let instrumented: Uint8Array;
  let entryPoints: string[];
  let memory: PreparedModule['memory'];
  try {
    const problems: string[] = [];
    entryPoints = checkExports(original, module, problems);
    checkImports(original, module, problems);
    memory = checkMemory(module, problems);
    if (problems.length > 0) return { ok: false, problems };
    try {
      instrumented = instrument(module, initialFuel);
    } catch (error) {
      return {
        ok: false,
        problems: [`instrumentation failed: ${error instanceof Error ? error.message : String(error)}`],
      };
    }
  } finally {
    module.dispose();
  }
  // Synchronous compile: V8's async compile waits for background threads, which on a busy machine
  // took 100 ms to seconds even for a 1 KB module; the synchronous one takes well under 2 ms here.
  const compiled = new webAssembly.Module(instrumented);
  const prepared: PreparedModule = {
    sha256,
    module: compiled,
    entryPoints,
    memory,
    prepareMs: performance.now() - started,
  };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, prepared);
  return { ok: true, prepared };
}

function instrument(module: binaryen.Module, initialFuel: bigint): Uint8Array {
  // Fuel first: asyncify then guards the fuel charges like any other code, so a rewind (which
  // re-enters the suspended functions) does not charge their entries twice.
  meterModule(module, { initialFuel });
  const previousLevel = binaryen.getOptimizeLevel();
  binaryen.setPassArgument('asyncify-imports', SUSPENDING_IMPORTS.join(','));
  // asyncify cleans up after itself when optimising; level 2 makes noticeably smaller, faster code.
  binaryen.setOptimizeLevel(2);
  try {
    module.runPasses(['asyncify']);
  } finally {
    binaryen.setOptimizeLevel(previousLevel);
    binaryen.setPassArgument('asyncify-imports', null);
  }
  if (!module.validate()) throw new Error('the instrumented module failed validation');
  return module.emitBinary();
}

const TYPE_NAMES = new Map<number, string>([
  [binaryen.i32, 'i32'],
  [binaryen.i64, 'i64'],
  [binaryen.f32, 'f32'],
  [binaryen.f64, 'f64'],
  [binaryen.v128, 'v128'],
  [binaryen.funcref, 'funcref'],
  [binaryen.externref, 'externref'],
]);

function typeNames(type: binaryen.Type): string[] {
  return binaryen.expandType(type).map((t) => TYPE_NAMES.get(t) ?? `type#${t}`);
}

function functionSignature(func: binaryen.FunctionRef): Signature {
  const info = binaryen.getFunctionInfo(func);
  return signature(typeNames(info.params), typeNames(info.results));
}

function checkExports(original: WasmModule, module: binaryen.Module, problems: string[]): string[] {
  const signatures = new Map<string, Signature>();
  for (let i = 0; i < module.getNumExports(); i++) {
    const info = binaryen.getExportInfo(module.getExportByIndex(i));
    if (info.kind === binaryen.ExternalFunction)
      signatures.set(info.name, functionSignature(module.getFunction(info.value)));
  }
  const entryPoints: string[] = [];
  for (const d of webAssembly.Module.exports(original)) {
    if (isReservedName(d.name)) {
      problems.push(`export ${d.name} uses a name reserved for the host's instrumentation`);
      continue;
    }
    if (d.kind !== 'function') continue;
    const actual = signatures.get(d.name);
    const required = REQUIRED_EXPORTS.get(d.name);
    if (required !== undefined) {
      if (actual !== required) problems.push(`export ${d.name} has type (${actual}), expected (${required})`);
    } else if (isEntryPointName(d.name)) {
      entryPoints.push(d.name);
      if (actual !== ENTRY_POINT_SIGNATURE) {
        problems.push(`export ${d.name} has type (${actual}), extension entry points are (${ENTRY_POINT_SIGNATURE})`);
      }
    }
  }
  for (const [name, sig] of REQUIRED_EXPORTS) {
    if (!signatures.has(name)) problems.push(`missing required export ${name} (${sig})`);
  }
  return entryPoints;
}

function checkImports(original: WasmModule, module: binaryen.Module, problems: string[]): void {
  const signatures = new Map<string, Signature>();
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const func = module.getFunctionByIndex(i);
    const info = binaryen.getFunctionInfo(func);
    if (info.module !== null && info.module !== '')
      signatures.set(`${info.module}.${info.base}`, functionSignature(func));
  }
  for (const d of webAssembly.Module.imports(original)) {
    const name = `${d.module}.${d.name}`;
    if (isReservedName(d.name)) {
      problems.push(`import ${name} uses a name reserved for the host's instrumentation`);
      continue;
    }
    if (d.kind === 'memory') {
      if (d.module !== MEMORY_IMPORT.module || d.name !== MEMORY_IMPORT.name) {
        problems.push(`import ${name} (memory): memory must be imported as env.memory`);
      }
      continue;
    }
    const expected = d.kind === 'function' ? ALLOWED_FUNCTION_IMPORTS.get(name) : undefined;
    if (expected === undefined) {
      problems.push(`import ${name} (${d.kind}) is not allowed`);
      continue;
    }
    const actual = signatures.get(name);
    if (actual !== expected) problems.push(`import ${name} has type (${actual}), expected (${expected})`);
  }
}

function checkMemory(module: binaryen.Module, problems: string[]): PreparedModule['memory'] {
  if (!module.hasMemory()) {
    problems.push('the module must import its memory as env.memory');
    return { initialPages: 0, maximumPages: undefined };
  }
  const info = module.getMemoryInfo();
  if (info.module === null || info.module === '') {
    problems.push('the module defines its own memory; it must import it as env.memory');
  }
  if (info.shared) problems.push('shared memory is not supported');
  if (info.is64) problems.push('64-bit memory is not supported');
  return { initialPages: info.initial, maximumPages: info.max };
}
