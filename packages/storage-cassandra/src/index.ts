export { createCassandraDriver, CASSANDRA_LIMITS } from './driver.js';
export { MAX_PARTITION_BATCH_BYTES } from './app-storage.js';
export { StorageOutcomeUnknownError } from './map-error.js';
export { toKeyspace } from './options.js';
export type {
  CassandraBatchMode,
  CassandraConsistency,
  CassandraDriverOptions,
  CassandraSerialConsistency,
} from './options.js';
