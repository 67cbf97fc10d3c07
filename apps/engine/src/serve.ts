/**
 * The engine node's composition root (started by main.ts): the one place that reads the
 * environment (through env.ts).
 * It hands the settings to `composeEngine` (compose.ts: storage driver, keys, resources, core,
 * folder apps, HTTP edge — the same code the integration tests run), then adds what only a real
 * node does: the local demo banner and graceful shutdown on signals. Everything else is a library
 * that gets its collaborators injected (docs/ARCHITECTURE.md §2).
 *
 * Two entry points start it: main.ts runs the TypeScript sources under tsx (development, tests);
 * serve-main.ts is what build.mjs bundles to dist/main.js, the JavaScript a deployed node runs
 * (the Dockerfile, the engine bench). Dev mode imports an app's `extensions/builtin.ts` through
 * tsx either way (`MainOptions.importModule`).
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { createLogBuffer, ensureLocalDemo, formatLocalDemo, issuePrincipalToken } from '@stoa/engine';
import type { LocalDemo, LogSource } from '@stoa/engine';
import { isAppError } from '@stoa/errors';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { Closers, composeEngine } from './compose.js';
import { loadEnv } from './env.js';
import type { EngineEnv } from './env.js';
import { startWatchdog } from './watchdog.js';

/** A shutdown that takes longer than this is cut short (exit code 1). */
const SHUTDOWN_TIMEOUT_MS = 15_000;
/** How long the local demo waits for the loaded apps' partitions to recover. */
const READY_TIMEOUT_MS = 30_000;

/**
 * JSON lines to stdout, and the same lines into the node's in-memory log buffer that
 * `GET /admin/v1/logs` (and `stoa logs --follow`) serves.
 */
function createLogger(env: EngineEnv, buffer: ReturnType<typeof createLogBuffer>): Logger {
  return pino(
    {
      level: env.logLevel,
      base: { service: 'stoa-engine', node: hostname(), pid: process.pid },
      // Belt and braces: tokens and keys are never logged on purpose; these paths stay hidden if a
      // caller ever passes such an object to the logger.
      redact: {
        paths: [
          'token',
          '*.token',
          'authorization',
          '*.authorization',
          'req.headers.authorization',
          'privateJwk',
          '*.privateJwk',
        ],
        censor: '[redacted]',
      },
    },
    pino.multistream([
      { stream: process.stdout, level: 'trace' },
      { stream: buffer, level: 'trace' },
    ]),
  );
}

async function waitUntilReady(isReady: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!isReady()) {
    if (Date.now() > deadline) throw new Error(`partitions not ready after ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How the entry point runs the node (main.ts under tsx, serve-main.ts when built). */
export interface MainOptions {
  /**
   * Imports a dev-mode folder app's `extensions/builtin.ts` (default: `import()`, which works
   * under tsx). The built node passes tsx's `tsImport`, which transforms only that file.
   */
  readonly importModule?: (path: string) => Promise<unknown>;
}

async function run(
  env: EngineEnv,
  logger: Logger,
  logs: LogSource,
  closers: Closers,
  options: MainOptions,
): Promise<void> {
  if (env.watchdogMs > 0) {
    const watchdog = startWatchdog({ stallMs: env.watchdogMs });
    closers.add('watchdog', () => watchdog.stop());
  }
  const engine = await composeEngine(
    {
      storage: env.storage,
      dataDir: env.dataDir,
      cassandra: env.cassandra,
      dynamodb: env.dynamodb,
      apps: env.apps,
      dev: env.dev,
      wasm: env.wasm,
      logger,
      ...(options.importModule === undefined ? {} : { importModule: options.importModule }),
      admin: {
        ...(env.adminPublicKey === undefined ? {} : { publicKeys: env.adminPublicKey }),
        ...(env.secretsKey === undefined ? {} : { secretsKeyBase64: env.secretsKey }),
        logs,
      },
    },
    closers,
  );
  const { core, ring, sys, services } = engine;

  const demos: LocalDemo[] = [];
  if (env.localDemo && services.length > 0) {
    await waitUntilReady(() => core.isReady());
    for (const service of services) {
      const demo = await ensureLocalDemo(service, {
        getDemoWorkspace: (app) => sys.getDemoWorkspace(app),
        putDemoWorkspace: (app, record) => sys.putDemoWorkspace(app, record),
        issueToken: (input) => issuePrincipalToken(ring, { ...input, kind: 'user', profileWSID: 0 }),
        now: Date.now,
      });
      if (demo === undefined) continue;
      demos.push(demo);
      // The token goes to stdout only (banner below), never into the JSON log.
      logger.info({ app: demo.app, wsid: demo.wsid, kind: demo.kind, reused: demo.reused }, 'local demo workspace');
    }
  }

  const server = await engine.listen({ port: env.port, host: env.host });
  // startHttpServer shows loopback for wildcard hosts, so the printed URL is callable.
  const baseUrl = server.url;
  logger.info({ url: server.url, apps: services.map((s) => `${s.owner}/${s.name}`) }, 'engine listening');

  const banner = [
    '',
    `Stoa engine listening on ${baseUrl} (storage: ${env.storage}${env.storage === 'lmdb' ? `, data: ${resolve(env.dataDir)}` : ''})`,
    ...services.map((s) => `  app ${s.owner}/${s.name}: ${baseUrl}/api/v2/apps/${s.owner}/${s.name}/openapi.json`),
    ...demos.flatMap((demo) => ['', ...formatLocalDemo(demo, baseUrl)]),
    '',
  ];
  process.stdout.write(`${banner.join('\n')}\n`);
}

function describeStartupError(error: unknown): string {
  if (isAppError(error)) return error.message;
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}

export async function main(options: MainOptions = {}): Promise<void> {
  const env = loadEnv();
  const logBuffer = createLogBuffer();
  const logger = createLogger(env, logBuffer);
  const closers = new Closers();

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    void closers.closeAll(logger).then((clean) => {
      logger.info({ clean }, 'stopped');
      logger.flush();
      process.exit(clean ? 0 : 1);
    });
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    await run(env, logger, logBuffer, closers, options);
  } catch (error) {
    logger.fatal({ err: error }, 'engine failed to start');
    // Plain text as well: VSQL code frames are unreadable inside a JSON string.
    process.stderr.write(`stoa engine: failed to start:\n${describeStartupError(error)}\n`);
    await closers.closeAll(logger);
    logger.flush();
    process.exit(1);
  }
}
