export { listAppBuiltins, refuseAppBuiltins } from './builtins.js';
export { compileSources } from './compile-sources.js';
export type { ProjectSource } from './compile-sources.js';
export { APP_NAME_PATTERN, MANIFEST_FILE, MAX_PARTITIONS, parseProjectManifest } from './manifest.js';
export type { ProjectManifest } from './manifest.js';
export { readProject } from './read-project.js';
export type { AppProject } from './read-project.js';
export { SCHEMA_DIR } from './source-path.js';
