/**
 * The event-loop watchdog: the backstop behind fuel metering (docs/ARCHITECTURE.md §5, "Executor
 * isolation"). WASM guests run on the main thread, bounded by fuel; should anything still hold the
 * event loop (a gap in the instrumentation, a runaway host loop), no request of any partition is
 * served. A worker thread watches a heartbeat the main thread bumps every `intervalMs`; when it has
 * not moved for `stallMs`, the worker writes one line to stderr and SIGKILLs the process. The engine
 * is crash-safe (every acknowledged write is durable; restart replays the log), so a supervisor
 * restart costs seconds and loses nothing, where a hung node would cost the whole node until a human
 * noticed.
 */
import { Worker } from 'node:worker_threads';

export interface WatchdogOptions {
  /** How long the event loop may be blocked before the process is killed. */
  readonly stallMs: number;
  /** Heartbeat period (default 100 ms). */
  readonly intervalMs?: number;
}

export interface Watchdog {
  stop(): Promise<void>;
}

// Runs in the worker: a plain-JavaScript ES module from a data: URL, so no build step is involved
// and it loads the same under tsx, Vitest and built JavaScript.
const WORKER_SOURCE = `
import { writeSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
const beats = new Int32Array(workerData.buffer);
let last = Atomics.load(beats, 0);
let lastChange = Date.now();
setInterval(() => {
  const now = Date.now();
  const current = Atomics.load(beats, 0);
  if (current !== last) { last = current; lastChange = now; return; }
  if (now - lastChange >= workerData.stallMs) {
    // A worker's process.stderr is relayed by the (blocked) main thread: write to fd 2 directly.
    writeSync(2, JSON.stringify({ level: 60, time: now, msg: 'event loop blocked: watchdog kills the process', blockedMs: now - lastChange }) + '\\n');
    process.kill(process.pid, 'SIGKILL');
  }
}, workerData.intervalMs);
`;

export function startWatchdog(options: WatchdogOptions): Watchdog {
  const intervalMs = options.intervalMs ?? 100;
  const buffer = new SharedArrayBuffer(4);
  const beats = new Int32Array(buffer);
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`), {
    workerData: { buffer, stallMs: options.stallMs, intervalMs },
  });
  // Neither the worker nor the heartbeat may keep a finished process alive.
  worker.unref();
  const timer = setInterval(() => Atomics.add(beats, 0, 1), intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await worker.terminate();
    },
  };
}
