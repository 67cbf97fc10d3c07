// Builds the `stoa` binary: dist/stoa.js, one ESM file with the @stoa/* workspace packages (which
// are TypeScript sources) bundled in and every npm package left as an import, so native and large
// dependencies (lmdb, assemblyscript, binaryen) load from node_modules as usual. Files the bundled
// code finds at runtime next to itself (`new URL('./x.js', import.meta.url)`, e.g. the
// AssemblyScript compiler thread) are copied next to dist/stoa.js.
//
//   node build.mjs        (npm run build -w @stoa/cli)
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = import.meta.dirname;
const outdir = join(root, 'dist');
const outfile = join(outdir, 'stoa.js');

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

const siblings = new Set();
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const started = performance.now();
await build({
  entryPoints: { stoa: join(root, 'src/main.ts') },
  outdir,
  // `stoa dev` imports the engine (lmdb, pino, prom-client, …) lazily: with splitting that code is
  // a chunk loaded only by `dev`, so the other commands start ~0.1 s sooner. Chunks sit next to
  // stoa.js, so relative runtime files (asc-worker.js, ../templates/) resolve the same from each.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  // Bundled CommonJS (none today) would call `require`; ESM has none, so give it one.
  banner: {
    js: [
      '#!/usr/bin/env node',
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
const copied = [...names.keys()].sort().join(', ') || 'none';
console.log(`built ${outfile} in ${Math.round(performance.now() - started)} ms (runtime files copied: ${copied})`);
