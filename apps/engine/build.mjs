// Builds the engine node to JavaScript: dist/main.js (scripts/bundle-node-program.mjs: the @stoa/*
// sources bundled, npm packages left as imports, runtime siblings such as the AssemblyScript
// compiler thread — folder apps' WASM extensions are compiled at load — copied next to it). No
// runtime transform and no esbuild `keepNames`: the engine runs the code as built. A dev-mode
// folder app's `extensions/builtin.ts` is imported with tsx's `tsImport` (src/serve-main.ts).
//
//   node apps/engine/build.mjs [--outdir <dir>]       (npm run build -w @stoa/app-engine)
import { join, resolve } from 'node:path';
import { bundleNodeProgram } from '../../scripts/bundle-node-program.mjs';

// --outdir: a test builds elsewhere so it never races `npm start`'s build of dist/. The folder must
// be inside the repository: the bundle's npm imports resolve from the node_modules above it.
const at = process.argv.indexOf('--outdir');
const outdir = at === -1 ? join(import.meta.dirname, 'dist') : resolve(process.argv[at + 1] ?? 'dist');
const { ms, copied } = await bundleNodeProgram({
  entryPoints: { main: join(import.meta.dirname, 'src/serve-main.ts') },
  outdir,
  sourcemap: 'linked',
});
console.log(`built ${join(outdir, 'main.js')} in ${ms} ms (runtime files copied: ${copied.join(', ') || 'none'})`);
