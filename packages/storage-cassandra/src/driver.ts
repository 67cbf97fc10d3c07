import cassandra from 'cassandra-driver';
import type { Client } from 'cassandra-driver';
import { StorageNotFoundError, StorageUnavailableError } from '@stoa/storage';
import type { AppStorage, BatchAtomicity, StorageDriver, StorageLimits } from '@stoa/storage';
import { CassandraAppStorage } from './app-storage.js';
import { toStorageError } from './map-error.js';
import { resolveOptions, toKeyspace, type CassandraDriverOptions, type ResolvedOptions } from './options.js';

/**
 * - maxKeyBytes: Cassandra refuses partition and clustering keys over 65535 bytes (u16 length).
 * - maxValueBytes: the server's hard ceilings are 16 MiB (native request frame; mutation =
 *   half a 32 MiB commitlog segment); 1 MiB keeps a cell cheap to read, compact and page, and
 *   leaves room for a batch of several such values in one request. BLOBs are chunked above us.
 * - maxBatchItems: 100, the API's CUD batch size; batches are not a bulk-load tool in Cassandra.
 */
export const CASSANDRA_LIMITS = {
  maxValueBytes: 1024 * 1024,
  maxKeyBytes: 65_535,
  maxBatchItems: 100,
} as const;

/** `Metadata.checkSchemaAgreement` exists since driver 4.3 but is missing from its typings. */
interface SchemaAgreementCheck {
  checkSchemaAgreement(): Promise<boolean>;
}

/** DDL waits longer than data requests: schema changes are slow on a busy node. */
const DDL_TIMEOUT_MS = 120_000;

/**
 * Connects to Cassandra/ScyllaDB and returns the storage driver (one keyspace per app). Rejects
 * with StorageUnavailableError when no contact point answers.
 */
export async function createCassandraDriver(options: CassandraDriverOptions): Promise<StorageDriver> {
  const resolved = resolveOptions(options);
  const extra = resolved.clientOptions;
  const client = new cassandra.Client({
    ...extra,
    contactPoints: resolved.contactPoints,
    localDataCenter: resolved.localDataCenter,
    queryOptions: {
      ...extra.queryOptions,
      consistency: resolved.consistency,
      serialConsistency: resolved.serialConsistency,
      prepare: true,
    },
    socketOptions: {
      ...extra.socketOptions,
      connectTimeout: resolved.connectTimeoutMs,
      readTimeout: resolved.readTimeoutMs,
    },
    protocolOptions: {
      ...extra.protocolOptions,
      maxSchemaAgreementWaitSeconds: resolved.schemaAgreementTimeoutSeconds,
    },
    encoding: { ...extra.encoding, copyBuffer: true },
  });
  try {
    await client.connect();
  } catch (error) {
    await client.shutdown().catch(() => undefined);
    throw toStorageError(error, 'schema');
  }
  return new CassandraDriver(client, resolved);
}

class CassandraDriver implements StorageDriver {
  readonly name = 'cassandra';
  readonly limits: StorageLimits;
  private closed = false;

  constructor(
    private readonly client: Client,
    private readonly options: ResolvedOptions,
  ) {
    const batchAtomicity: BatchAtomicity = options.batchMode === 'logged' ? 'all' : 'per-partition';
    this.limits = Object.freeze({ ...CASSANDRA_LIMITS, batchAtomicity });
  }

  async createApp(safeName: string): Promise<void> {
    const keyspace = toKeyspace(this.options.keyspacePrefix, safeName);
    this.assertOpen();
    if (await this.tableExists(keyspace)) return;
    await this.ddl(
      `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ${this.options.replicationCql} AND durable_writes = true`,
    );
    await this.ddl(
      `CREATE TABLE IF NOT EXISTS ${keyspace}.values (p blob, c blob, value blob, PRIMARY KEY ((p), c)) ` +
        `WITH CLUSTERING ORDER BY (c ASC)`,
    );
    await this.awaitSchemaAgreement();
  }

  async openApp(safeName: string): Promise<AppStorage> {
    const keyspace = toKeyspace(this.options.keyspacePrefix, safeName);
    this.assertOpen();
    if (!(await this.tableExists(keyspace))) throw new StorageNotFoundError(safeName);
    return new CassandraAppStorage(this.client, this.limits, this.options, keyspace, safeName);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.shutdown();
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageUnavailableError('cassandra', 'driver is closed');
  }

  /** system_schema is node-local; createApp waits for schema agreement, so any node answers alike. */
  private async tableExists(keyspace: string): Promise<boolean> {
    try {
      const result = await this.client.execute(
        'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
        [keyspace, 'values'],
        { prepare: true, consistency: cassandra.types.consistencies.localOne, isIdempotent: true },
      );
      return result.rowLength > 0;
    } catch (error) {
      throw toStorageError(error, 'read');
    }
  }

  private async ddl(cql: string): Promise<void> {
    try {
      const result = await this.client.execute(cql, [], { readTimeout: DDL_TIMEOUT_MS, isIdempotent: true });
      // Present at runtime, missing from the 4.10 typings.
      const { isSchemaInAgreement } = result.info as { isSchemaInAgreement?: boolean };
      if (isSchemaInAgreement === false) await this.awaitSchemaAgreement();
    } catch (error) {
      throw toStorageError(error, 'schema');
    }
  }

  /** The driver waits `maxSchemaAgreementWaitSeconds` after DDL; this re-checks until agreed or out of time. */
  private async awaitSchemaAgreement(): Promise<void> {
    const deadline = Date.now() + this.options.schemaAgreementTimeoutSeconds * 1000;
    for (;;) {
      let agreed: boolean;
      try {
        agreed = await (this.client.metadata as unknown as SchemaAgreementCheck).checkSchemaAgreement();
      } catch (error) {
        throw toStorageError(error, 'schema');
      }
      if (agreed) return;
      if (Date.now() > deadline) {
        throw new StorageUnavailableError(
          'cassandra',
          `schema agreement not reached within ${this.options.schemaAgreementTimeoutSeconds} s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
