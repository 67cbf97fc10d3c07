export { buildExtensions, DEFAULT_CACHE_DIR } from './build.js';
export type { BuildExtensionsOptions, BuiltExtensionDetail, BuiltExtensions } from './build.js';
export type { ExtensionCompileError } from './diagnostics.js';
export { ASSEMBLYSCRIPT_VERSION } from './version.js';
