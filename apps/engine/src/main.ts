/**
 * The engine node's entry point: `tsx src/main.ts` (or `node --import tsx src/main.ts`).
 *
 * It first registers skip-transform-hook.mjs, then imports the composition root (serve.ts)
 * dynamically: tsx would otherwise push the 15 MB JavaScript of binaryen (the WASM host's
 * instrumentation) through its transform on every start — about 12 s instead of 1 s — and a
 * static import would load it before any hook could be registered.
 */
import { register } from 'node:module';

register('./skip-transform-hook.mjs', import.meta.url);
const { main } = await import('./serve.js');
await main();
