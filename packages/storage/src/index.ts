export type * from './contract.js';
export * from './errors.js';
export * from './bytes.js';
export * from './validate.js';
export {
  createStorageProvider,
  deriveSafeName,
  parseAppName,
  appNameSchema,
  META_SAFE_NAME,
  type AppRecord,
  type StorageProviderOptions,
} from './provider.js';
export { createMemDriver, MEM_LIMITS, type MemDriverOptions } from './mem/index.js';
