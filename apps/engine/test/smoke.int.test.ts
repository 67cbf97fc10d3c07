// Smoke subset of the API v2 suite on the distributed backends: Cassandra (the server the global
// setup started or reused) and DynamoDB (dynalite). Create a workspace, insert a document, run a
// command, read the sync view, run a query, list, and wait for the async projector to catch up.
// A backend whose server could not start is reported as skipped with the reason in the title.
import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StartOptions, TestEngine } from './support/harness.js';
import { TODO_DIR, eventually, expectError, newIds, startTestEngine } from './support/harness.js';

const cassandraContactPoint = inject('engineCassandraContactPoint');
const cassandraSkip =
  inject('engineCassandraSkip') ??
  (cassandraContactPoint === undefined ? 'no Cassandra contact point provided' : undefined);
const dynamodbEndpoint = inject('engineDynamodbEndpoint');
const dynamodbSkip =
  inject('engineDynamodbSkip') ?? (dynamodbEndpoint === undefined ? 'no dynalite endpoint provided' : undefined);

/** Every run gets its own keyspaces (dropped afterwards), so runs never share an app's PLog. */
const KEYSPACE_PREFIX = `ei${randomBytes(4).toString('hex')}_`;

async function dropKeyspaces(contactPoint: string, prefix: string): Promise<void> {
  const client = new cassandra.Client({ contactPoints: [contactPoint], localDataCenter: 'datacenter1' });
  try {
    await client.connect();
    const rows = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces');
    for (const row of rows.rows) {
      const name = String(row['keyspace_name']);
      if (name.startsWith(prefix)) await client.execute(`DROP KEYSPACE IF EXISTS ${name}`);
    }
  } finally {
    await client.shutdown();
  }
}

interface SmokeTarget {
  readonly name: string;
  readonly skip: string | undefined;
  readonly options: () => StartOptions;
  readonly cleanup?: () => Promise<void>;
}

const targets: SmokeTarget[] = [
  {
    name: 'cassandra',
    skip: cassandraSkip,
    options: () => ({
      storage: 'cassandra',
      apps: [TODO_DIR],
      cassandra: {
        contactPoints: [cassandraContactPoint ?? '127.0.0.1:9042'],
        localDataCenter: 'datacenter1',
        keyspacePrefix: KEYSPACE_PREFIX,
      },
    }),
    cleanup: () => dropKeyspaces(cassandraContactPoint ?? '127.0.0.1:9042', KEYSPACE_PREFIX),
  },
  {
    name: 'dynamodb (dynalite)',
    skip: dynamodbSkip,
    options: () => ({
      storage: 'dynamodb',
      apps: [TODO_DIR],
      dynamodb: { endpoint: dynamodbEndpoint, region: 'us-east-1' },
    }),
  },
];

for (const target of targets) {
  const title = `API v2 smoke over HTTP (${target.name})${target.skip === undefined ? '' : ` (skipped: ${target.skip})`}`;
  describe.skipIf(target.skip !== undefined)(title, () => {
    let engine: TestEngine;

    beforeAll(async () => {
      engine = await startTestEngine(target.options());
    }, 120_000);
    afterAll(async () => {
      await engine?.close();
      await target.cleanup?.();
    }, 60_000);

    it('creates a workspace, inserts, runs a command, reads views and queries, catches up async', async () => {
      const todo = await engine.client('todo');
      const ws = await todo.createWorkspace('todo.TodoWS', { Title: 'smoke' });
      const t = `/workspaces/${ws}`;
      const inserted = await todo.post(`${t}/docs/todo.Task`, {
        Title: 'smoke',
        Done: false,
        Priority: 2,
        Assignee: 'ann',
        Tags: [{ Name: 'a' }],
      });
      expect(inserted.status, inserted.text).toBe(201);
      const [first] = newIds(inserted);
      const batch = await todo.post(`${t}/cuds`, {
        cuds: [
          { fields: { 'sys.ID': 1, 'sys.QName': 'todo.Task', Title: 'b', Done: false, Priority: 2, Assignee: 'bob' } },
        ],
      });
      expect(batch.status, batch.text).toBe(200);

      const done = await todo.post(`${t}/commands/todo.CompleteTask`, { args: { TaskID: first } });
      expect(done.status, done.text).toBe(200);
      expectError(await todo.post(`${t}/commands/todo.CompleteTask`, { args: { TaskID: 999_999_999 } }), 404);

      const doc = await todo.get(`${t}/docs/todo.Task/${first}`);
      expect(doc.json).toMatchObject({ Title: 'smoke', Done: true, Tags: [{ Name: 'a' }] });
      const stats = await todo.get(`${t}/views/todo.TaskStats?where=${encodeURIComponent('{"Board":0}')}`);
      expect(stats.json['results']).toEqual([{ Board: 0, Priority: 2, Open: 1, Done: 1 }]);
      expect((await todo.get(`${t}/queries/todo.Stats`)).json['results']).toEqual([{ Open: 1, Done: 1 }]);
      const list = await todo.get(`${t}/cdocs/todo.Task?order=Title&keys=Title`);
      expect(list.json['results']).toEqual([{ Title: 'b' }, { Title: 'smoke' }]);

      const expected = [
        { Board: 0, Assignee: 'ann', OpenTasks: 0 },
        { Board: 0, Assignee: 'bob', OpenTasks: 1 },
      ];
      const load = await eventually(
        async () =>
          (await todo.get(`${t}/views/todo.AssigneeLoad?where=${encodeURIComponent('{"Board":0}')}`)).json['results'],
        (rows) => JSON.stringify(rows) === JSON.stringify(expected),
        30_000,
      );
      expect(load).toEqual(expected);
    });
  });
}
