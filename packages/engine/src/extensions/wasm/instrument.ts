// Load-time preparation of a guest module (ABI.md §1, §5, §6): validate, check its imports and
// exports against the ABI (collecting every problem), then in one binaryen read/emit inject fuel
// metering and run asyncify over the imports that may suspend, and compile. The same bytes always
// give the same prepared module, so it is cached twice: in-process (tests and app reloads load the
// same module often) and on disk (prepare-cache.ts), so an engine restart needs neither binaryen's
// 1.3 s import nor the instrumentation's tens to hundreds of milliseconds per module.

import { createHash } from 'node:crypto';
import type binaryen from 'binaryen';
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
import { loadBinaryen, type Binaryen } from './binaryen-loader.js';
import { DEFAULT_FUEL_GLOBAL, meterModule, readWasmModule } from './fuel.js';
import { computePrepareKey, readPrepared, writePrepared, type PreparedHeader } from './prepare-cache.js';
import type { WasmModule } from './webassembly-api.js';
import { webAssembly } from './webassembly-api.js';

/** Where a prepared module came from: the in-process memo, the disk cache, or instrumented now. */
export type PrepareSource = 'memo' | 'disk' | 'miss';

export interface PreparedModule extends PreparedHeader {
  /** Instrumented (fuel + asyncify) and compiled. */
  readonly module: WasmModule;
  /** Time spent preparing: instrumenting and compiling, or reading and compiling (0 from the memo). */
  readonly prepareMs: number;
  /** Where it came from (`'miss'`: binaryen instrumented it now). */
  readonly cached: PrepareSource;
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
  /** Directory of the disk cache (prepare-cache.ts); absent: the in-process memo only. */
  readonly cacheDir?: string;
}

const MEMO_LIMIT = 64;
const memo = new Map<string, PreparedModule>();
const inFlight = new Map<string, Promise<PrepareResult>>();

/** Forgets the in-process memo (tests use it to make the next prepare go to disk or to binaryen). */
export function clearPreparedMemo(): void {
  memo.clear();
}

/** Checks and instruments `bytes`; every ABI problem is listed, none is thrown. */
export async function prepareModule(bytes: Uint8Array, options: PrepareOptions = {}): Promise<PrepareResult> {
  const initialFuel = options.initialFuel ?? 0n;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = computePrepareKey(sha256, initialFuel);
  const hit = memo.get(key);
  if (hit !== undefined) return { ok: true, prepared: { ...hit, prepareMs: 0, cached: 'memo' } };
  // Concurrent loads of one module (parallel app loads) share one preparation.
  let pending = inFlight.get(key);
  if (pending === undefined) {
    pending = prepareUncached(bytes, sha256, key, initialFuel, options.cacheDir).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

function remember(key: string, prepared: PreparedModule): void {
  if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value!);
  memo.set(key, prepared);
}

async function prepareUncached(
  bytes: Uint8Array,
  sha256: string,
  key: string,
  initialFuel: bigint,
  cacheDir: string | undefined,
): Promise<PrepareResult> {
  const started = performance.now();
  if (cacheDir !== undefined) {
    const stored = await readPrepared(cacheDir, key);
    const fromDisk = stored === undefined ? undefined : compileStored(stored.header, stored.wasm, sha256, started);
    if (fromDisk !== undefined) {
      remember(key, fromDisk);
      return { ok: true, prepared: fromDisk };
    }
  }

  // binaryen aborts (and poisons its runtime for the process) on invalid input: V8 validates first.
  if (!webAssembly.validate(bytes)) return { ok: false, problems: ['not a valid WebAssembly module'] };
  const bn = await loadBinaryen();
  const instrumentStarted = performance.now();
  const original = new webAssembly.Module(bytes);
  const module = readWasmModule(bn, bytes);
  let instrumented: Uint8Array;
  let entryPoints: string[];
  let memory: PreparedModule['memory'];
  try {
    const problems: string[] = [];
    entryPoints = checkExports(bn, original, module, problems);
    checkImports(bn, original, module, problems);
    memory = checkMemory(module, problems);
    if (problems.length > 0) return { ok: false, problems };
    try {
      instrumented = instrument(bn, module, initialFuel);
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
    // Without binaryen's one-time import, which is not this module's cost.
    prepareMs: performance.now() - instrumentStarted,
    cached: 'miss',
  };
  remember(key, prepared);
  if (cacheDir !== undefined) await writePrepared(cacheDir, key, prepared, instrumented);
  return { ok: true, prepared };
}

/**
 * A disk entry compiled, after the checks that need no binaryen: the header belongs to these input
 * bytes, and the instrumented module imports only what the ABI allows and exports what the host
 * calls. Entries are written only after the full checks passed, so this guards against damage, not
 * against guests; any mismatch makes the entry a miss.
 */
function compileStored(
  header: PreparedHeader,
  wasm: Uint8Array,
  sha256: string,
  started: number,
): PreparedModule | undefined {
  if (header.sha256 !== sha256) return undefined;
  let compiled: WasmModule;
  try {
    compiled = new webAssembly.Module(wasm);
  } catch {
    return undefined;
  }
  for (const d of webAssembly.Module.imports(compiled)) {
    const name = `${d.module}.${d.name}`;
    const allowed =
      d.kind === 'memory'
        ? d.module === MEMORY_IMPORT.module && d.name === MEMORY_IMPORT.name
        : d.kind === 'function' && ALLOWED_FUNCTION_IMPORTS.has(name);
    if (!allowed) return undefined;
  }
  const exports = new Map(webAssembly.Module.exports(compiled).map((d) => [d.name, d.kind]));
  const required = [...REQUIRED_EXPORTS.keys(), ...ASYNCIFY_EXPORTS, ...header.entryPoints];
  if (required.some((name) => exports.get(name) !== 'function')) return undefined;
  if (exports.get(DEFAULT_FUEL_GLOBAL) !== 'global') return undefined;
  const entryPoints = [...exports]
    .filter(([name, kind]) => kind === 'function' && isEntryPointName(name) && !isReservedName(name))
    .map(([name]) => name);
  if (entryPoints.length !== header.entryPoints.length) return undefined;
  return { ...header, module: compiled, prepareMs: performance.now() - started, cached: 'disk' };
}

/** The exports binaryen's asyncify pass adds and the guest driver calls (guest.ts). */
const ASYNCIFY_EXPORTS = [
  'asyncify_start_unwind',
  'asyncify_stop_unwind',
  'asyncify_start_rewind',
  'asyncify_stop_rewind',
  'asyncify_get_state',
] as const;

function instrument(bn: Binaryen, module: binaryen.Module, initialFuel: bigint): Uint8Array {
  // Fuel first: asyncify then guards the fuel charges like any other code, so a rewind (which
  // re-enters the suspended functions) does not charge their entries twice.
  meterModule(bn, module, { initialFuel });
  const previousLevel = bn.getOptimizeLevel();
  bn.setPassArgument('asyncify-imports', SUSPENDING_IMPORTS.join(','));
  // asyncify cleans up after itself when optimising; level 2 makes noticeably smaller, faster code.
  bn.setOptimizeLevel(2);
  try {
    module.runPasses(['asyncify']);
  } finally {
    bn.setOptimizeLevel(previousLevel);
    bn.setPassArgument('asyncify-imports', null);
  }
  if (!module.validate()) throw new Error('the instrumented module failed validation');
  return module.emitBinary();
}

function typeNames(bn: Binaryen, type: binaryen.Type): string[] {
  const names = new Map<number, string>([
    [bn.i32, 'i32'],
    [bn.i64, 'i64'],
    [bn.f32, 'f32'],
    [bn.f64, 'f64'],
    [bn.v128, 'v128'],
    [bn.funcref, 'funcref'],
    [bn.externref, 'externref'],
  ]);
  return bn.expandType(type).map((t) => names.get(t) ?? `type#${t}`);
}

function functionSignature(bn: Binaryen, func: binaryen.FunctionRef): Signature {
  const info = bn.getFunctionInfo(func);
  return signature(typeNames(bn, info.params), typeNames(bn, info.results));
}

function checkExports(bn: Binaryen, original: WasmModule, module: binaryen.Module, problems: string[]): string[] {
  const signatures = new Map<string, Signature>();
  for (let i = 0; i < module.getNumExports(); i++) {
    const info = bn.getExportInfo(module.getExportByIndex(i));
    if (info.kind === bn.ExternalFunction)
      signatures.set(info.name, functionSignature(bn, module.getFunction(info.value)));
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

function checkImports(bn: Binaryen, original: WasmModule, module: binaryen.Module, problems: string[]): void {
  const signatures = new Map<string, Signature>();
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const func = module.getFunctionByIndex(i);
    const info = bn.getFunctionInfo(func);
    if (info.module !== null && info.module !== '')
      signatures.set(`${info.module}.${info.base}`, functionSignature(bn, func));
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
