// binaryen.js is 15 MB of JavaScript (about 1.3 s to import, more under load), needed only to
// instrument a module the prepared-module cache does not hold yet. Nothing on the engine's start
// path imports it statically; the first instrumentation imports it once per process.
import { createRequire } from 'node:module';
import type binaryen from 'binaryen';

/** The binaryen.js API object (`import binaryen from 'binaryen'`). */
export type Binaryen = typeof binaryen;

const require = createRequire(import.meta.url);

/** binaryen's package version: part of the prepared-module cache key (its output may change with it). */
export const BINARYEN_VERSION: string = (require('binaryen/package.json') as { version: string }).version;

let loading: Promise<Binaryen> | undefined;

/** Imports binaryen once per process; later calls share the same promise. */
export function loadBinaryen(): Promise<Binaryen> {
  loading ??= import('binaryen').then(
    (m) => m.default,
    (error: unknown) => {
      loading = undefined; // let a later call retry
      throw error;
    },
  );
  return loading;
}

/** Imports binaryen now (errors surface later, at the first instrumentation that needs it). */
export function preloadWasmInstrumentation(): Promise<void> {
  return loadBinaryen().then(
    () => undefined,
    () => undefined,
  );
}
