// Snapshots of the sources a module is compiled from, read once per build: the cache key is
// computed over exactly the text the compiler is then served, so a file edited mid-build can never
// end up in a module cached under the old key.
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';

/** The SDK package's name: what AssemblyScript code imports (`import … from "@stoa/extension-sdk"`). */
export const SDK_PACKAGE = '@stoa/extension-sdk';

/** Files of `extensions/<pkg>/` the build step serves itself, whatever is on disk under these names. */
export const ENTRY_FILE = '__stoa_entry.ts';
export const GENERATED_FILE = 'generated.ts';

/** Path → text, paths relative and `/`-separated, sorted (so hashing them is deterministic). */
export type SourceSet = ReadonlyMap<string, string>;

const require = createRequire(import.meta.url);

/** The SDK package's folder, wherever npm installed it. */
export function locateSdkDir(): string {
  return dirname(require.resolve(`${SDK_PACKAGE}/package.json`));
}

/** Every `.ts` of the SDK's `assembly/` folder, keyed relative to the package (`assembly/index.ts`, …). */
export async function readSdkSources(): Promise<SourceSet> {
  return readTsFiles(join(locateSdkDir(), 'assembly'), 'assembly/');
}

/**
 * Every `.ts` below the project's `extensions/<pkg>/`, keyed by its project-relative path
 * (`extensions/<pkg>/index.ts`), except the two files the build step generates.
 */
export async function readPackageSources(dir: string, pkg: string): Promise<SourceSet> {
  const prefix = `extensions/${pkg}/`;
  const files = await readTsFiles(join(dir, 'extensions', pkg), prefix);
  const own = new Map<string, string>();
  for (const [path, text] of files) {
    if (path === prefix + ENTRY_FILE || path === prefix + GENERATED_FILE) continue;
    own.set(path, text);
  }
  return own;
}

async function readTsFiles(root: string, prefix: string): Promise<SourceSet> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    // Dependencies are not part of the sources: AssemblyScript packages from npm are not served.
    .filter((path) => !path.split(sep).includes('node_modules'))
    .map((path) => prefix + path.split(sep).join('/'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const files = new Map<string, string>();
  for (const path of paths) files.set(path, await readFile(join(root, path.slice(prefix.length)), 'utf8'));
  return files;
}
