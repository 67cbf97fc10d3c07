/**
 * Loads an app project folder (`stoa.json`, `schema/**\/*.vsql`, optionally
 * `extensions/builtin.ts`) into the same AppBundle shape a deployed bundle has, so the engine has
 * one loading path (docs/ARCHITECTURE.md §9).
 *
 * Dev mode (`dev: true`) imports `extensions/builtin.ts` with a dynamic `import()`. That needs a
 * TypeScript-aware loader in the process: run the engine under `tsx` (`node --import tsx …`, as
 * apps/engine's scripts do) or Vitest. Outside dev mode the folder must not declare non-`sys`
 * BUILTIN extensions: those are the developer's own code and only trusted on their machine.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppError } from '@stoa/errors';
import type { AppDef, CompileFile } from '@stoa/vsql';
import { compile } from '@stoa/vsql';
import { z } from 'zod';
import type { BuiltinExtensions } from '../extensions/host.js';
import type { AppBundle, AppManifest } from './bundle.js';

export interface LoadAppFromFolderOptions {
  /** Owner the app is served under; folder apps are `local` (docs/ARCHITECTURE.md §12). */
  readonly owner?: string;
  /** Allow the app's own TypeScript builtins (`extensions/builtin.ts`). */
  readonly dev?: boolean;
}

export const MANIFEST_FILE = 'stoa.json';
export const SCHEMA_DIR = 'schema';
export const DEV_BUILTINS_FILE = join('extensions', 'builtin.ts');

const manifestSchema = z.object({
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9-]{0,62}$/,
      'must be 1–63 characters: a lowercase letter, then lowercase letters, digits or -',
    ),
  partitions: z.number().int('must be an integer').min(1, 'must be at least 1').max(1024, 'must be at most 1024'),
});

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

  const manifestPath = join(dir, MANIFEST_FILE);
  const manifestText = await readText(manifestPath, `app folder ${dir} has no ${MANIFEST_FILE}`);
  const manifest = parseManifest(manifestText, manifestPath);

  const schemaDir = join(dir, SCHEMA_DIR);
  const vsqlPaths = existsSync(schemaDir) ? await listVsqlFiles(schemaDir) : [];
  if (vsqlPaths.length === 0) {
    throw new AppError('VALIDATION_FAILED', `app folder ${dir} has no ${SCHEMA_DIR}/**/*.vsql files`);
  }
  const files: CompileFile[] = [];
  for (const path of vsqlPaths) files.push({ path, source: await readFile(path, 'utf8') });

  const appdef = compileOrThrow(files, dir);
  if (appdef.name !== manifest.name) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${manifestPath}: name "${manifest.name}" does not match the APPLICATION name "${appdef.name}" in the schema; make them equal`,
      { data: { field: 'name' } },
    );
  }

  const builtinPath = join(dir, DEV_BUILTINS_FILE);
  const builtinSource = dev && existsSync(builtinPath) ? await readFile(builtinPath, 'utf8') : undefined;
  if (!dev) refuseAppBuiltins(appdef, dir);
  else if (builtinSource === undefined) requireBuiltinsFile(appdef, builtinPath);

  const versionHash = hashSources(
    manifestText,
    files.map((f) => ({ path: relative(dir, f.path), source: f.source })),
    builtinSource,
  );
  const devBuiltins = builtinSource === undefined ? undefined : await importBuiltins(builtinPath);

  return {
    owner,
    manifest,
    appdef,
    modules: {},
    versionHash,
    ...(devBuiltins === undefined ? {} : { devBuiltins }),
  };
}

async function readText(path: string, missing: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', missing);
    throw error;
  }
}

function parseManifest(text: string, path: string): AppManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', `${path}: not valid JSON: ${(error as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
      return `${path}: ${field}: ${issue.message}`;
    });
    const fields = parsed.error.issues.map((issue) => issue.path.join('.'));
    throw new AppError('VALIDATION_FAILED', problems.join('\n'), { data: { field: fields[0], fields } });
  }
  return { name: parsed.data.name, partitions: parsed.data.partitions };
}

/** Every `.vsql` below `dir`, sorted by path so the compile order and the hash are stable. */
async function listVsqlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.vsql'))
    .map((e) => join(e.parentPath, e.name))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function compileOrThrow(files: CompileFile[], dir: string): AppDef {
  const result = compile(files);
  if (result.ok) return result.appdef;
  const frames = result.errors.map((e) => e.format());
  throw new AppError(
    'VALIDATION_FAILED',
    `app folder ${dir}: ${result.errors.length} VSQL error(s)\n\n${frames.join('\n\n')}`,
    {
      data: {
        errors: result.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, message: e.rawMessage })),
      },
    },
  );
}

function listAppBuiltins(appdef: AppDef): string[] {
  return Object.values(appdef.extensions)
    .filter((ext) => ext.engine === 'builtin' && !ext.qname.startsWith('sys.'))
    .map((ext) => ext.qname)
    .sort();
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

function refuseAppBuiltins(appdef: AppDef, dir: string): void {
  const offending = listAppBuiltins(appdef);
  if (offending.length === 0) return;
  const lines = offending.map(
    (qname) =>
      `extension ${qname} is EXTENSION ENGINE BUILTIN: builtin extensions of apps are a dev-mode feature; ` +
      `load ${dir} in dev mode (extensions/builtin.ts) or implement it as EXTENSION ENGINE WASM`,
  );
  throw new AppError('VALIDATION_FAILED', lines.join('\n'), { qname: offending[0], data: { extensions: offending } });
}

function hashSources(manifest: string, files: { path: string; source: string }[], builtin: string | undefined): string {
  const hash = createHash('sha256');
  // Length-prefixed parts so that moving text between files always changes the hash.
  const add = (label: string, text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    hash.update(`${label}\0${bytes.length}\0`);
    hash.update(bytes);
  };
  add(MANIFEST_FILE, manifest);
  for (const f of files) add(f.path.split(sep).join('/'), f.source);
  if (builtin !== undefined) add('extensions/builtin.ts', builtin);
  return hash.digest('hex');
}

async function importBuiltins(path: string): Promise<BuiltinExtensions> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
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
