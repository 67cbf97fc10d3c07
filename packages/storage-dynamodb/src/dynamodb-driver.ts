import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { AppStorage, StorageDriver } from '@stoa/storage';
import { StorageArgumentError, StorageNotFoundError, StorageUnavailableError } from '@stoa/storage';
import { DynamoDbAppStorage } from './dynamodb-app-storage.js';
import { ATTR_CK, ATTR_PK, ATTR_TTL, DYNAMODB_LIMITS, checkTablePrefix, toTableName } from './layout.js';
import { hasName, sleep, toStorageError } from './map-error.js';

export interface DynamoDbDriverOptions {
  /** A ready client (the caller keeps ownership: close() does not destroy it). */
  readonly client?: DynamoDBClient;
  /** With no client: the endpoint (e.g. dynalite's `http://127.0.0.1:8000`); omit for AWS. */
  readonly endpoint?: string;
  /** With no client: required. */
  readonly region?: string;
  /** With no client: omit to use the SDK's default provider chain (env, profile, IAM role). */
  readonly credentials?: DynamoDBClientConfig['credentials'];
  /** Table name = prefix + app safe name. Default `stoa_`. */
  readonly tablePrefix?: string;
  /** Strongly consistent gets, batch gets and queries. Default true. */
  readonly consistentReads?: boolean;
  /** TCP connect timeout per attempt. Default 3 000 ms. */
  readonly connectionTimeoutMs?: number;
  /** Socket inactivity timeout per attempt. Default 10 000 ms. */
  readonly requestTimeoutMs?: number;
  /** SDK attempts per call, retries of throttling and network errors included. Default 3. */
  readonly maxAttempts?: number;
  /** How long createApp/openApp wait for a table to become ACTIVE. Default 120 000 ms. */
  readonly tableActiveTimeoutMs?: number;
}

/**
 * The DynamoDB backend: one table per app (`<tablePrefix><safeName>`, HASH `p` + RANGE `c`, both
 * binary, on-demand billing). See dynamodb-app-storage.ts for the operations and layout.ts for the
 * item layout and limits. Never uses TransactWriteItems (dynalite lacks it; nothing needs it).
 */
export function createDynamoDbDriver(options: DynamoDbDriverOptions): StorageDriver {
  const prefix = options.tablePrefix ?? 'stoa_';
  checkTablePrefix(prefix);
  const ownsClient = options.client === undefined;
  const client = options.client ?? createClient(options);
  const consistentReads = options.consistentReads ?? true;
  const activeTimeoutMs = options.tableActiveTimeoutMs ?? 120_000;
  let closed = false;

  function ensureOpen(): void {
    if (closed) throw new StorageArgumentError('the dynamodb storage driver is closed');
  }

  async function call<T>(safeName: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toStorageError(error, safeName);
    }
  }

  /** Waits for ACTIVE; throws StorageNotFoundError if the table does not exist. */
  async function waitActive(tableName: string, safeName: string): Promise<void> {
    const deadline = Date.now() + activeTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      const out = await call(safeName, () => client.send(new DescribeTableCommand({ TableName: tableName })));
      const status = out.Table?.TableStatus;
      if (status === 'ACTIVE') return;
      if (status === 'DELETING') throw new StorageNotFoundError(safeName);
      if (Date.now() > deadline) {
        throw new StorageUnavailableError('dynamodb', `table ${tableName} is still ${status ?? 'unknown'}`);
      }
      await sleep(Math.min(1000, 25 * 2 ** attempt));
    }
  }

  /** Lets DynamoDB delete expired items in the background; reads never rely on it. */
  async function enableTtl(tableName: string, safeName: string): Promise<void> {
    try {
      const out = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      const status = out.TimeToLiveDescription?.TimeToLiveStatus;
      if (status === 'ENABLED' || status === 'ENABLING') return;
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: ATTR_TTL, Enabled: true },
        }),
      );
    } catch (error) {
      // dynalite has no UpdateTimeToLive; a concurrent createApp may have enabled it already.
      if (hasName(error, 'UnknownOperationException', 'ValidationException')) return;
      throw toStorageError(error, safeName);
    }
  }

  return {
    name: 'dynamodb',
    limits: DYNAMODB_LIMITS,

    async createApp(safeName: string): Promise<void> {
      ensureOpen();
      const tableName = toTableName(prefix, safeName);
      try {
        await client.send(
          new CreateTableCommand({
            TableName: tableName,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: [
              { AttributeName: ATTR_PK, AttributeType: 'B' },
              { AttributeName: ATTR_CK, AttributeType: 'B' },
            ],
            KeySchema: [
              { AttributeName: ATTR_PK, KeyType: 'HASH' },
              { AttributeName: ATTR_CK, KeyType: 'RANGE' },
            ],
          }),
        );
      } catch (error) {
        // The table exists already (or is being created by a concurrent call): idempotent.
        if (!hasName(error, 'ResourceInUseException')) throw toStorageError(error, safeName);
      }
      await waitActive(tableName, safeName);
      await enableTtl(tableName, safeName);
    },

    async openApp(safeName: string): Promise<AppStorage> {
      ensureOpen();
      const tableName = toTableName(prefix, safeName);
      await waitActive(tableName, safeName);
      return new DynamoDbAppStorage({ client, tableName, safeName, consistentReads });
    },

    close(): Promise<void> {
      if (!closed) {
        closed = true;
        if (ownsClient) client.destroy();
      }
      return Promise.resolve();
    },
  };
}

function createClient(options: DynamoDbDriverOptions): DynamoDBClient {
  if (options.region === undefined || options.region === '') {
    throw new StorageArgumentError('dynamodb driver needs a region (or a client)');
  }
  return new DynamoDBClient({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
    },
  });
}
