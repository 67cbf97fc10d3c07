// For the Prisma CLI process only (prisma.config.ts calls it): Prisma 6.19.3's WASM schema engine
// arms a 10 s timer through the global setTimeout on every run and never clears it, so each
// `prisma migrate …` idled 10 s after its work was done. Unref'd, such a timer still fires if the
// process is alive for other reasons (an open query, a pool connection), it just no longer keeps
// the process alive on its own.

const PATCHED = Symbol.for('stoa.db.unrefLongTimers');

type SetTimeout = typeof globalThis.setTimeout;

/** Makes every timer of at least `minimumMs` created from now on non-blocking for process exit. */
export function unrefLongTimers(minimumMs = 5_000): void {
  const original = globalThis.setTimeout as SetTimeout & { [PATCHED]?: true };
  if (original[PATCHED] === true) return;
  const patched = ((handler: (...args: unknown[]) => void, timeout?: number, ...args: unknown[]) => {
    const timer = original(handler, timeout, ...args);
    if (typeof timeout === 'number' && timeout >= minimumMs) timer.unref();
    return timer;
  }) as unknown as SetTimeout & { [PATCHED]?: true };
  patched[PATCHED] = true;
  globalThis.setTimeout = Object.assign(patched, { __promisify__: original.__promisify__ });
}
