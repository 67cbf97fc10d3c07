export { buildExtensions, DEFAULT_CACHE_DIR } from './build.js';
export type { BuildExtensionsOptions, BuiltExtensionDetail, BuiltExtensions } from './build.js';
export type { ExtensionCompileError } from './diagnostics.js';
export { ASSEMBLYSCRIPT_VERSION } from './version.js';
export { warmUpCompiler } from './asc-compile.js';
// The typed helpers the build writes to extensions/<pkg>/generated.ts, re-exported so tools that
// may import only @stoa/bundle (the CLI's `stoa codegen`) produce exactly what the build uses.
export { codegen } from '@stoa/extension-sdk/codegen';
