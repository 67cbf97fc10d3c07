/**
 * Cassandra backend for the storage benchmark: reuses a Cassandra already answering CQL on
 * 127.0.0.1:9042 (e.g. the test server) or starts a real one from Maven Central jars with
 * scripts/cassandra/start.mjs (data in .stoa/bench-cassandra), and stops only what it started.
 * Set STOA_BENCH_CASSANDRA_CONTACT_POINTS (comma-separated host:port) to benchmark an existing
 * cluster instead; STOA_BENCH_CASSANDRA_LOCAL_DC names its data center (default datacenter1).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StorageDriver } from '@stoa/storage';
import { createCassandraDriver } from '@stoa/storage-cassandra';

interface StartedServer {
  readonly reused: boolean;
  readonly host: string;
  readonly port: number;
  readonly pid?: number;
  readonly startMs?: number;
  stop(): Promise<void>;
}

interface StartModule {
  readonly ensureCassandra: (options: {
    port?: number;
    dataDir?: string;
    timeoutMs?: number;
    log?: (message: string) => void;
  }) => Promise<StartedServer>;
  readonly rssMiB: (pid: number) => number | null;
}

const ROOT = join(import.meta.dirname, '..', '..', '..');
const KEYSPACE_PREFIX = 'stoa_bench_';

export async function open(): Promise<{ driver: StorageDriver; stop(): Promise<void> } | { skip: string }> {
  const external = process.env.STOA_BENCH_CASSANDRA_CONTACT_POINTS;
  if (external) {
    const driver = await createCassandraDriver({
      contactPoints: external.split(',').map((point) => point.trim()),
      localDataCenter: process.env.STOA_BENCH_CASSANDRA_LOCAL_DC ?? 'datacenter1',
      keyspacePrefix: KEYSPACE_PREFIX,
    });
    return { driver, stop: () => driver.close() };
  }
  let server: StartedServer;
  try {
    const url = pathToFileURL(join(ROOT, 'scripts', 'cassandra', 'start.mjs')).href;
    const { ensureCassandra, rssMiB } = (await import(url)) as StartModule;
    server = await ensureCassandra({
      port: 9042,
      dataDir: join(ROOT, '.stoa', 'bench-cassandra'),
      timeoutMs: 180_000,
      log: (message) => console.error(`[bench cassandra] ${message}`),
    });
    if (!server.reused && server.pid !== undefined) {
      console.error(`[bench cassandra] started in ${server.startMs} ms, RSS ${rssMiB(server.pid)} MiB`);
    }
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    return { skip: `Cassandra did not start: ${reason}` };
  }
  let driver: StorageDriver;
  try {
    driver = await createCassandraDriver({
      contactPoints: [`${server.host}:${server.port}`],
      keyspacePrefix: KEYSPACE_PREFIX,
    });
  } catch (error) {
    await server.stop();
    return { skip: `Cassandra unreachable: ${error instanceof Error ? error.message : String(error)}` };
  }
  return {
    driver,
    async stop() {
      try {
        await driver.close();
      } finally {
        await server.stop();
      }
    },
  };
}
