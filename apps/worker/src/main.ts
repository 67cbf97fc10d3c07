/**
 * The deploy worker's entry point and composition root: `tsx src/main.ts` (or
 * `node --import tsx src/main.ts`). Environment (env.ts, exit code 2 when invalid) → pino logger
 * (JSON lines on stdout) → startWorker (Postgres migrated, engine nodes seeded, BullMQ workers,
 * reconciler) → graceful shutdown: on SIGTERM/SIGINT the workers stop taking jobs and the running
 * ones get STOA_SHUTDOWN_TIMEOUT_MS to finish; a second signal exits at once.
 */
import { hostname } from 'node:os';
import { isAppError } from '@stoa/errors';
import { pino, type Logger } from 'pino';
import { loadEnv, type WorkerEnv } from './env.js';
import { startWorker, type RunningWorker } from './start-worker.js';

function createLogger(env: WorkerEnv): Logger {
  return pino({
    level: env.logLevel,
    base: { service: 'stoa-worker', node: hostname(), pid: process.pid },
    // Keys are never logged on purpose; these paths stay hidden if an object carrying one is.
    redact: { paths: ['adminKey', '*.adminKey', 'privateJwk', '*.privateJwk'], censor: '[redacted]' },
  });
}

async function main(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger(env);
  let worker: RunningWorker | undefined;
  let stopping = false;

  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, timeoutMs: env.shutdownTimeoutMs }, 'shutting down: waiting for running jobs');
    // Without a worker yet (still migrating), there is nothing to wait for.
    const closed = worker === undefined ? Promise.resolve({ clean: true }) : worker.close(env.shutdownTimeoutMs);
    void closed.then(
      ({ clean }) => {
        logger.info({ clean }, 'stopped');
        logger.flush();
        process.exit(clean ? 0 : 1);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    worker = await startWorker({ env, logger });
  } catch (error) {
    logger.fatal({ err: error }, 'worker failed to start');
    process.stderr.write(
      `stoa worker: failed to start: ${isAppError(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    logger.flush();
    process.exit(1);
  }
}

await main();
