// API v2 over real HTTP, part 2: commands, queries, views, projectors and SSE notifications, and
// the statuses they answer (400, 404, 429, 500, 503), on the in-memory backend and on LMDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBlockGate } from './fixtures/lab/extensions/builtin.js';
import type { ApiClient, Backend, Reply, TestEngine } from './support/harness.js';
import { LAB_DIR, TODO_DIR, eventually, expectError, newIds, startTestEngine } from './support/harness.js';

const BIG = '9007199254740993'; // 2^53 + 1

const q = (value: unknown): string => encodeURIComponent(JSON.stringify(value));

describe.each<Backend>(['mem', 'lmdb'])('API v2 functions over HTTP (%s)', (storage) => {
  let engine: TestEngine;
  let lab: ApiClient;
  let ws: number;
  const cmd = (name: string): string => `/workspaces/${ws}/commands/${name}`;

  beforeAll(async () => {
    engine = await startTestEngine({ storage, apps: [TODO_DIR, LAB_DIR] });
    lab = await engine.client('lab');
    ws = await lab.createWorkspace('lab.LabWS', { Title: 'functions' });
  });
  afterAll(async () => {
    await engine?.close();
  });

  describe('commands', () => {
    it('runs a command and answers its result, int64 beyond 2^53 as a decimal string', async () => {
      const res = await lab.post(cmd('lab.Echo'), { args: { N: 5, Big: BIG, Text: 'hi' } });
      expect(res.status, res.text).toBe(200);
      expect(res.json).toEqual({ currentWLogOffset: expect.any(Number) as unknown, result: { N: 5, Big: BIG } });
      expect(res.text).toContain(`"Big":"${BIG}"`);
      const small = await lab.post(cmd('lab.Echo'), { args: { N: 1, Big: '12' } });
      expect(small.json['result']).toEqual({ N: 1, Big: 12 });
      // WLog offsets grow per workspace.
      expect(small.json['currentWLogOffset'] as number).toBeGreaterThan(res.json['currentWLogOffset'] as number);
    });

    it('answers 400 naming the argument for bad args and bodies', async () => {
      expectError(await lab.post(cmd('lab.Echo'), { args: {} }), 400, { field: 'N' });
      expectError(await lab.post(cmd('lab.Echo'), { args: { N: 'one' } }), 400, { field: 'N' });
      expectError(await lab.post(cmd('lab.Echo'), { args: { N: 1, Extra: true } }), 400, { field: 'Extra' });
      expectError(await lab.post(cmd('lab.Echo'), { args: { N: 1, Text: 'x'.repeat(21) } }), 400, { field: 'Text' });
      expectError(await lab.post(cmd('lab.Echo'), { arg: { N: 1 } }), 400, { message: 'arg' });
      expectError(await lab.post(cmd('lab.Fail'), { args: { N: 1 } }), 400, { field: 'args' });
      expectError(await lab.post(cmd('lab.Echo'), { args: { N: 1 }, cuds: [] }), 400);
      expectError(await lab.post(cmd('bad-name')), 400, { field: 'command' });
    });

    it('answers 404 for an unknown command and for a 404 from the extension (response intent)', async () => {
      expectError(await lab.post(cmd('lab.Nope')), 404, { qname: 'lab.Nope' });
      expectError(await lab.post(cmd('todo.CompleteTask'), { args: { TaskID: 1 } }), 404);
      expectError(await lab.post(cmd('lab.Echo'), { args: { N: -3 } }), 404, { message: 'nothing numbered -3' });
    });

    it('takes an ODoc (with nested records) as a command argument', async () => {
      const res = await lab.post(cmd('lab.Submit'), {
        args: { 'sys.ID': 1, Total: BIG, Lines: [{ Qty: 1 }, { Qty: 2 }] },
      });
      expect(res.status, res.text).toBe(200);
      const result = res.json['result'] as { ReceiptID: number; Lines: number };
      expect(result.Lines).toBe(2);
      expect(newIds(res)).toEqual([result.ReceiptID]);
      // A bad ODoc line is a 400 naming the field.
      expectError(await lab.post(cmd('lab.Submit'), { args: { Total: 1, Lines: [{ Qty: 'x' }] } }), 400, {
        field: 'Qty',
      });
    });

    it('answers 500 naming the extension when a builtin throws, without leaking a stack', async () => {
      const res = await lab.post(cmd('lab.Fail'));
      expectError(res, 500, { message: 'extension lab.Fail failed: the lab is on fire', qname: 'lab.Fail' });
      expect(res.text).not.toMatch(/\bat \S+ \(|builtin\.ts|node:internal/);
      // The partition goes on.
      expect((await lab.post(cmd('lab.Echo'), { args: { N: 2 } })).status).toBe(200);
    });

    it('answers 429 with Retry-After beyond the VSQL rate (2 per minute per workspace)', async () => {
      const own = await lab.createWorkspace('lab.LabWS', { Title: 'rate' });
      const path = `/workspaces/${own}/commands/lab.Limited`;
      expect((await lab.post(path)).status).toBe(200);
      expect((await lab.post(path)).status).toBe(200);
      const limited = await lab.post(path);
      expectError(limited, 429, { message: 'LimitedLimit' });
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // Per workspace: another workspace still has its tokens; other commands are not limited.
      const other = await lab.createWorkspace('lab.LabWS', { Title: 'rate2' });
      expect((await lab.post(`/workspaces/${other}/commands/lab.Limited`)).status).toBe(200);
      expect((await lab.post(`/workspaces/${own}/commands/lab.Echo`, { args: { N: 1 } })).status).toBe(200);
    });
  });

  describe('queries', () => {
    const range = (args: unknown, extra = ''): Promise<Reply> =>
      lab.get(`/workspaces/${ws}/queries/lab.Range?args=${q(args)}${extra}`);

    it('answers rows, shaped by where, order, limit, skip and keys', async () => {
      const all = await range({ From: 1, Till: 5 });
      expect(all.status, all.text).toBe(200);
      expect(all.json).toEqual({
        results: [1, 2, 3, 4, 5].map((n) => ({ N: n, Odd: n % 2 === 1 })),
      });
      const shaped = await range({ From: 1, Till: 9 }, `&where=${q({ Odd: true })}&order=-N&skip=1&limit=2&keys=N`);
      expect(shaped.json['results']).toEqual([{ N: 7 }, { N: 5 }]);
    });

    it('answers 400 naming the argument, 404 for an unknown query', async () => {
      expectError(await range({ From: 1 }), 400, { field: 'args.Till' });
      expectError(await range({ From: 'a', Till: 2 }), 400, { field: 'args.From' });
      expectError(await lab.get(`/workspaces/${ws}/queries/lab.Range?args=%7B`), 400, { field: 'args' });
      expectError(await lab.get(`/workspaces/${ws}/queries/lab.Nope`), 404, { qname: 'lab.Nope' });
    });
  });

  describe('views', () => {
    let viewWs: number;
    const sales = (where: unknown, extra = ''): Promise<Reply> =>
      lab.get(`/workspaces/${viewWs}/views/lab.Sales?where=${q(where)}${extra}`);

    beforeAll(async () => {
      viewWs = await lab.createWorkspace('lab.LabWS', { Title: 'views' });
      const rows: [number, number, number, number | string][] = [
        [2024, 1, 5, 10],
        [2024, 1, 2, 20],
        [2024, 1, 9, 30],
        [2024, 1, 2, 5],
        [2024, 2, 1, 7],
        [2024, 3, 1, BIG],
        [2023, 1, 1, 1],
      ];
      const cuds = rows.map(([Year, Month, Day, Amount], i) => ({
        fields: { 'sys.ID': i + 1, 'sys.QName': 'lab.Sale', Year, Month, Day, Amount },
      }));
      const res = await lab.post(`/workspaces/${viewWs}/cuds`, { cuds });
      expect(res.status, res.text).toBe(200);
    });

    it('reads one partition in clustering order; the sync projector ran before the response', async () => {
      const res = await sales({ Year: 2024, Month: 1 });
      expect(res.status, res.text).toBe(200);
      expect(res.json['results']).toEqual([
        { Year: 2024, Month: 1, Day: 2, Amount: 25, Count: 2 },
        { Year: 2024, Month: 1, Day: 5, Amount: 10, Count: 1 },
        { Year: 2024, Month: 1, Day: 9, Amount: 30, Count: 1 },
      ]);
      // A clustering prefix narrows it; int64 beyond 2^53 comes back as a string.
      expect((await sales({ Year: 2024, Month: 1, Day: 5 })).json['results']).toEqual([
        { Year: 2024, Month: 1, Day: 5, Amount: 10, Count: 1 },
      ]);
      expect((await sales({ Year: 2024, Month: 3 })).json['results']).toEqual([
        { Year: 2024, Month: 3, Day: 1, Amount: BIG, Count: 1 },
      ]);
    });

    it('supports $in on partition key fields, order, limit, skip and keys', async () => {
      const both = await sales({ Year: 2024, Month: { $in: [1, 2] } }, '&order=-Amount&keys=Month,Day,Amount');
      expect(both.json['results']).toEqual([
        { Month: 1, Day: 9, Amount: 30 },
        { Month: 1, Day: 2, Amount: 25 },
        { Month: 1, Day: 5, Amount: 10 },
        { Month: 2, Day: 1, Amount: 7 },
      ]);
      const page = await sales({ Year: 2024, Month: 1 }, '&skip=1&limit=1&keys=Day');
      expect(page.json['results']).toEqual([{ Day: 5 }]);
      const years = await sales({ Year: { $in: [2023, 2024] }, Month: 1 }, '&order=Year,Day&keys=Year,Day');
      expect(years.json['results']).toEqual([
        { Year: 2023, Day: 1 },
        { Year: 2024, Day: 2 },
        { Year: 2024, Day: 5 },
        { Year: 2024, Day: 9 },
      ]);
      expect((await sales({ Year: 2025, Month: 1 })).json['results']).toEqual([]);
    });

    it('answers 400 naming the field when where does not fix the partition key, or is mistyped', async () => {
      expectError(await sales({ Year: 2024 }), 400, { field: 'Month', qname: 'lab.Sales' });
      expectError(await lab.get(`/workspaces/${viewWs}/views/lab.Sales`), 400, { field: 'Year' });
      expectError(await sales({ Year: 2024, Month: 'x' }), 400, { field: 'where.Month' });
      expectError(await sales({ Year: 2024, Month: 1, Nope: 1 }), 400, { message: 'Nope' });
      expectError(await sales({ Year: 2024, Month: 1 }, '&order=Nope'), 400, { message: 'Nope' });
      expectError(await lab.get(`/workspaces/${viewWs}/views/lab.Nope?where=${q({ A: 1 })}`), 404);
    });
  });

  describe('todo (the example app)', () => {
    it('runs the todo flow: insert, command, sync view, query, async projector catch-up', async () => {
      const todo = await engine.client('todo');
      const tws = await todo.createWorkspace('todo.TodoWS', { Title: 'board' });
      const t = `/workspaces/${tws}`;
      const ids = newIds(
        await todo.post(`${t}/cuds`, {
          cuds: [
            {
              fields: { 'sys.ID': 1, 'sys.QName': 'todo.Task', Title: 'a', Done: false, Priority: 1, Assignee: 'ann' },
            },
            {
              fields: { 'sys.ID': 2, 'sys.QName': 'todo.Task', Title: 'b', Done: false, Priority: 2, Assignee: 'ann' },
            },
            {
              fields: { 'sys.ID': 3, 'sys.QName': 'todo.Task', Title: 'c', Done: false, Priority: 2, Assignee: 'bob' },
            },
          ],
        }),
      );
      expect(ids).toHaveLength(3);
      expect((await todo.post(`${t}/commands/todo.CompleteTask`, { args: { TaskID: ids[0] } })).status).toBe(200);
      // Priority moves while Assignee is unchanged: the projectors key by fields the update did not touch.
      expect((await todo.patch(`${t}/docs/todo.Task/${ids[2]}`, { Priority: 1 })).status).toBe(200);
      expectError(await todo.post(`${t}/commands/todo.CompleteTask`, { args: { TaskID: 999_999_999 } }), 404, {
        message: 'task 999999999 not found',
      });

      const stats = await todo.get(`${t}/views/todo.TaskStats?where=${q({ Board: 0 })}`);
      expect(stats.json['results']).toEqual([
        { Board: 0, Priority: 1, Open: 1, Done: 1 },
        { Board: 0, Priority: 2, Open: 1, Done: 0 },
      ]);
      expect((await todo.get(`${t}/queries/todo.Stats`)).json['results']).toEqual([{ Open: 2, Done: 1 }]);
      const load = await eventually(
        async () => (await todo.get(`${t}/views/todo.AssigneeLoad?where=${q({ Board: 0 })}`)).json['results'],
        (rows) => JSON.stringify(rows).includes('"bob"') && JSON.stringify(rows).includes('"OpenTasks":1'),
      );
      expect(load).toEqual([
        { Board: 0, Assignee: 'ann', OpenTasks: 1 },
        { Board: 0, Assignee: 'bob', OpenTasks: 1 },
      ]);
    });
  });

  describe('notifications (SSE)', () => {
    it('streams the offset of every change of a subscribed view', async () => {
      const todo = await engine.client('todo');
      const tws = await todo.createWorkspace('todo.TodoWS', { Title: 'sse' });
      const abort = new AbortController();
      const res = await fetch(`${engine.baseUrl}${todo.appPath}/notifications`, {
        method: 'POST',
        headers: { authorization: `Bearer ${todo.token ?? ''}`, 'content-type': 'application/json' },
        body: JSON.stringify({ subscriptions: [{ entity: 'todo.TaskStats', wsid: tws }], expiresIn: 60 }),
        signal: abort.signal,
      });
      try {
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/event-stream');
        const events = readEvents(res);
        const first = await events.next();
        expect(first.event).toBe('channelId');
        expect(first.data).toMatch(/^[0-9a-f-]{36}$/);

        const inserted = await todo.post(`/workspaces/${tws}/docs/todo.Task`, { Title: 't', Done: false, Priority: 3 });
        expect(inserted.status).toBe(201);
        const update = await events.next();
        expect(update.event).toBe('update');
        const body = JSON.parse(update.data) as { view: string; wsid: number; offset: number };
        expect(body).toEqual({ view: 'todo.TaskStats', wsid: tws, offset: expect.any(Number) as unknown });

        await todo.patch(`/workspaces/${tws}/docs/todo.Task/${newIds(inserted)[0]}`, { Done: true });
        const next = JSON.parse((await events.next()).data) as { offset: number };
        expect(next.offset).toBeGreaterThan(body.offset);
      } finally {
        abort.abort();
      }
      // Subscribing needs SELECT on the view in that workspace.
      const stranger = await engine.client('todo');
      expectError(
        await stranger.post('/notifications', { subscriptions: [{ entity: 'todo.TaskStats', wsid: tws }] }),
        403,
      );
      expectError(
        await todo.post(
          '/notifications',
          { subscriptions: [{ entity: 'todo.TaskStats', wsid: tws }] },
          { token: null },
        ),
        401,
      );
    });
  });
});

describe('partition queue bound over HTTP (mem)', () => {
  let engine: TestEngine;
  afterAll(async () => {
    setBlockGate(undefined);
    await engine?.close();
  });

  it('answers 503 with Retry-After when a partition queue is full, and recovers', async () => {
    engine = await startTestEngine({ storage: 'mem', apps: [LAB_DIR], limits: { maxPartitionQueue: 2 } });
    const lab = await engine.client('lab');
    const ws = await lab.createWorkspace('lab.LabWS', { Title: 'queue' });
    let open!: () => void;
    setBlockGate(new Promise<void>((resolve) => (open = resolve)));
    const path = `/workspaces/${ws}/commands/lab.Block`;
    // One runs (blocked), two wait in the queue, the rest are refused.
    const inFlight = [lab.post(path), lab.post(path), lab.post(path)];
    await new Promise((r) => setTimeout(r, 100));
    const refused = await lab.post(path);
    expectError(refused, 503, { message: 'overloaded' });
    expect(refused.headers.get('retry-after')).toBe('1');
    open();
    setBlockGate(undefined);
    expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await lab.post(path)).status).toBe(200);
  });
});

interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/** Reads `event:`/`data:` frames (comments skipped) from an SSE response, one at a time. */
function readEvents(res: Response): { next(): Promise<SseEvent> } {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    async next() {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = frame.split('\n').filter((l) => !l.startsWith(':'));
          if (lines.length === 0) continue;
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
          const data = lines
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          return { event, data };
        }
        if (Date.now() > deadline) throw new Error(`no SSE event within 10 s; buffered: ${buffer}`);
        const { value, done } = (await reader.read()) as { value?: Uint8Array; done: boolean };
        if (done) throw new Error('SSE stream ended');
        buffer += decoder.decode(value, { stream: true });
      }
    },
  };
}
