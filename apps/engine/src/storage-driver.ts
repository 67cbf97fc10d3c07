import { resolve } from 'node:path';
import type { StorageDriver } from '@stoa/storage';
import { createMemDriver } from '@stoa/storage';
import { createCassandraDriver } from '@stoa/storage-cassandra';
import { createDynamoDbDriver } from '@stoa/storage-dynamodb';
import { createLmdbDriver } from '@stoa/storage-lmdb';
import type { EngineEnv } from './env.js';

/** The backend chosen by `STOA_STORAGE`; only the composition root knows the drivers. */
export async function createStorageDriver(env: EngineEnv): Promise<StorageDriver> {
  switch (env.storage) {
    case 'lmdb':
      // One process per data dir: the driver takes a pid lock, so a second engine fails fast.
      return createLmdbDriver({ path: resolve(env.dataDir, 'lmdb') });
    case 'mem':
      return createMemDriver();
    case 'cassandra':
      return await createCassandraDriver({
        contactPoints: env.cassandra.contactPoints,
        localDataCenter: env.cassandra.localDataCenter,
      });
    case 'dynamodb':
      return createDynamoDbDriver({
        ...(env.dynamodb.endpoint === undefined ? {} : { endpoint: env.dynamodb.endpoint }),
        region: env.dynamodb.region,
      });
  }
}

/** Where the node is, for the startup log (no credentials). */
export function describeStorage(env: EngineEnv): Record<string, unknown> {
  switch (env.storage) {
    case 'lmdb':
      return { storage: 'lmdb', path: resolve(env.dataDir, 'lmdb') };
    case 'mem':
      return { storage: 'mem' };
    case 'cassandra':
      return {
        storage: 'cassandra',
        contactPoints: env.cassandra.contactPoints,
        localDataCenter: env.cassandra.localDataCenter,
      };
    case 'dynamodb':
      return { storage: 'dynamodb', endpoint: env.dynamodb.endpoint ?? 'aws', region: env.dynamodb.region };
  }
}
