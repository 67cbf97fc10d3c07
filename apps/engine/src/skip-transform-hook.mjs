// Module loader hook (registered by main.ts, after tsx's, so it runs first): the large, plain
// JavaScript ES modules below are loaded as they are, skipping tsx's transform, which would take
// seconds for each start. Everything else goes on to tsx.
import { readFile } from 'node:fs/promises';

const PLAIN_ESM = ['/node_modules/binaryen/', '/node_modules/assemblyscript/'];

/** @type {import('node:module').LoadHook} */
export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('.js') && PLAIN_ESM.some((p) => url.includes(p))) {
    return { format: 'module', source: await readFile(new URL(url)), shortCircuit: true };
  }
  return nextLoad(url, context);
}
