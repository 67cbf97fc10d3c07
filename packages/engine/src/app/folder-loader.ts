/**
 * Loads an app project folder (`stoa.json`, `schema/**\/*.vsql`, `extensions/<pkg>/` AssemblyScript
 * for packages with `EXTENSION ENGINE WASM`, optionally `extensions/builtin.ts`) into the same
 * AppBundle shape a deployed bundle has, so the engine has one loading path
 * (docs/ARCHITECTURE.md §9). WASM modules are compiled by `@stoa/bundle`'s build step, which
 * caches them by content, so reloading an unchanged folder does not recompile.
 *
 * Dev mode (`dev: true`) imports `extensions/builtin.ts` with a dynamic `import()`. That needs a
 * TypeScript-aware loader in the process: run the engine under `tsx` (`node --import tsx …`, as
 * apps/engine's scripts do) or Vitest. Outside dev mode the folder must not declare non-`sys`
 * BUILTIN extensions: those are the developer's own code and only trusted on their machine.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildExtensions } from '@stoa/bundle/extensions';
import { listAppBuiltins, MANIFEST_FILE, readProject, refuseAppBuiltins } from '@stoa/bundle/project';
import { AppError } from '@stoa/errors';
import type { AppDef } from '@stoa/vsql';
import { z } from 'zod';
import type { BuiltinExtensions } from '../extensions/host.js';
import type { AppBundle } from './bundle.js';

export interface LoadAppFromFolderOptions {
  /** Owner the app is served under; folder apps are `local` (docs/ARCHITECTURE.md §12). */
  readonly owner?: string;
  /** Allow the app's own TypeScript builtins (`extensions/builtin.ts`). */
  readonly dev?: boolean;
  /** Where compiled WASM modules are cached (default: the build step's, under the OS temp dir). */
  readonly wasmCacheDir?: string;
  /**
   * Imports `extensions/builtin.ts` (default: `import()`, which needs a TypeScript-aware loader in
   * the process). The CLI's `stoa dev` passes tsx's `tsImport`, which transforms only that file
   * and its imports and loads a fresh copy on every reload.
   */
  readonly importModule?: (path: string) => Promise<unknown>;
}

export const DEV_BUILTINS_FILE = join('extensions', 'builtin.ts');

const ownerSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/);

export async function loadAppFromFolder(dir: string, options: LoadAppFromFolderOptions = {}): Promise<AppBundle> {
  const owner = options.owner ?? 'local';
  const dev = options.dev ?? false;
  if (!ownerSchema.safeParse(owner).success) {
    throw new AppError(
      'VALIDATION_FAILED',
      `owner ${JSON.stringify(owner)} is invalid: lowercase letters, digits, - and _`,
    );
  }
  // stoa.json + schema, exactly as `stoa build` and the deploy worker read them.
  const project = await readProject(dir);
  const { appdef } = project;

  const builtinPath = join(dir, DEV_BUILTINS_FILE);
  const builtinSource = dev && existsSync(builtinPath) ? await readFile(builtinPath, 'utf8') : undefined;
  if (!dev) refuseAppBuiltins(appdef, `app folder ${dir} outside dev mode`);
  else if (builtinSource === undefined) requireBuiltinsFile(appdef, builtinPath);

  const built = await buildExtensions({
    dir,
    appdef,
    ...(options.wasmCacheDir === undefined ? {} : { cacheDir: options.wasmCacheDir }),
  });
  const versionHash = hashSources(
    project.manifestText,
    project.sources,
    builtinSource,
    built.details.map((d) => ({ name: d.package, sha256: d.sha256 })),
  );
  const devBuiltins =
    builtinSource === undefined ? undefined : await importBuiltins(builtinPath, options.importModule ?? importByUrl);

  return {
    owner,
    manifest: project.manifest,
    appdef,
    modules: built.modules,
    versionHash,
    ...(devBuiltins === undefined ? {} : { devBuiltins }),
  };
}

function requireBuiltinsFile(appdef: AppDef, builtinPath: string): void {
  const declared = listAppBuiltins(appdef);
  if (declared.length === 0) return;
  throw new AppError(
    'VALIDATION_FAILED',
    `${builtinPath} does not exist, but the schema declares EXTENSION ENGINE BUILTIN extensions: ${declared.join(', ')}`,
    { qname: declared[0], data: { extensions: declared } },
  );
}

function hashSources(
  manifest: string,
  files: { path: string; source: string }[],
  builtin: string | undefined,
  modules: { name: string; sha256: string }[],
): string {
  const hash = createHash('sha256');
  // Length-prefixed parts so that moving text between files always changes the hash.
  const add = (label: string, text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    hash.update(`${label}\0${bytes.length}\0`);
    hash.update(bytes);
  };
  add(MANIFEST_FILE, manifest);
  for (const f of files) add(f.path, f.source);
  if (builtin !== undefined) add('extensions/builtin.ts', builtin);
  // The modules' hashes stand for their sources (and the compiler and SDK that built them).
  for (const m of [...modules].sort((a, b) => (a.name < b.name ? -1 : 1))) add(`extensions/${m.name}.wasm`, m.sha256);
  return hash.digest('hex');
}

function importByUrl(path: string): Promise<unknown> {
  return import(pathToFileURL(path).href);
}

async function importBuiltins(
  path: string,
  importModule: (path: string) => Promise<unknown>,
): Promise<BuiltinExtensions> {
  let mod: { default?: unknown };
  try {
    mod = (await importModule(path)) as { default?: unknown };
  } catch (error) {
    const hint =
      path.endsWith('.ts') && /Unknown file extension/.test(String(error)) ? ' (run the engine under tsx)' : '';
    throw new AppError('VALIDATION_FAILED', `${path}: cannot be imported${hint}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const builtins = mod.default;
  if (builtins === null || typeof builtins !== 'object' || Array.isArray(builtins)) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${path}: the default export must be an object of functions: export default defineBuiltins({ 'pkg.Name': (ctx) => … })`,
    );
  }
  const notFunctions = Object.entries(builtins)
    .filter(([, fn]) => typeof fn !== 'function')
    .map(([name]) => name);
  if (notFunctions.length > 0) {
    throw new AppError('VALIDATION_FAILED', `${path}: not functions: ${notFunctions.join(', ')}`);
  }
  return builtins as BuiltinExtensions;
}
