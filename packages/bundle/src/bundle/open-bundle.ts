// Opens an untrusted bundle (an upload, a download from storage) and verifies everything the
// engine relies on. Nothing in the bundle is believed: sizes are capped before unzipping, every
// entry is hashed against the manifest, and the AppDef is recompiled from the bundled sources
// (appdef.json only has to agree with it).
import { AppError } from '@stoa/errors';
import type { AppDef } from '@stoa/vsql';
import { listWasmPackages } from '../extensions/build.js';
import { refuseAppBuiltins } from '../project/builtins.js';
import { compileSources, type ProjectSource } from '../project/compile-sources.js';
import { parseJsonWith } from '../project/manifest.js';
import { comparePaths, explainBadSourcePath, SCHEMA_DIR } from '../project/source-path.js';
import { sha256Hex } from './build-bundle.js';
import { toCanonicalJson } from './canonical-json.js';
import {
  APPDEF_ENTRY,
  bundleManifestSchema,
  EXTENSIONS_DIR,
  MANIFEST_ENTRY,
  moduleEntryName,
  PACKAGE_NAME_PATTERN,
  WASM_SUFFIX,
  type BundleManifest,
} from './format.js';
import { readZip } from './zip-read.js';

export const DEFAULT_MAX_BUNDLE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 128 * 1024 * 1024;
export const DEFAULT_MAX_ENTRIES = 1000;

export interface OpenBundleOptions {
  /** The id the caller expects (e.g. from the upload's URL): a different sha256 is a CONFLICT. */
  readonly expectedId?: string;
  /** Cap on the zip itself (default 32 MiB). */
  readonly maxBytes?: number;
  /** Cap on all entries unpacked, checked on the declared sizes before inflating (default 128 MiB). */
  readonly maxUncompressedBytes?: number;
  /** Cap on the number of entries (default 1000). */
  readonly maxEntries?: number;
}

export interface VerifiedBundle {
  /** sha256 (hex) of the bundle's bytes. */
  id: string;
  manifest: BundleManifest;
  /** Recompiled from `sources` (equal to the bundle's appdef.json). */
  appdef: AppDef;
  /** The schema files, sorted by path. */
  sources: ProjectSource[];
  /** Package local name → WASM module. */
  modules: Record<string, Uint8Array>;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * Verifies and opens a bundle. Every failure is a 4xx AppError naming what is wrong:
 * PAYLOAD_TOO_LARGE (a size or entry-count cap), CONFLICT (id ≠ `expectedId`), BAD_REQUEST (not a
 * zip, an unsafe/unexpected/missing/duplicate entry, an entry whose sha256 or size differs from the
 * manifest, invalid UTF-8) and VALIDATION_FAILED (manifest.json fields, VSQL errors, appdef.json
 * not what the sources compile to, name/partitions mismatch, app BUILTIN extensions, modules not
 * matching the packages with WASM extensions).
 */
export function openBundle(bytes: Uint8Array, options: OpenBundleOptions = {}): VerifiedBundle {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
  if (!(bytes instanceof Uint8Array)) throw new AppError('BAD_REQUEST', 'bundle must be bytes');
  if (bytes.length > maxBytes) {
    throw new AppError('PAYLOAD_TOO_LARGE', `bundle is ${bytes.length} bytes, more than the limit of ${maxBytes}`, {
      data: { bytes: bytes.length, limit: maxBytes },
    });
  }
  const id = sha256Hex(bytes);
  if (options.expectedId !== undefined && options.expectedId !== id) {
    throw new AppError('CONFLICT', `bundle has id ${id}, not the expected ${options.expectedId}`, {
      data: { reason: 'id-mismatch', expected: options.expectedId, actual: id },
    });
  }

  const entries = readZip(
    bytes,
    {
      maxEntries: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
      maxUncompressedBytes: options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES,
    },
    explainBadEntryName,
  );
  const label = `bundle ${id}`;
  const manifest = parseJsonWith(
    decodeUtf8(requireEntry(entries, MANIFEST_ENTRY), MANIFEST_ENTRY),
    bundleManifestSchema,
    `${label}: ${MANIFEST_ENTRY}`,
  );
  requireExactEntries(entries, manifest);

  const sources: ProjectSource[] = Object.keys(manifest.sources)
    .sort(comparePaths)
    .map((path) => {
      const data = requireEntry(entries, path);
      requireHash(path, data, manifest.sources[path]!);
      return { path, source: decodeUtf8(data, path) };
    });
  // A Map, then fromEntries: a package key like `__proto__` stays an own property.
  const moduleList = new Map<string, Uint8Array>();
  for (const [pkg, info] of Object.entries(manifest.modules)) {
    const name = moduleEntryName(pkg);
    const data = requireEntry(entries, name);
    requireHash(name, data, info.sha256);
    if (data.length !== info.bytes) {
      throw new AppError('BAD_REQUEST', `${name}: ${data.length} bytes, but the manifest says ${info.bytes}`, {
        data: { entry: name },
      });
    }
    if (!WASM_MAGIC.every((b, i) => data[i] === b)) {
      throw new AppError('BAD_REQUEST', `${name}: not a WebAssembly module (version 1)`, { data: { entry: name } });
    }
    moduleList.set(pkg, data);
  }
  const modules: Record<string, Uint8Array> = Object.fromEntries(moduleList);
  const appdefData = requireEntry(entries, APPDEF_ENTRY);
  requireHash(APPDEF_ENTRY, appdefData, manifest.appdefSha256);

  const appdef = compileSources(sources, label);
  requireSameAppDef(appdef, decodeUtf8(appdefData, APPDEF_ENTRY));
  requireManifestMatches(manifest, appdef);
  refuseAppBuiltins(appdef, label);
  requireModulePerPackage(modules, appdef);
  return { id, manifest, appdef, sources, modules };
}

/** Why a zip entry name is refused, or undefined: the first pass of `readZip` calls it. */
function explainBadEntryName(name: string): string | undefined {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'absolute paths are not allowed';
  if (name.includes('\\')) return 'backslashes are not allowed';
  if (name.split('/').includes('..')) return '.. segments are not allowed';
  if (name === MANIFEST_ENTRY || name === APPDEF_ENTRY) return undefined;
  if (name.startsWith(`${SCHEMA_DIR}/`)) return explainBadSourcePath(name);
  if (name.startsWith(`${EXTENSIONS_DIR}/`) && name.endsWith(WASM_SUFFIX)) {
    const pkg = name.slice(EXTENSIONS_DIR.length + 1, -WASM_SUFFIX.length);
    return PACKAGE_NAME_PATTERN.test(pkg) ? undefined : `${pkg} is not a package name`;
  }
  return (
    `not an expected entry (a bundle holds ${MANIFEST_ENTRY}, ${APPDEF_ENTRY}, ${SCHEMA_DIR}/**/*.vsql ` +
    `and ${EXTENSIONS_DIR}/<package>${WASM_SUFFIX})`
  );
}

function requireEntry(entries: ReadonlyMap<string, Uint8Array>, name: string): Uint8Array {
  const data = entries.get(name);
  if (data === undefined) {
    throw new AppError('BAD_REQUEST', `bundle has no ${name}`, { data: { entry: name, reason: 'missing' } });
  }
  return data;
}

/** The zip holds exactly the manifest, appdef.json and what the manifest lists. */
function requireExactEntries(entries: ReadonlyMap<string, Uint8Array>, manifest: BundleManifest): void {
  const listed = new Set([
    MANIFEST_ENTRY,
    APPDEF_ENTRY,
    ...Object.keys(manifest.sources),
    ...Object.keys(manifest.modules).map(moduleEntryName),
  ]);
  const unlisted = [...entries.keys()].filter((name) => !listed.has(name)).sort(comparePaths);
  if (unlisted.length > 0) {
    throw new AppError('BAD_REQUEST', `bundle entries not listed in ${MANIFEST_ENTRY}: ${unlisted.join(', ')}`, {
      data: { entry: unlisted[0], entries: unlisted, reason: 'unlisted' },
    });
  }
  const missing = [...listed].filter((name) => !entries.has(name)).sort(comparePaths);
  if (missing.length > 0) {
    throw new AppError('BAD_REQUEST', `bundle lacks entries listed in ${MANIFEST_ENTRY}: ${missing.join(', ')}`, {
      data: { entry: missing[0], entries: missing, reason: 'missing' },
    });
  }
}

function requireHash(name: string, data: Uint8Array, expected: string): void {
  const actual = sha256Hex(data);
  if (actual === expected) return;
  throw new AppError(
    'BAD_REQUEST',
    `bundle entry ${name} has sha256 ${actual}, but ${MANIFEST_ENTRY} lists ${expected} (the bundle is corrupt or was altered)`,
    { data: { entry: name, reason: 'hash-mismatch', expected, actual } },
  );
}

function decodeUtf8(data: Uint8Array, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(data);
  } catch {
    throw new AppError('BAD_REQUEST', `bundle entry ${name} is not valid UTF-8`, { data: { entry: name } });
  }
}

function requireSameAppDef(compiled: AppDef, appdefText: string): void {
  let bundled: unknown;
  try {
    bundled = JSON.parse(appdefText);
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', `${APPDEF_ENTRY}: not valid JSON: ${(error as Error).message}`, {
      data: { entry: APPDEF_ENTRY },
    });
  }
  if (toCanonicalJson(bundled) === toCanonicalJson(compiled)) return;
  const differing = listDifferingKeys(compiled, bundled);
  throw new AppError(
    'VALIDATION_FAILED',
    `${APPDEF_ENTRY} is not the AppDef the bundled sources compile to (it differs in: ${differing.join(', ')}); ` +
      `rebuild the bundle`,
    { data: { entry: APPDEF_ENTRY, fields: differing } },
  );
}

function listDifferingKeys(compiled: AppDef, bundled: unknown): string[] {
  if (bundled === null || typeof bundled !== 'object' || Array.isArray(bundled)) return ['(root)'];
  const a = compiled as unknown as Record<string, unknown>;
  const b = bundled as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(comparePaths);
  return keys.filter((key) => toCanonicalJson(a[key]) !== toCanonicalJson(b[key]));
}

function requireManifestMatches(manifest: BundleManifest, appdef: AppDef): void {
  if (manifest.name !== appdef.name) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${MANIFEST_ENTRY}: name "${manifest.name}" does not match the APPLICATION name "${appdef.name}" in the schema`,
      { data: { field: 'name' } },
    );
  }
}

/** One module for each package with WASM extensions, none for any other. */
function requireModulePerPackage(modules: Readonly<Record<string, Uint8Array>>, appdef: AppDef): void {
  const needed = listWasmPackages(appdef);
  const problems: string[] = [];
  for (const [pkg, qnames] of needed) {
    if (!Object.hasOwn(modules, pkg)) {
      problems.push(
        `${moduleEntryName(pkg)} is missing, but package ${pkg} declares EXTENSION ENGINE WASM extensions: ${qnames.join(', ')}`,
      );
    }
  }
  for (const pkg of Object.keys(modules).sort(comparePaths)) {
    if (!needed.has(pkg)) {
      problems.push(`${moduleEntryName(pkg)} belongs to no package with EXTENSION ENGINE WASM extensions`);
    }
  }
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', problems.join('\n'), { data: { problems } });
}
