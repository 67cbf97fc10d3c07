import { resolve } from 'node:path';
import type { StorageDriver } from '@stoa/storage';
import { createMemDriver } from '@stoa/storage';
import type { StorageKind } from './env.js';

/** Where the node keeps its data: what `STOA_STORAGE` and its companions say (env.ts), or a test's choice. */
export interface StorageSettings {
  readonly storage: StorageKind;
  /** LMDB lives in `<dataDir>/lmdb`. */
  readonly dataDir: string;
  readonly cassandra?: {
    readonly contactPoints: readonly string[];
    readonly localDataCenter: string;
    /** Keyspace name prefix (driver default when omitted); tests use a unique one per run. */
    readonly keyspacePrefix?: string;
  };
  readonly dynamodb?: { readonly endpoint: string | undefined; readonly region: string | undefined };
}

/**
 * The backend chosen by `STOA_STORAGE`; only the composition root knows the drivers. Each driver
 * is imported when chosen: cassandra-driver and the AWS SDK cost a few hundred ms of start-up
 * that an LMDB node should not pay.
 */
export async function createStorageDriver(settings: StorageSettings): Promise<StorageDriver> {
  switch (settings.storage) {
    case 'lmdb': {
      const { createLmdbDriver } = await import('@stoa/storage-lmdb');
      // One process per data dir: the driver takes a pid lock, so a second engine fails fast.
      return createLmdbDriver({ path: resolve(settings.dataDir, 'lmdb') });
    }
    case 'mem':
      return createMemDriver();
    case 'cassandra': {
      const c = settings.cassandra;
      if (c === undefined || c.contactPoints.length === 0) throw new Error('cassandra: contact points are required');
      const { createCassandraDriver } = await import('@stoa/storage-cassandra');
      return await createCassandraDriver({
        contactPoints: c.contactPoints,
        localDataCenter: c.localDataCenter,
        ...(c.keyspacePrefix === undefined ? {} : { keyspacePrefix: c.keyspacePrefix }),
      });
    }
    case 'dynamodb': {
      const d = settings.dynamodb;
      if (d?.region === undefined) throw new Error('dynamodb: a region is required');
      const { createDynamoDbDriver } = await import('@stoa/storage-dynamodb');
      return createDynamoDbDriver({ ...(d.endpoint === undefined ? {} : { endpoint: d.endpoint }), region: d.region });
    }
  }
}

/** Where the node is, for the startup log (no credentials). */
export function describeStorage(settings: StorageSettings): Record<string, unknown> {
  switch (settings.storage) {
    case 'lmdb':
      return { storage: 'lmdb', path: resolve(settings.dataDir, 'lmdb') };
    case 'mem':
      return { storage: 'mem' };
    case 'cassandra':
      return {
        storage: 'cassandra',
        contactPoints: settings.cassandra?.contactPoints,
        localDataCenter: settings.cassandra?.localDataCenter,
      };
    case 'dynamodb':
      return {
        storage: 'dynamodb',
        endpoint: settings.dynamodb?.endpoint ?? 'aws',
        region: settings.dynamodb?.region,
      };
  }
}
