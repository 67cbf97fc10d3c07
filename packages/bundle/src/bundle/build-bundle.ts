// App project → bundle: read and compile the project, compile its extensions, zip everything
// deterministically. The bundle's id is the sha256 of its bytes, so the same project gives the same
// id on every machine and from every folder.
import { createHash } from 'node:crypto';
import type { AppDef } from '@stoa/vsql';
import { buildExtensions, type BuiltExtensionDetail } from '../extensions/build.js';
import { ASSEMBLYSCRIPT_VERSION } from '../extensions/version.js';
import { refuseAppBuiltins } from '../project/builtins.js';
import type { ProjectSource } from '../project/compile-sources.js';
import type { ProjectManifest } from '../project/manifest.js';
import { readProject } from '../project/read-project.js';
import { toCanonicalJson } from './canonical-json.js';
import {
  APPDEF_ENTRY,
  BUNDLE_ABI_VERSION,
  BUNDLE_FORMAT,
  MANIFEST_ENTRY,
  moduleEntryName,
  type BundleManifest,
} from './format.js';
import { writeZip } from './zip-write.js';

export interface BuildBundleOptions {
  /** Where compiled WASM modules are cached (default: the extensions build's, under the OS temp dir). */
  readonly cacheDir?: string;
}

export interface BuiltBundle {
  /** sha256 (hex) of `bytes`. */
  id: string;
  bytes: Uint8Array;
  manifest: BundleManifest;
  /** What the extensions build did per module (cache hits, time), for printouts. */
  extensions: BuiltExtensionDetail[];
}

/**
 * Builds the bundle of the project in `dir`. Throws what `readProject` and `buildExtensions` throw,
 * and AppError('VALIDATION_FAILED') when the schema declares app BUILTIN extensions (dev-only
 * TypeScript, never bundled).
 */
export async function buildBundle(dir: string, options: BuildBundleOptions = {}): Promise<BuiltBundle> {
  const project = await readProject(dir);
  refuseAppBuiltins(project.appdef, `the bundle of app folder ${project.dir}`);
  const built = await buildExtensions({
    dir: project.dir,
    appdef: project.appdef,
    ...(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
  });
  const { bytes, manifest } = packBundle({
    manifest: project.manifest,
    sources: project.sources,
    appdef: project.appdef,
    modules: built.modules,
  });
  return { id: sha256Hex(bytes), bytes, manifest, extensions: built.details };
}

export interface BundleContents {
  manifest: ProjectManifest;
  sources: readonly ProjectSource[];
  appdef: AppDef;
  modules: Readonly<Record<string, Uint8Array>>;
}

/** The zip of already compiled contents (no checks: `buildBundle` and tests call it). */
export function packBundle(contents: BundleContents): { bytes: Uint8Array; manifest: BundleManifest } {
  const encoder = new TextEncoder();
  const entries = new Map<string, Uint8Array>();
  const sources: Record<string, string> = {};
  for (const { path, source } of contents.sources) {
    const data = encoder.encode(source);
    entries.set(path, data);
    sources[path] = sha256Hex(data);
  }
  const modules: BundleManifest['modules'] = {};
  for (const [pkg, data] of Object.entries(contents.modules)) {
    entries.set(moduleEntryName(pkg), data);
    modules[pkg] = { sha256: sha256Hex(data), bytes: data.length };
  }
  const appdefJson = encoder.encode(`${toCanonicalJson(contents.appdef, 2)}\n`);
  entries.set(APPDEF_ENTRY, appdefJson);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    name: contents.manifest.name,
    partitions: contents.manifest.partitions,
    appdefVersion: contents.appdef.appdefVersion,
    compiler: { assemblyscript: ASSEMBLYSCRIPT_VERSION, abi: BUNDLE_ABI_VERSION },
    sources,
    modules,
    appdefSha256: sha256Hex(appdefJson),
  };
  entries.set(MANIFEST_ENTRY, encoder.encode(`${toCanonicalJson(manifest, 2)}\n`));
  return { bytes: writeZip(entries), manifest };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
