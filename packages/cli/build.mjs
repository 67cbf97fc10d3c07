// Builds the `stoa` binary: dist/stoa.js (scripts/bundle-node-program.mjs: the @stoa/* sources
// bundled, npm packages left as imports, runtime siblings such as the AssemblyScript compiler
// thread copied next to it).
//
//   node build.mjs        (npm run build -w @stoa/cli)
import { join } from 'node:path';
import { bundleNodeProgram } from '../../scripts/bundle-node-program.mjs';

const outdir = join(import.meta.dirname, 'dist');
const { ms, copied } = await bundleNodeProgram({
  entryPoints: { stoa: join(import.meta.dirname, 'src/main.ts') },
  outdir,
  // `stoa dev` imports the engine (lmdb, pino, prom-client, …) lazily: with splitting that code is
  // a chunk loaded only by `dev`, so the other commands start ~0.1 s sooner. Chunks sit next to
  // stoa.js, so relative runtime files (asc-worker.js, ../templates/) resolve the same from each.
  splitting: true,
  shebang: true,
});
console.log(`built ${join(outdir, 'stoa.js')} in ${ms} ms (runtime files copied: ${copied.join(', ') || 'none'})`);
