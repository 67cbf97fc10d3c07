// Builds the engine node to JavaScript: dist/main.js, one ESM file with the @stoa/* workspace
// packages (TypeScript sources) bundled in and every npm package left as an import, so native
// and large dependencies (lmdb, binaryen, assemblyscript) load from node_modules as usual (the
// same scheme as packages/cli/build.mjs). No runtime transform and no esbuild `keepNames`: the
// engine runs the code as built. Dev mode's `extensions/builtin.ts` still needs a TypeScript
// loader (`node --import tsx dist/main.js`); deployed apps (WASM extensions) do not.
//
//   node apps/engine/build.mjs        (npm run build -w @stoa/app-engine)
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = import.meta.dirname;
const outdir = join(root, 'dist');

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

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const started = performance.now();
await build({
  entryPoints: { main: join(root, 'src/serve-main.ts') },
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  banner: {
    js: [
      "import { createRequire as __stoaCreateRequire } from 'node:module';",
      'const require = __stoaCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  plugins: [externalNpmPackages],
});
console.log(`built ${join(outdir, 'main.js')} in ${Math.round(performance.now() - started)} ms`);
