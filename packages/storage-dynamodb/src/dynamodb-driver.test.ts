import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AppStorage } from '@stoa/storage';
import { StorageArgumentError, StorageLimitError, StorageNotFoundError, StorageUnavailableError } from '@stoa/storage';
import { describe, expect, it } from 'vitest';
import { createDynamoDbDriver } from './dynamodb-driver.js';
import { DYNAMODB_LIMITS, ITEM_OVERHEAD_BYTES, MAX_ITEM_BYTES, MAX_VALUE_BYTES, encodeCk } from './layout.js';

interface SentCommand {
  name: string;
  input: Record<string, unknown>;
}

/** A stand-in client: answers each command with `respond`, records what was sent. */
function fakeClient(respond: (command: SentCommand) => unknown): { client: DynamoDBClient; sent: SentCommand[] } {
  const sent: SentCommand[] = [];
  const client = {
    send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const entry = { name: command.constructor.name, input: command.input };
      sent.push(entry);
      try {
        const out = respond(entry);
        return out instanceof Error ? Promise.reject(out) : Promise.resolve(out);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    destroy() {},
  };
  return { client: client as unknown as DynamoDBClient, sent };
}

function named(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

async function openWith(respond: (command: SentCommand) => unknown): Promise<{ app: AppStorage; sent: SentCommand[] }> {
  const { client, sent } = fakeClient((command) =>
    command.name === 'DescribeTableCommand' ? { Table: { TableStatus: 'ACTIVE' } } : respond(command),
  );
  const app = await createDynamoDbDriver({ client }).openApp('unit');
  sent.length = 0;
  return { app, sent };
}

const pk = Uint8Array.of(1);

describe('createDynamoDbDriver', () => {
  it('states its limits: 400 KiB minus 4 KiB per value, 1023-byte keys, 1000-item batches', () => {
    expect(DYNAMODB_LIMITS).toEqual({
      maxValueBytes: 400 * 1024 - 4096,
      maxKeyBytes: 1023,
      maxBatchItems: 1000,
      batchAtomicity: 'none',
    });
    expect(MAX_VALUE_BYTES).toBe(405_504);
    expect(ITEM_OVERHEAD_BYTES).toBe(2094);
    expect(MAX_VALUE_BYTES + ITEM_OVERHEAD_BYTES).toBeLessThanOrEqual(MAX_ITEM_BYTES);
  });

  it('prefixes clustering keys with 0x00, so empty keys are storable and byte order is kept', () => {
    expect(Array.from(encodeCk(new Uint8Array(0)))).toEqual([0]);
    const keys = [[], [0], [0, 0], [0, 1], [1], [255], [255, 0]].map((k) => Buffer.from(encodeCk(Uint8Array.from(k))));
    const sorted = [...keys].sort(Buffer.compare);
    expect(sorted).toEqual(keys);
  });

  it('needs a region or a client, and a valid table prefix', () => {
    expect(() => createDynamoDbDriver({})).toThrow(StorageArgumentError);
    expect(() => createDynamoDbDriver({ region: 'us-east-1', tablePrefix: 'bad prefix' })).toThrow(
      StorageArgumentError,
    );
  });

  it('refuses unsafe app names before calling DynamoDB', async () => {
    const { client, sent } = fakeClient(() => ({}));
    const driver = createDynamoDbDriver({ client });
    await expect(driver.createApp('no/slash')).rejects.toBeInstanceOf(StorageArgumentError);
    await expect(driver.openApp('')).rejects.toBeInstanceOf(StorageArgumentError);
    expect(sent).toEqual([]);
  });

  it('createApp treats ResourceInUseException as existing and waits until ACTIVE', async () => {
    const statuses = ['CREATING', 'CREATING', 'ACTIVE'];
    const { client, sent } = fakeClient(({ name }) => {
      if (name === 'CreateTableCommand') return named('ResourceInUseException');
      if (name === 'DescribeTableCommand') return { Table: { TableStatus: statuses.shift() } };
      if (name === 'DescribeTimeToLiveCommand') return { TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } };
      if (name === 'UpdateTimeToLiveCommand') return named('UnknownOperationException');
      throw new Error(`unexpected ${name}`);
    });
    await createDynamoDbDriver({ client, tablePrefix: 't_' }).createApp('app1');
    expect(sent.map((c) => c.name)).toEqual([
      'CreateTableCommand',
      'DescribeTableCommand',
      'DescribeTableCommand',
      'DescribeTableCommand',
      'DescribeTimeToLiveCommand',
      'UpdateTimeToLiveCommand',
    ]);
    expect(sent[0]!.input).toMatchObject({ TableName: 't_app1', BillingMode: 'PAY_PER_REQUEST' });
    expect(sent[5]!.input).toMatchObject({ TimeToLiveSpecification: { AttributeName: 'x', Enabled: true } });
  });

  it('openApp of a missing table throws StorageNotFoundError', async () => {
    const { client } = fakeClient(() => named('ResourceNotFoundException'));
    await expect(createDynamoDbDriver({ client }).openApp('missing')).rejects.toBeInstanceOf(StorageNotFoundError);
  });

  it('maps throttling and network failures of data calls to StorageUnavailableError', async () => {
    const failures = [
      named('ProvisionedThroughputExceededException'),
      named('ThrottlingException'),
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      named('TimeoutError'),
      Object.assign(new Error('bad gateway'), { $metadata: { httpStatusCode: 502 } }),
    ];
    for (const failure of failures) {
      const { app } = await openWith(() => failure);
      await expect(app.get(pk, pk)).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(app.insertIfNotExists(pk, pk, pk)).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(
        (async () => {
          for await (const _ of app.read(pk)) break;
        })(),
      ).rejects.toBeInstanceOf(StorageUnavailableError);
    }
  });

  it('passes other service errors through unchanged', async () => {
    const { app } = await openWith(() => named('ValidationException', 'bad'));
    await expect(app.put(pk, pk, pk)).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('a failed condition is false; a deleted table is StorageNotFoundError', async () => {
    const { app } = await openWith(() => named('ConditionalCheckFailedException'));
    expect(await app.insertIfNotExists(pk, pk, pk)).toBe(false);
    expect(await app.compareAndSwap(pk, pk, pk, pk)).toBe(false);
    expect(await app.compareAndDelete(pk, pk, pk)).toBe(false);
    const gone = await openWith(() => named('ResourceNotFoundException'));
    await expect(gone.app.get(pk, pk)).rejects.toBeInstanceOf(StorageNotFoundError);
  });

  it('conditional writes carry real condition expressions that treat expired items as absent', async () => {
    const { app, sent } = await openWith(() => ({}));
    await app.insertIfNotExists(pk, pk, pk, 10);
    await app.compareAndSwap(pk, pk, pk, pk);
    await app.compareAndDelete(pk, pk, pk);
    expect(sent.map((c) => [c.name, c.input.ConditionExpression])).toEqual([
      ['PutItemCommand', '(attribute_not_exists(#p) OR #e <= :now)'],
      ['PutItemCommand', '#v = :expected AND (attribute_not_exists(#e) OR #e > :now)'],
      ['DeleteItemCommand', '#v = :expected AND (attribute_not_exists(#e) OR #e > :now)'],
    ]);
  });

  it('refuses a value over the limit before sending anything', async () => {
    const { app, sent } = await openWith(() => ({}));
    const tooBig = new Uint8Array(MAX_VALUE_BYTES + 1);
    await expect(app.put(pk, pk, tooBig)).rejects.toBeInstanceOf(StorageLimitError);
    await expect(app.putBatch([{ pk, ck: pk, value: tooBig }])).rejects.toBeInstanceOf(StorageLimitError);
    expect(sent).toEqual([]);
  });

  it('putBatch de-duplicates keys (last wins), chunks by 25 and resends unprocessed items', async () => {
    let first = true;
    const { app, sent } = await openWith(({ input }) => {
      const requests = (input.RequestItems as Record<string, unknown[]>).stoa_unit!;
      if (first) {
        first = false;
        return { UnprocessedItems: { stoa_unit: requests.slice(0, 5) } };
      }
      return {};
    });
    const items = Array.from({ length: 30 }, (_, i) => ({ pk, ck: Uint8Array.of(i), value: Uint8Array.of(i) }));
    items.push({ pk, ck: Uint8Array.of(3), value: Uint8Array.of(99) });
    await app.putBatch(items);
    const sizes = sent.map((c) => (c.input.RequestItems as Record<string, unknown[]>).stoa_unit!.length);
    expect(sizes.sort((a, b) => a - b)).toEqual([5, 5, 25]);
    const written = sent.flatMap(
      (c) =>
        (
          c.input.RequestItems as Record<
            string,
            { PutRequest: { Item: { c: { B: Uint8Array }; v: { B: Uint8Array } } } }[]
          >
        ).stoa_unit!,
    );
    const three = written.filter((r) => Array.from(r.PutRequest.Item.c.B).join() === '0,3');
    expect(three.map((r) => Array.from(r.PutRequest.Item.v.B))).toContainEqual([99]);
    expect(three.every((r) => r.PutRequest.Item.v.B[0] === 99)).toBe(true);
  });

  it('putBatch gives up with StorageUnavailableError when nothing is ever processed', async () => {
    const { app, sent } = await openWith(({ input }) => ({
      UnprocessedItems: { stoa_unit: (input.RequestItems as Record<string, unknown[]>).stoa_unit },
    }));
    await expect(app.putBatch([{ pk, ck: pk, value: pk }])).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(sent.length).toBe(8);
  });

  it('read queries [from, to) as BETWEEN and drops the upper bound itself', async () => {
    const item = (ck: number) => ({ c: { B: encodeCk(Uint8Array.of(ck)) }, v: { B: Uint8Array.of(ck) } });
    const { app, sent } = await openWith(() => ({ Items: [item(1), item(2), item(3)] }));
    const cks: number[] = [];
    for await (const entry of app.read(pk, Uint8Array.of(1), Uint8Array.of(3))) cks.push(entry.ck[0]!);
    expect(cks).toEqual([1, 2]);
    expect(sent[0]!.input.KeyConditionExpression).toBe('#p = :p AND #c BETWEEN :from AND :to');
  });
});
