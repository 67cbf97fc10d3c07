// The extensions build: one WASM module per VSQL package that declares EXTENSION ENGINE WASM,
// compiled from the app project's `extensions/<pkg>/index.ts` with the SDK and the typed helpers
// generated from the AppDef. Everything the compiler reads is served from memory (virtual-fs.ts).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError, isAppError } from '@stoa/errors';
import { codegen } from '@stoa/extension-sdk/codegen';
import type { AppDef } from '@stoa/vsql';
import { compileModule } from './asc-compile.js';
import { computeCacheKey, loadOrCompile } from './cache.js';
import { mergeCompileErrors } from './diagnostics.js';
import { readPackageSources, readSdkSources, type SourceSet } from './sources.js';
import { VirtualFs } from './virtual-fs.js';

export interface BuildExtensionsOptions {
  /** The app project folder (`stoa.json`, `schema/`, `extensions/<pkg>/index.ts`). */
  readonly dir: string;
  /** The project's compiled schema: decides which packages need a module. */
  readonly appdef: AppDef;
  /** Where compiled modules are cached (default: `stoa-asc-cache` under the OS temp dir). */
  readonly cacheDir?: string;
}

export interface BuiltExtensionDetail {
  /** Local name of the VSQL package. */
  package: string;
  /** sha256 (hex) of the module's bytes. */
  sha256: string;
  bytes: number;
  /** True when the module came from the cache (asc did not run). */
  cached: boolean;
  /** Wall time spent on this package, cache lookups included. */
  ms: number;
}

export interface BuiltExtensions {
  /** Package local name → WASM module. */
  modules: Record<string, Uint8Array>;
  /** One entry per module, in AppDef package order. */
  details: BuiltExtensionDetail[];
}

export const DEFAULT_CACHE_DIR = join(tmpdir(), 'stoa-asc-cache');

/**
 * Compiles (or takes from the cache) the module of every package with WASM extensions. Throws
 * AppError('VALIDATION_FAILED') when a package's `extensions/<pkg>/index.ts` is missing, or with
 * every compiler error of every package (`data.errors`: `{file, line, column, message}`).
 */
export async function buildExtensions(options: BuildExtensionsOptions): Promise<BuiltExtensions> {
  const packages = listWasmPackages(options.appdef);
  if (packages.size === 0) return { modules: {}, details: [] };
  requireEntryFiles(options.dir, packages);

  const sdk = await readSdkSources();
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const modules: Record<string, Uint8Array> = {};
  const details: BuiltExtensionDetail[] = [];
  const failures: AppError[] = [];
  for (const pkg of packages.keys()) {
    const started = performance.now();
    try {
      const { bytes, cached } = await buildPackage(options, pkg, sdk, cacheDir);
      modules[pkg] = new Uint8Array(bytes);
      details.push({
        package: pkg,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        bytes: bytes.length,
        cached,
        ms: Math.round((performance.now() - started) * 10) / 10,
      });
    } catch (error) {
      // Keep going: one build reports the compile errors of every package.
      if (!isAppError(error) || error.code !== 'VALIDATION_FAILED') throw error;
      failures.push(error);
    }
  }
  if (failures.length > 0) throw mergeCompileErrors(failures);
  return { modules, details };
}

async function buildPackage(
  options: BuildExtensionsOptions,
  pkg: string,
  sdk: SourceSet,
  cacheDir: string,
): Promise<{ bytes: Uint8Array; cached: boolean }> {
  const project = await readPackageSources(options.dir, pkg);
  // Always regenerated from the AppDef (never read from disk), so it cannot go stale.
  const generated = codegen(options.appdef, pkg);
  const fs = new VirtualFs({ pkg, project, sdk, generated });
  return loadOrCompile(computeCacheKey(pkg, fs.files), cacheDir, () => compileModule(pkg, fs));
}

/** Package local name → its WASM extensions' QNames, packages in AppDef order. */
export function listWasmPackages(appdef: AppDef): Map<string, string[]> {
  const byPackage = new Map<string, string[]>();
  for (const ext of Object.values(appdef.extensions)) {
    if (ext.engine !== 'wasm') continue;
    const pkg = ext.qname.slice(0, ext.qname.indexOf('.'));
    byPackage.set(pkg, [...(byPackage.get(pkg) ?? []), ext.qname].sort());
  }
  const ordered = new Map<string, string[]>();
  for (const { localName } of appdef.packages) {
    const qnames = byPackage.get(localName);
    if (qnames !== undefined) ordered.set(localName, qnames);
  }
  return ordered;
}

function requireEntryFiles(dir: string, packages: ReadonlyMap<string, readonly string[]>): void {
  const missing = [...packages].filter(([pkg]) => !existsSync(join(dir, 'extensions', pkg, 'index.ts')));
  if (missing.length === 0) return;
  const lines = missing.map(
    ([pkg, qnames]) =>
      `extensions/${pkg}/index.ts does not exist, but package ${pkg} declares EXTENSION ENGINE WASM extensions: ${qnames.join(', ')}`,
  );
  const extensions = missing.flatMap(([, qnames]) => qnames);
  throw new AppError('VALIDATION_FAILED', `app folder ${dir}: ${lines.join('\n')}`, {
    qname: extensions[0],
    data: { files: missing.map(([pkg]) => `extensions/${pkg}/index.ts`), extensions },
  });
}
