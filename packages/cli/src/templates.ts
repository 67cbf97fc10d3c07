// The project templates of `stoa init` (packages/cli/templates/<name>/) and the app rename. The
// folder is found relative to this module: `src/` and the built `dist/` are both one level below
// the package, so `../templates/` works from the sources and from dist/stoa.js alike.
import { cp, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codegen } from '@stoa/bundle/extensions';
import { readProject } from '@stoa/bundle/project';
import { listWasmPackages, type AppDef } from './wasm-packages.js';

export const TEMPLATES = ['todo', 'blank'] as const;
export type TemplateName = (typeof TEMPLATES)[number];

/** Files stored under another name because npm would drop or act on the real one when publishing. */
const RENAMED_ON_COPY: Readonly<Record<string, string>> = { _gitignore: '.gitignore' };
/** Replaced by the app name in the template's README.md. */
const APP_PLACEHOLDER = '{{app}}';

export function templatesDir(): string {
  return fileURLToPath(new URL('../templates/', import.meta.url));
}

/** Copies template `name` into the (empty or new) folder `dir`. */
export async function copyTemplate(name: TemplateName, dir: string): Promise<void> {
  const source = join(templatesDir(), name);
  await cp(source, dir, { recursive: true, errorOnExist: true, force: false });
  for (const [stored, real] of Object.entries(RENAMED_ON_COPY)) {
    await rename(join(dir, stored), join(dir, real)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}

/** The `name` of the project's stoa.json. */
export async function readAppName(dir: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(dir, 'stoa.json'), 'utf8')) as { name: string };
  return manifest.name;
}

/**
 * Renames the app of a freshly copied template from `from` to `to`: stoa.json `name`, the
 * APPLICATION statement, and — since the app's VSQL package is named after the APPLICATION —
 * `extensions/<from>/` (folder and the `'<from>.X'` QName strings in its code). generated.ts is
 * rewritten by `finishTemplate` from the new AppDef.
 */
export async function renameApp(dir: string, from: string, to: string): Promise<void> {
  const manifestPath = join(dir, 'stoa.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
  await writeFile(manifestPath, `${JSON.stringify({ ...manifest, name: to })}\n`);

  const application = new RegExp(`\\bAPPLICATION(\\s+)${from}(\\s*\\()`);
  for (const file of await listFiles(join(dir, 'schema'), '.vsql')) {
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace(application, `APPLICATION$1${to}$2`));
  }

  const oldExtensions = join(dir, 'extensions', from);
  const code = await listFiles(oldExtensions, '.ts').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  if (code.length === 0) return;
  const qnamePrefix = new RegExp(`(['"])${from}\\.`, 'g');
  for (const file of code) {
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace(qnamePrefix, `$1${to}.`));
  }
  await rename(oldExtensions, join(dir, 'extensions', to));
}

/**
 * Checks the new project compiles (readProject), writes each WASM package's generated.ts from its
 * AppDef and fills the README's app name. Returns the AppDef.
 */
export async function finishTemplate(dir: string, appName: string): Promise<AppDef> {
  const { appdef } = await readProject(dir);
  for (const pkg of listWasmPackages(appdef)) {
    await writeFile(join(dir, 'extensions', pkg, 'generated.ts'), codegen(appdef, pkg));
  }
  const readme = join(dir, 'README.md');
  const text = await readFile(readme, 'utf8').catch(() => undefined);
  if (text !== undefined) await writeFile(readme, text.replaceAll(APP_PLACEHOLDER, appName));
  return appdef;
}

async function listFiles(root: string, suffix: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
