// Builds a Node program of this repository to JavaScript — the `stoa` CLI (packages/cli/build.mjs)
// and the engine node (apps/engine/build.mjs): one ESM bundle with the @stoa/* workspace packages
// (TypeScript sources) bundled in and every npm package left as an import, so native and large
// dependencies (lmdb, assemblyscript, binaryen) load from node_modules as usual. Files the bundled
// code finds at runtime next to itself (`new URL('./x.js', import.meta.url)`, e.g. the
// AssemblyScript compiler thread) are copied next to the output.
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

/** `new URL('./asc-worker.js', import.meta.url)`: a sibling file the code loads at runtime. */
const RUNTIME_SIBLING = /new URL\(\s*['"](\.\/[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g;

/** Bare imports of npm packages stay imports; `@stoa/*` (our TypeScript sources) are bundled. */
const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@stoa/')) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/** Records the runtime siblings of every bundled source file, to copy them after the build. */
function collectRuntimeSiblings(found) {
  return {
    name: 'collect-runtime-siblings',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const text = await readFile(args.path, 'utf8');
        for (const match of text.matchAll(RUNTIME_SIBLING)) found.add(resolve(dirname(args.path), match[1]));
        return undefined;
      });
    },
  };
}

/**
 * Empties `outdir`, bundles `entryPoints` ({name: path}) into it and copies the runtime siblings.
 * `splitting` puts lazily imported code in chunks next to the entry; `shebang` makes the entry
 * executable as a command. Returns the build time and the copied file names.
 */
export async function bundleNodeProgram({
  entryPoints,
  outdir,
  splitting = false,
  shebang = false,
  sourcemap = false,
}) {
  const siblings = new Set();
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const started = performance.now();
  await build({
    entryPoints,
    outdir,
    ...(splitting ? { splitting: true, chunkNames: 'chunk-[hash]' } : {}),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap,
    legalComments: 'none',
    logLevel: 'warning',
    // Bundled CommonJS would call `require`; ESM has none, so give it one.
    banner: {
      js: [
        ...(shebang ? ['#!/usr/bin/env node'] : []),
        "import { createRequire as __stoaCreateRequire } from 'node:module';",
        'const require = __stoaCreateRequire(import.meta.url);',
      ].join('\n'),
    },
    plugins: [externalNpmPackages, collectRuntimeSiblings(siblings)],
  });

  const names = new Map();
  for (const file of siblings) {
    const name = basename(file);
    if (names.has(name) && names.get(name) !== file) {
      throw new Error(`two runtime files are both named ${name}: ${names.get(name)} and ${file}`);
    }
    names.set(name, file);
    await copyFile(file, join(outdir, name));
  }
  return { ms: Math.round(performance.now() - started), copied: [...names.keys()].sort() };
}
