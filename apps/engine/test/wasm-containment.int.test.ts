// Malicious WASM extensions over real HTTP (fixtures/evil): each misbehaviour ends in a 500 naming
// the extension with the reason, while a request to the other partition, sent at the same time,
// succeeds, and the next call of the misbehaving workspace is served by a fresh instance.
// Guests run on the node's main thread bounded by fuel, so the parallel request is served as soon
// as the runaway call is stopped (the figures are in bench/wasm), never lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVIL_DIR, expectError, startTestEngine, unique } from './support/harness.js';
import type { ApiClient, TestEngine } from './support/harness.js';

let engine: TestEngine;
let client: ApiClient;
/** Two workspaces in different partitions (the app has 2). */
let wsA: number;
let wsB: number;

beforeAll(async () => {
  engine = await startTestEngine({ storage: 'mem', apps: [EVIL_DIR], wasm: { maxMemoryBytes: 4 * 1024 * 1024 } });
  client = await engine.client('evil');
  const byPartition = new Map<number, number>();
  for (let i = 0; byPartition.size < 2; i++) {
    if (i > 20) throw new Error('no workspace in the second partition');
    const res = await client.post('/workspaces', {
      kind: 'evil.EvilWS',
      name: `den-${unique()}`,
      descriptor: { Title: 'd' },
    });
    expect(res.status, res.text).toBe(201);
    const wsid = res.json['wsid'] as number;
    if (!byPartition.has(wsid % 2)) byPartition.set(wsid % 2, wsid);
  }
  [wsA, wsB] = [byPartition.get(0)!, byPartition.get(1)!];
}, 120_000);

afterAll(async () => {
  await engine?.close();
});

const hello = (ws: number) => client.get(`/workspaces/${ws}/queries/evil.Hello`);

function expectHello(reply: Awaited<ReturnType<typeof hello>>): void {
  expect(reply.status, reply.text).toBe(200);
  expect(reply.json['results']).toEqual([{ Message: 'hello' }]);
}

describe('WASM containment', () => {
  it('serves a well-behaved extension', async () => {
    expectHello(await hello(wsA));
    expectHello(await hello(wsB));
  });

  it.each([
    ['Spin', /evil\.Spin: ran out of fuel/],
    ['Bomb', /evil\.Bomb: out of memory/],
    ['Recurse', /evil\.Recurse: (stack overflow|ran out of fuel)/],
    ['Flood', /evil\.Flood: .*(intents|at most)/],
    ['BadUtf8', /evil\.BadUtf8: .*UTF-8/],
    ['WildPointer', /evil\.WildPointer: .*(out of bounds|outside)/],
    ['Panic', /evil\.Panic: abort: the guest gave up/],
  ])('%s → 500 naming the extension; the other partition and the next call are fine', async (name, message) => {
    const [bad, other] = await Promise.all([client.get(`/workspaces/${wsA}/queries/evil.${name}`), hello(wsB)]);
    expectError(bad, 500, { message, qname: `evil.${name}` });
    expectHello(other);
    expectHello(await hello(wsA));
  });

  it('refuses a read the extension did not declare, naming the storage', async () => {
    const note = await client.post(`/workspaces/${wsA}/docs/evil.Note`, { Text: 'secret' });
    expect(note.status, note.text).toBe(201);
    const id = Object.values(note.json['newIDs'] as Record<string, number>)[0]!;
    const args = encodeURIComponent(JSON.stringify({ ID: id }));
    expectError(await client.get(`/workspaces/${wsA}/queries/evil.Peek?args=${args}`), 500, {
      message: /evil\.Peek may not read sys\.Record/,
      qname: 'evil.Peek',
    });
  });
});
