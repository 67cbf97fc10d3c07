// Reads an app project folder: `stoa.json` and `schema/**/*.vsql`, compiled to an AppDef. Neither
// the extensions (`extensions/<pkg>/`, compiled by the extensions build) nor the dev builtins
// (`extensions/builtin.ts`) are read here: what to do with them depends on the caller.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { AppError } from '@stoa/errors';
import type { AppDef } from '@stoa/vsql';
import { compileSources, type ProjectSource } from './compile-sources.js';
import { MANIFEST_FILE, parseProjectManifest, type ProjectManifest } from './manifest.js';
import { comparePaths, explainBadSourcePath, SCHEMA_DIR, VSQL_SUFFIX } from './source-path.js';

export interface AppProject {
  /** The project folder, absolute. */
  dir: string;
  manifest: ProjectManifest;
  /** `stoa.json` as read (for content hashes). */
  manifestText: string;
  /** The `.vsql` files below `schema/`, sorted by path (the compile order). */
  sources: ProjectSource[];
  /** Compiled with project-relative file names: the same wherever the project lives. */
  appdef: AppDef;
}

/**
 * Reads and compiles the project in `dir`. Throws AppError('NOT_FOUND') when the folder or its
 * `stoa.json` does not exist, AppError('VALIDATION_FAILED') for a bad `stoa.json` (file and field
 * in the message, `data.field`), no schema files, a bad schema file name, VSQL errors (code frames,
 * `data.errors` with project-relative `file`) or an APPLICATION name other than stoa.json's.
 */
export async function readProject(dir: string): Promise<AppProject> {
  const root = resolve(dir);
  await requireFolder(root);
  const manifestPath = join(root, MANIFEST_FILE);
  const manifestText = await readText(manifestPath, `app folder ${root} has no ${MANIFEST_FILE}`);
  const manifest = parseProjectManifest(manifestText, manifestPath);

  const paths = await listSchemaFiles(root);
  if (paths.length === 0) {
    throw new AppError('VALIDATION_FAILED', `app folder ${root} has no ${SCHEMA_DIR}/**/*${VSQL_SUFFIX} files`, {
      data: { field: SCHEMA_DIR },
    });
  }
  const sources: ProjectSource[] = [];
  for (const path of paths) sources.push({ path, source: await readFile(join(root, path), 'utf8') });

  const appdef = compileSources(sources, `app folder ${root}`);
  if (appdef.name !== manifest.name) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${manifestPath}: name "${manifest.name}" does not match the APPLICATION name "${appdef.name}" in the schema; make them equal`,
      { data: { field: 'name' } },
    );
  }
  return { dir: root, manifest, manifestText, sources, appdef };
}

async function requireFolder(dir: string): Promise<void> {
  const found = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (found === undefined) throw new AppError('NOT_FOUND', `app folder ${dir} does not exist`);
  if (!found.isDirectory()) throw new AppError('VALIDATION_FAILED', `app folder ${dir} is not a folder`);
}

async function readText(path: string, missing: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('NOT_FOUND', missing);
    throw error;
  }
}

/** Project-relative paths of every `.vsql` file below `schema/` (symlinks are not followed), sorted. */
async function listSchemaFiles(root: string): Promise<string[]> {
  const schemaDir = join(root, SCHEMA_DIR);
  let entries;
  try {
    entries = await readdir(schemaDir, { recursive: true, withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
  const paths = entries
    .filter((e) => e.isFile() && e.name.endsWith(VSQL_SUFFIX))
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort(comparePaths);
  for (const path of paths) {
    const problem = explainBadSourcePath(path);
    if (problem !== undefined) {
      throw new AppError('VALIDATION_FAILED', `${join(root, path)}: file name not allowed: ${problem}`, {
        data: { file: path },
      });
    }
  }
  return paths;
}
