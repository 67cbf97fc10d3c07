// examples/todo's async projector computes from the event alone: replayed long after the commands
// (async projectors off, then a restart with them on, on LMDB), its counts equal what the events
// say — not what the current records say.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TestEngine } from './support/harness.js';
import { TODO_DIR, eventually, newIds, startTestEngine } from './support/harness.js';

const q = (value: unknown): string => encodeURIComponent(JSON.stringify(value));

describe('todo async projector catch-up after restart (lmdb)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stoa-engine-todo-'));
  let engine: TestEngine | undefined;
  afterAll(async () => {
    await engine?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts open tasks per assignee from the events, whatever the records say now', async () => {
    engine = await startTestEngine({
      storage: 'lmdb',
      apps: [TODO_DIR],
      dataDir,
      coreOptions: { asyncProjectors: false },
    });
    const subject = 'replayer';
    const todo = await engine.client('todo', subject);
    const ws = await todo.createWorkspace('todo.TodoWS', { Title: 'replay' });
    const t = `/workspaces/${ws}`;
    const [a, b] = newIds(
      await todo.post(`${t}/cuds`, {
        cuds: [
          { fields: { 'sys.ID': 1, 'sys.QName': 'todo.Task', Title: 'a', Done: false, Priority: 1, Assignee: 'ann' } },
          { fields: { 'sys.ID': 2, 'sys.QName': 'todo.Task', Title: 'b', Done: false, Priority: 1, Assignee: 'ann' } },
        ],
      }),
    );
    // Task a moves to bob and is then completed; task b is deactivated and re-activated.
    expect((await todo.patch(`${t}/docs/todo.Task/${a}`, { Assignee: 'bob' })).status).toBe(200);
    expect((await todo.post(`${t}/commands/todo.CompleteTask`, { args: { TaskID: a } })).status).toBe(200);
    expect((await todo.delete(`${t}/docs/todo.Task/${b}`)).status).toBe(200);
    expect((await todo.post(`${t}/cuds`, { cuds: [{ 'sys.ID': b, fields: { 'sys.IsActive': true } }] })).status).toBe(
      200,
    );
    const view = `${t}/views/todo.AssigneeLoad?where=${q({ Board: 0 })}`;
    expect((await todo.get(view)).json['results']).toEqual([]);
    await engine.close();
    engine = undefined;

    // Restart with async projectors: the projector replays every event against today's records.
    engine = await startTestEngine({ storage: 'lmdb', apps: [TODO_DIR], dataDir });
    const again = await engine.client('todo', subject);
    const expected = [
      { Board: 0, Assignee: 'ann', OpenTasks: 1 },
      { Board: 0, Assignee: 'bob', OpenTasks: 0 },
    ];
    const rows = await eventually(
      async () => (await again.get(view)).json['results'],
      (r) => JSON.stringify(r) === JSON.stringify(expected),
    );
    expect(rows).toEqual(expected);
    // The sync view agrees: one open task (b), one done (a).
    expect((await again.get(`${t}/queries/todo.Stats`)).json['results']).toEqual([{ Open: 1, Done: 1 }]);
  });
});
