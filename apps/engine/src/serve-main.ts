/**
 * The built engine node's entry point: build.mjs bundles it (with every @stoa/* package) to
 * dist/main.js, which runs as plain JavaScript — `node apps/engine/dist/main.js`, no loader hook
 * and no runtime transform (main.ts is the entry for running the sources under tsx).
 *
 * A dev-mode folder app's `extensions/builtin.ts` is imported with tsx's `tsImport`, which
 * transforms only that file and its imports, loaded on first use (as `stoa dev` does).
 */
import { pathToFileURL } from 'node:url';
import { main } from './serve.js';

await main({
  async importModule(path) {
    const { tsImport } = await import('tsx/esm/api');
    const module: unknown = await tsImport(pathToFileURL(path).href, import.meta.url);
    return module;
  },
});
