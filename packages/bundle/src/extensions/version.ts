// What identifies the compiler a module was built with: part of every cache key, and recorded in
// bundle manifests so a module can be traced back to the toolchain that produced it.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The exact AssemblyScript version modules are compiled with (assemblyscript's package.json). */
export const ASSEMBLYSCRIPT_VERSION: string = (require('assemblyscript/package.json') as { version: string }).version;

/**
 * The fixed compiler flags (apps cannot add any: no asconfig.json, no transforms). Incremental GC
 * because guests allocate per call; memory imported so the host sets its cap (ABI.md §1); no
 * `--noAssert`, so `assert()` fails the call with an abort message instead of being dropped.
 * `-O2`, not `-O3`: for examples/todo the compile takes ~0.55 s instead of ~0.9 s (warm compiler,
 * 2-core box) for a module of the same size (43.2 vs 43.0 KB); that is what `stoa deploy` and
 * `stoa dev` wait for after a schema change, while guest code is dominated by host calls.
 */
export const ASC_FLAGS: readonly string[] = [
  '--runtime',
  'incremental',
  '--importMemory',
  '--optimizeLevel',
  '2',
  '--shrinkLevel',
  '0',
];

/** Bumped whenever this build step changes what it feeds the compiler (entry file, file layout). */
export const BUILD_FORMAT = 1;
