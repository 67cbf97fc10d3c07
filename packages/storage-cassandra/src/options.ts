import cassandra from 'cassandra-driver';
import type { ClientOptions } from 'cassandra-driver';
import { createHash } from 'node:crypto';
import { StorageArgumentError, checkSafeName } from '@stoa/storage';

/** Consistency levels accepted for plain reads and writes (and the commit phase of LWTs). */
export type CassandraConsistency =
  'any' | 'one' | 'two' | 'three' | 'quorum' | 'all' | 'local_quorum' | 'each_quorum' | 'local_one';

/** Consistency of the Paxos phase of lightweight transactions. */
export type CassandraSerialConsistency = 'serial' | 'local_serial';

/**
 * How `putBatch` writes items of different partitions:
 * - `per-partition` (default): one single-partition batch per partition key, sent concurrently.
 *   Each partition's items apply atomically and in isolation; no size cap across partitions.
 * - `logged`: one LOGGED batch. Cassandra's batchlog makes it eventually all-or-nothing across
 *   partitions (not isolated: readers may see part of it), costs an extra batchlog write, and the
 *   server refuses multi-partition batches over `batch_size_fail_threshold` (50 KiB by default).
 */
export type CassandraBatchMode = 'per-partition' | 'logged';

export interface CassandraDriverOptions {
  /** `host` or `host:port`, e.g. `['127.0.0.1:9042']`. */
  readonly contactPoints: readonly string[];
  /** Data center the driver prefers (SimpleSnitch names its only one `datacenter1`). */
  readonly localDataCenter?: string;
  /** Keyspace = prefix + app safe name; the whole name must be at most 48 characters. */
  readonly keyspacePrefix?: string;
  /** Replication map of every keyspace this driver creates, e.g. `{ class: 'NetworkTopologyStrategy', dc1: 3 }`. */
  readonly replication?: Readonly<Record<string, string | number>>;
  readonly consistency?: CassandraConsistency;
  readonly serialConsistency?: CassandraSerialConsistency;
  readonly batchMode?: CassandraBatchMode;
  /**
   * Multi-partition LOGGED batches above this many bytes (keys + values) are refused before being
   * sent; keep it below the server's `batch_size_fail_threshold` (default 50 KiB), whose own size
   * estimate includes per-cell overhead. Only used with `batchMode: 'logged'`.
   */
  readonly loggedBatchMaxBytes?: number;
  /** Rows asked for per page when reading a range (adapted down for large rows). */
  readonly pageSize?: number;
  readonly connectTimeoutMs?: number;
  /** Client-side per-request timeout; keep it above the server's write/CAS timeouts. */
  readonly readTimeoutMs?: number;
  /** Seconds to wait for schema agreement after DDL. */
  readonly schemaAgreementTimeoutSeconds?: number;
  /** Extra cassandra-driver options (credentials, sslOptions, requestTracker, policies, …); ours win on conflict. */
  readonly clientOptions?: Partial<ClientOptions>;
}

export interface ResolvedOptions {
  readonly contactPoints: string[];
  readonly localDataCenter: string;
  readonly keyspacePrefix: string;
  readonly replicationCql: string;
  readonly consistency: number;
  readonly serialConsistency: number;
  readonly batchMode: CassandraBatchMode;
  readonly loggedBatchMaxBytes: number;
  readonly pageSize: number;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly schemaAgreementTimeoutSeconds: number;
  readonly clientOptions: Partial<ClientOptions>;
}

const { consistencies } = cassandra.types;

const CONSISTENCY: Record<CassandraConsistency, number> = {
  any: consistencies.any,
  one: consistencies.one,
  two: consistencies.two,
  three: consistencies.three,
  quorum: consistencies.quorum,
  all: consistencies.all,
  local_quorum: consistencies.localQuorum,
  each_quorum: consistencies.eachQuorum,
  local_one: consistencies.localOne,
};

const SERIAL_CONSISTENCY: Record<CassandraSerialConsistency, number> = {
  serial: consistencies.serial,
  local_serial: consistencies.localSerial,
};

/** Cassandra's limit on keyspace names (SchemaConstants.NAME_LENGTH). */
export const MAX_KEYSPACE_NAME = 48;

export function resolveOptions(options: CassandraDriverOptions): ResolvedOptions {
  const contactPoints: unknown = options.contactPoints;
  if (
    !Array.isArray(contactPoints) ||
    contactPoints.length === 0 ||
    !contactPoints.every((point): point is string => typeof point === 'string' && point !== '')
  ) {
    throw new StorageArgumentError('cassandra: contactPoints must list at least one host');
  }
  const keyspacePrefix = options.keyspacePrefix ?? 'stoa_';
  if (!/^[a-z][a-z0-9_]*$/.test(keyspacePrefix) || keyspacePrefix.length > 20) {
    throw new StorageArgumentError(
      `cassandra: keyspacePrefix must match [a-z][a-z0-9_]* (at most 20 characters), got ${keyspacePrefix}`,
    );
  }
  const consistency = CONSISTENCY[options.consistency ?? 'quorum'];
  const serialConsistency = SERIAL_CONSISTENCY[options.serialConsistency ?? 'serial'];
  if (consistency === undefined)
    throw new StorageArgumentError(`cassandra: unknown consistency ${options.consistency}`);
  if (serialConsistency === undefined) {
    throw new StorageArgumentError(`cassandra: unknown serialConsistency ${options.serialConsistency}`);
  }
  const batchMode = options.batchMode ?? 'per-partition';
  if (batchMode !== 'per-partition' && batchMode !== 'logged') {
    throw new StorageArgumentError(`cassandra: unknown batchMode ${String(batchMode)}`);
  }
  return {
    contactPoints: [...contactPoints],
    localDataCenter: options.localDataCenter ?? 'datacenter1',
    keyspacePrefix,
    replicationCql: toReplicationCql(options.replication ?? { class: 'SimpleStrategy', replication_factor: 1 }),
    consistency,
    serialConsistency,
    batchMode,
    loggedBatchMaxBytes: positive(options.loggedBatchMaxBytes, 40 * 1024, 'loggedBatchMaxBytes'),
    pageSize: positive(options.pageSize, 1000, 'pageSize'),
    connectTimeoutMs: positive(options.connectTimeoutMs, 5000, 'connectTimeoutMs'),
    readTimeoutMs: positive(options.readTimeoutMs, 20_000, 'readTimeoutMs'),
    schemaAgreementTimeoutSeconds: positive(options.schemaAgreementTimeoutSeconds, 30, 'schemaAgreementTimeoutSeconds'),
    clientOptions: options.clientOptions ?? {},
  };
}

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new StorageArgumentError(`cassandra: ${what} must be a positive integer`);
  }
  return value;
}

/** `{ class: 'SimpleStrategy', replication_factor: 1 }` → `{'class': 'SimpleStrategy', 'replication_factor': '1'}`. */
export function toReplicationCql(replication: Readonly<Record<string, string | number>>): string {
  const entries = Object.entries(replication);
  if (!entries.some(([key]) => key === 'class')) {
    throw new StorageArgumentError("cassandra: replication needs a 'class'");
  }
  const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;
  return `{${entries.map(([key, value]) => `${quote(key)}: ${quote(String(value))}`).join(', ')}}`;
}

/**
 * Keyspace of an app: prefix + safe name. Safe names may be up to 48 characters, Cassandra
 * keyspace names too, so a name that does not fit with the prefix is shortened and suffixed with
 * 8 hex digits of its sha256 — deterministic, so the same app always maps to the same keyspace.
 */
export function toKeyspace(prefix: string, safeName: string): string {
  checkSafeName(safeName);
  const keyspace = `${prefix}${safeName}`;
  if (keyspace.length <= MAX_KEYSPACE_NAME) return keyspace;
  const hash = createHash('sha256').update(safeName).digest('hex').slice(0, 8);
  const head = safeName.slice(0, MAX_KEYSPACE_NAME - prefix.length - hash.length - 1).replace(/_+$/, '');
  return `${prefix}${head}_${hash}`;
}
