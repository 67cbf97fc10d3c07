/**
 * Vitest global setup of `storage-cassandra:int`: makes sure a real Cassandra answers on
 * 127.0.0.1:9042 (reusing one already running, e.g. started in the background by `npm test`).
 * If none can be started, the tests are skipped with the reason — never failed, never passed.
 */
import type { TestProject } from 'vitest/node';
import { loadCassandraStarter, TEST_DATA_DIR, type CassandraServer } from './cassandra-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    cassandraContactPoint?: string;
    cassandraSkip?: string;
  }
}

/** 9042 is where `npm test` starts Cassandra in the background; override to test against another server. */
const PORT = Number(process.env.STOA_TEST_CASSANDRA_PORT ?? 9042);

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let server: CassandraServer | undefined;
  try {
    const { ensureCassandra } = await loadCassandraStarter();
    server = await ensureCassandra({
      port: PORT,
      dataDir: TEST_DATA_DIR,
      timeoutMs: 180_000,
      log: (message) => console.log(`[storage-cassandra] ${message}`),
    });
    project.provide('cassandraContactPoint', `${server.host}:${server.port}`);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
    console.warn(`[storage-cassandra] Cassandra unavailable, skipping: ${reason}`);
    project.provide('cassandraSkip', `Cassandra could not start: ${reason}`);
  }
  // A reused server belongs to whoever started it; its stop() is a no-op.
  return async () => {
    await server?.stop();
  };
}
