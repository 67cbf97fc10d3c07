/**
 * Vitest global setup of `app-engine:int`: the servers the Cassandra and DynamoDB smoke suites run
 * against. Cassandra: reuses the one `npm test` starts on 127.0.0.1:9042, or starts it
 * (scripts/cassandra/start.mjs, data in `<repo>/.stoa/test-cassandra`, as storage-cassandra's
 * setup does). DynamoDB: an in-memory dynalite on a free port, as storage-dynamodb's setup does.
 * A server that cannot start is provided as a skip reason: its suite is reported skipped, never
 * passed.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startDynalite, type DynaliteServer } from '@stoa/storage-dynamodb/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    engineCassandraContactPoint?: string;
    engineCassandraSkip?: string;
    engineDynamodbEndpoint?: string;
    engineDynamodbSkip?: string;
  }
}

const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');
const CASSANDRA_PORT = Number(process.env.STOA_TEST_CASSANDRA_PORT ?? 9042);

interface CassandraServer {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

interface CassandraStarter {
  readonly ensureCassandra: (options: {
    port: number;
    dataDir: string;
    timeoutMs: number;
    log: (message: string) => void;
  }) => Promise<CassandraServer>;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error';
}

async function startCassandra(project: TestProject): Promise<CassandraServer | undefined> {
  try {
    const url = pathToFileURL(join(REPO_ROOT, 'scripts', 'cassandra', 'start.mjs')).href;
    const { ensureCassandra } = (await import(url)) as CassandraStarter;
    const server = await ensureCassandra({
      port: CASSANDRA_PORT,
      dataDir: join(REPO_ROOT, '.stoa', 'test-cassandra'),
      timeoutMs: 180_000,
      log: (message) => console.log(`[app-engine] ${message}`),
    });
    project.provide('engineCassandraContactPoint', `${server.host}:${server.port}`);
    return server;
  } catch (error) {
    console.warn(`[app-engine] Cassandra unavailable, skipping its smoke suite: ${firstLine(error)}`);
    project.provide('engineCassandraSkip', `Cassandra could not start: ${firstLine(error)}`);
    return undefined;
  }
}

async function startEngineDynalite(project: TestProject): Promise<DynaliteServer | undefined> {
  // The SDK is pinned on purpose (later releases need Node 22); its notice is noise in workers.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // The engine takes DynamoDB credentials from the SDK's default chain, as a node would; dynalite
  // accepts any. Workers inherit these when they start; real credentials set by the caller win.
  process.env.AWS_ACCESS_KEY_ID ??= 'dynalite';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'dynalite';
  try {
    const server = await startDynalite();
    project.provide('engineDynamodbEndpoint', server.endpoint);
    return server;
  } catch (error) {
    project.provide('engineDynamodbSkip', `dynalite did not start: ${firstLine(error)}`);
    return undefined;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [cassandra, dynalite] = await Promise.all([startCassandra(project), startEngineDynalite(project)]);
  // A reused Cassandra belongs to whoever started it: its stop() is a no-op.
  return async () => {
    await Promise.all([cassandra?.stop(), dynalite?.stop()]);
  };
}
