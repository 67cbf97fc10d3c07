export { buildBundle, packBundle } from './build-bundle.js';
export type { BuildBundleOptions, BuiltBundle, BundleContents } from './build-bundle.js';
export { toCanonicalJson } from './canonical-json.js';
export { BUNDLE_FORMAT, moduleEntryName } from './format.js';
export type { BundleManifest, BundleModuleInfo } from './format.js';
export {
  DEFAULT_MAX_BUNDLE_BYTES,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_UNCOMPRESSED_BYTES,
  openBundle,
} from './open-bundle.js';
export type { OpenBundleOptions, VerifiedBundle } from './open-bundle.js';
