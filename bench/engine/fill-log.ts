/**
 * Builds a large PLog fast for the recovery measurement of engine.bench.ts: runs the engine core
 * in-process (no HTTP) on the LMDB data dir an engine node would use, and inserts todo tasks
 * through AppService with many commands in flight (group commit), across workspaces of every
 * partition. Every event is a real one — records, the sync projector's view, the WLog — exactly
 * what a node would have written.
 *
 * With STOA_BENCH_CHECKPOINTS=off, checkpoints are pushed out of reach, so a process killed after
 * the fill leaves a log whose every event must be replayed by the next start (the worst case).
 *
 *   STOA_BENCH_DATA_DIR=… STOA_BENCH_EVENTS=1000000 [STOA_BENCH_CHECKPOINTS=off] \
 *     node --import tsx bench/engine/fill-log.ts
 *
 * Prints `progress <events>` lines and `filled <events> <ms>`; then waits to be killed (SIGKILL:
 * nothing is closed, like a crash) or closes cleanly on SIGTERM.
 */
import { join, resolve } from 'node:path';
import {
  DEFAULT_LIMITS,
  createBuiltinHost,
  createEngineCore,
  createWasmHost,
  loadAppFromFolder,
  type CallContext,
  type EngineResources,
} from '@stoa/engine';
import { createStorageProvider } from '@stoa/storage';
import { createLmdbDriver } from '@stoa/storage-lmdb';
import { pino } from 'pino';
import { Registry } from 'prom-client';

const ROOT = join(import.meta.dirname, '../..');
const dataDir = process.env.STOA_BENCH_DATA_DIR;
const events = Number(process.env.STOA_BENCH_EVENTS ?? 100_000);
const checkpoints = process.env.STOA_BENCH_CHECKPOINTS !== 'off';
/** Commands in flight: enough to fill group-commit batches in every partition. */
const IN_FLIGHT = 512;
const WORKSPACES = 8;

if (dataDir === undefined) throw new Error('STOA_BENCH_DATA_DIR is required');

const driver = createLmdbDriver({ path: resolve(dataDir, 'lmdb') });
const storage = createStorageProvider(driver);
const logger = pino({ level: 'warn' });
const resources: EngineResources = {
  storage,
  logger,
  metrics: new Registry(),
  authenticator: { authenticate: () => Promise.reject(new Error('no tokens in the fill process')) },
  jwks: () => Promise.resolve({ keys: [] }),
  // The hosts a node has (compose-node.ts): examples/todo's extensions are WASM.
  extensionHosts: [createBuiltinHost(), createWasmHost({ logger })],
  secrets: { get: () => Promise.resolve(undefined) },
  now: Date.now,
  limits: { ...DEFAULT_LIMITS, maxPartitionQueue: IN_FLIGHT * 2 },
};
const core = await createEngineCore(resources, {
  jobs: false,
  ...(checkpoints ? {} : { checkpointEveryEvents: Number.MAX_SAFE_INTEGER, checkpointIntervalMs: 2 ** 31 - 1 }),
});
const app = await core.loadApp(await loadAppFromFolder(join(ROOT, 'examples/todo'), { owner: 'local', dev: true }));
const ctx: CallContext = {
  requestId: 'bench-fill',
  ip: '127.0.0.1',
  // The same subject as the node's dev token, so the printed token can read these workspaces.
  principal: { kind: 'user', subject: 'dev', app: 'local/todo', profileWSID: 0, expiresAt: 2 ** 31 - 1 },
};
const wsids: number[] = [];
for (let i = 0; i < WORKSPACES; i++) {
  const { wsid } = await app.createWorkspace(ctx, {
    kind: 'todo.TodoWS',
    name: `fill-${i}`,
    descriptor: { Title: `fill ${i}` },
  });
  wsids.push(wsid);
}

const started = performance.now();
let next = 0;
let done = 0;
async function worker(): Promise<void> {
  while (next < events) {
    const n = next++;
    await app.insertDoc(ctx, wsids[n % wsids.length]!, 'todo.Task', {
      Title: `task ${n}`,
      Done: n % 3 === 0,
      Priority: (n % 5) + 1,
      ...(n % 4 === 0 ? {} : { Assignee: `user${n % 7}` }),
    });
    if (++done % 50_000 === 0) process.stdout.write(`progress ${done}\n`);
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
process.stdout.write(`filled ${done} ${Math.round(performance.now() - started)} ${wsids.join(',')}\n`);

process.once('SIGTERM', () => {
  void core
    .close()
    .then(() => storage.close())
    .then(() => process.exit(0));
});
// Keep the process (and its uncheckpointed state) alive until the parent kills it.
setInterval(() => undefined, 60_000);
