// The bundle format `stoa.bundle/1`: a zip with
//   manifest.json            BundleManifest (canonical JSON)
//   appdef.json              the AppDef compiled from the sources (canonical JSON)
//   schema/**/*.vsql         the project's VSQL sources, paths as in the project
//   extensions/<pkg>.wasm    one module per package with EXTENSION ENGINE WASM extensions
// and nothing else.
import { APPDEF_VERSION } from '@stoa/vsql';
import { z } from 'zod';
import { appNameSchema, partitionsSchema, requiredOr } from '../project/manifest.js';
import { explainBadSourcePath } from '../project/source-path.js';

export const BUNDLE_FORMAT = 'stoa.bundle/1';
export const BUNDLE_ABI_VERSION = 1;
export const MANIFEST_ENTRY = 'manifest.json';
export const APPDEF_ENTRY = 'appdef.json';
export const EXTENSIONS_DIR = 'extensions';
export const WASM_SUFFIX = '.wasm';

/** VSQL package local names (identifiers): the `<pkg>` of `extensions/<pkg>.wasm`. */
export const PACKAGE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export interface BundleModuleInfo {
  /** sha256 (hex) of the module's bytes. */
  sha256: string;
  bytes: number;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  name: string;
  partitions: number;
  appdefVersion: number;
  compiler: { assemblyscript: string; abi: typeof BUNDLE_ABI_VERSION };
  /** Schema file path → sha256 (hex) of its UTF-8 bytes. */
  sources: Record<string, string>;
  /** Package local name → its module. */
  modules: Record<string, BundleModuleInfo>;
  /** sha256 (hex) of appdef.json's bytes. */
  appdefSha256: string;
}

export function moduleEntryName(pkg: string): string {
  return `${EXTENSIONS_DIR}/${pkg}${WASM_SUFFIX}`;
}

const sha256Schema = z.string(requiredOr('must be a string')).regex(SHA256_PATTERN, 'must be a sha256: 64 hex digits');

const sourcePathSchema = z.string().superRefine((path, ctx) => {
  const problem = explainBadSourcePath(path);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `schema file name ${path}: ${problem}` });
});

// Strict objects: a field this version does not know is refused rather than silently ignored.
export const bundleManifestSchema = z.strictObject(
  {
    format: z.literal(BUNDLE_FORMAT, requiredOr(`must be "${BUNDLE_FORMAT}"`)),
    name: appNameSchema,
    partitions: partitionsSchema,
    appdefVersion: z.literal(APPDEF_VERSION, requiredOr(`must be ${APPDEF_VERSION}`)),
    compiler: z.strictObject(
      {
        assemblyscript: z.string(requiredOr('must be a string')).min(1, 'must not be empty'),
        abi: z.literal(BUNDLE_ABI_VERSION, requiredOr(`must be ${BUNDLE_ABI_VERSION}`)),
      },
      requiredOr('must be an object'),
    ),
    sources: z
      .record(sourcePathSchema, sha256Schema, requiredOr('must be an object'))
      .refine((sources) => Object.keys(sources).length > 0, 'must list at least one schema file'),
    modules: z.record(
      z.string().regex(PACKAGE_NAME_PATTERN, 'package names are identifiers'),
      z.strictObject(
        {
          sha256: sha256Schema,
          bytes: z.number(requiredOr('must be a number')).int('must be an integer').min(0, 'must not be negative'),
        },
        requiredOr('must be an object'),
      ),
      requiredOr('must be an object'),
    ),
    appdefSha256: sha256Schema,
  },
  requiredOr('must be an object'),
);
