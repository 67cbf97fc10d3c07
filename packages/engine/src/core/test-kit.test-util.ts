/**
 * Test support for the engine core: a test-local copy of the todo schema declared
 * `EXTENSION ENGINE BUILTIN` with its own builtins implementing examples/todo/BEHAVIOUR.md (an
 * independent check of the app's extensions/builtin.ts), mem-storage resources, principals.
 */
import type { Principal } from '@stoa/auth';
import { createMemDriver, createStorageProvider, type StorageProvider } from '@stoa/storage';
import { compile } from '@stoa/vsql';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { AppBundle } from '../app/bundle.js';
import { createBuiltinHost } from '../extensions/builtin-host.js';
import type { BuiltinExtensions, CudView, ExtensionContext } from '../extensions/host.js';
import { DEFAULT_LIMITS, type EngineLimits, type EngineResources } from '../resources.js';
import type { CallContext } from './service.js';

export const TODO_VSQL = `APPLICATION todo();
WORKSPACE TodoWS (
    DESCRIPTOR Board (Title varchar(100) NOT NULL);
    ROLE Member;
    ROLE Viewer;
    TABLE Task INHERITS sys.CDoc (
        Title varchar(200) NOT NULL,
        Done bool NOT NULL,
        DueAt timestamp,
        Priority int32 NOT NULL,
        Assignee varchar(100),
        Code varchar(10) CHECK '^[A-Z]+$',
        Ref ref(Task),
        Tags TABLE TaskTag (Name varchar(30) NOT NULL),
        UNIQUE (Code)
    );
    TABLE Note INHERITS sys.CDoc (Text varchar(20) NOT NULL, Small int8);
    TABLE Receipt INHERITS sys.ODoc (
        TaskID ref(Task) NOT NULL,
        Amount int64 NOT NULL,
        Lines TABLE ReceiptLine (Qty int32 NOT NULL)
    );
    TYPE CompleteParams (TaskID ref(Task) NOT NULL);
    TYPE Secret (Pin varchar(10));
    TYPE StatsRow (Open int64 NOT NULL, Done int64 NOT NULL);
    VIEW TaskStats (
        Board int32 NOT NULL, Priority int32 NOT NULL, Open int64 NOT NULL, Done int64 NOT NULL,
        PRIMARY KEY ((Board), Priority)
    ) AS RESULT OF CountTasks;
    VIEW AssigneeLoad (
        Board int32 NOT NULL, Assignee varchar(100) NOT NULL, OpenTasks int64 NOT NULL,
        PRIMARY KEY ((Board), Assignee)
    ) AS RESULT OF CountByAssignee;
    VIEW Failing (Board int32 NOT NULL, K int32 NOT NULL, N int64 NOT NULL, PRIMARY KEY ((Board), K)) AS RESULT OF AlwaysFails;
    VIEW Receipts (Board int32 NOT NULL, K int32 NOT NULL, Total int64 NOT NULL, PRIMARY KEY ((Board), K)) AS RESULT OF SumReceipts;
    EXTENSION ENGINE BUILTIN (
        COMMAND CompleteTask(CompleteParams) STATE(sys.Record(Task)) INTENTS(sys.Record(Task));
        COMMAND Pay(CompleteParams, UNLOGGED Secret);
        COMMAND AddReceipt(Receipt);
        COMMAND Sneaky() STATE(sys.Record(Task));
        COMMAND Hang();
        COMMAND Boom();
        QUERY Stats STATE(sys.View(TaskStats)) RETURNS StatsRow;
        SYNC PROJECTOR CountTasks AFTER INSERT OR UPDATE ON Task STATE(sys.View(TaskStats)) INTENTS(sys.View(TaskStats));
        PROJECTOR CountByAssignee AFTER INSERT OR UPDATE ON Task STATE(sys.View(AssigneeLoad)) INTENTS(sys.View(AssigneeLoad));
        PROJECTOR AlwaysFails AFTER INSERT ON Task INTENTS(sys.View(Failing));
        SYNC PROJECTOR SumReceipts AFTER EXECUTE WITH PARAM ON Receipt STATE(sys.View(Receipts)) INTENTS(sys.View(Receipts));
    );
    GRANT Member TO sys.WorkspaceOwner;
    GRANT SELECT, INSERT, UPDATE, ACTIVATE, DEACTIVATE ON TABLE Task TO Member;
    GRANT SELECT, INSERT, UPDATE, ACTIVATE, DEACTIVATE ON TABLE TaskTag TO Member;
    GRANT SELECT, INSERT, UPDATE ON TABLE Note TO Member;
    GRANT EXECUTE ON ALL COMMANDS TO Member;
    GRANT EXECUTE ON QUERY Stats TO Member;
    GRANT SELECT ON ALL VIEWS TO Member;
    GRANT SELECT ON TABLE Receipt TO Member;
    GRANT SELECT ON TABLE ReceiptLine TO Member;
);
ALTER WORKSPACE sys.AppWorkspaceWS (
    VIEW Ticks (Bucket int32 NOT NULL, K int32 NOT NULL, N int64 NOT NULL, PRIMARY KEY ((Bucket), K)) AS RESULT OF Tick;
    EXTENSION ENGINE BUILTIN (
        JOB Tick '@every 1s' STATE(sys.View(Ticks)) INTENTS(sys.View(Ticks));
    );
);
`;

const BOARD = 0;

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v ?? 0);
}

/** Adds the contribution of every Task CUD of the event (before: −1, after: +1) to per-key deltas. */
function taskDeltas(
  ctx: ExtensionContext,
  keyOf: (task: Readonly<Record<string, unknown>>) => string | undefined,
  counts: (task: Readonly<Record<string, unknown>>) => string | undefined,
): Map<string, Map<string, number>> {
  const deltas = new Map<string, Map<string, number>>();
  const add = (task: Readonly<Record<string, unknown>>, by: number): void => {
    if (task['sys.IsActive'] === false) return;
    const key = keyOf(task);
    const field = counts(task);
    if (key === undefined || field === undefined) return;
    const row = deltas.get(key) ?? new Map<string, number>();
    row.set(field, (row.get(field) ?? 0) + by);
    deltas.set(key, row);
  };
  for (const cud of ctx.event?.cuds ?? []) {
    if (cud.table !== 'todo.Task') continue;
    const after = cud.record ?? cud.fields;
    if (!cud.isNew) add({ ...after, ...before(cud) }, -1);
    add(after, 1);
  }
  return deltas;
}

function before(cud: CudView): Readonly<Record<string, unknown>> {
  const old = { ...cud.oldFields };
  if ('sys.IsActive' in cud.fields && !('sys.IsActive' in old))
    old['sys.IsActive'] = cud.fields['sys.IsActive'] !== true;
  return old;
}

export const TODO_BUILTINS: BuiltinExtensions = {
  'todo.CompleteTask': async (ctx) => {
    const id = num(ctx.arg?.TaskID);
    const task = await ctx.state.getRecord(id);
    if (task === undefined || task['sys.QName'] !== 'todo.Task')
      return ctx.intents.response(404, `task ${id} not found`);
    if (task.Done !== true) ctx.intents.updateRecord(id, { Done: true });
  },
  'todo.Pay': (ctx) => {
    ctx.intents.result({ pinLength: (typeof ctx.unloggedArg?.Pin === 'string' ? ctx.unloggedArg.Pin : '').length });
  },
  'todo.AddReceipt': () => undefined,
  'todo.Sneaky': async (ctx) => {
    await ctx.state.getView('todo.TaskStats', { Board: 0, Priority: 1 });
  },
  'todo.Hang': () => new Promise<void>(() => undefined),
  'todo.Boom': () => {
    throw new Error('kaboom');
  },
  'todo.Stats': async (ctx) => {
    let open = 0;
    let done = 0;
    for await (const row of ctx.state.readView('todo.TaskStats', { Board: BOARD })) {
      open += num(row.Open);
      done += num(row.Done);
    }
    ctx.intents.result({ Open: open, Done: done });
  },
  'todo.CountTasks': async (ctx) => {
    const deltas = taskDeltas(
      ctx,
      (t) => String(num(t.Priority)),
      (t) => (t.Done === true ? 'Done' : 'Open'),
    );
    for (const [priority, d] of deltas) {
      const key = { Board: BOARD, Priority: Number(priority) };
      const cur = await ctx.state.getView('todo.TaskStats', key);
      ctx.intents.putView('todo.TaskStats', {
        ...key,
        Open: num(cur?.Open) + (d.get('Open') ?? 0),
        Done: num(cur?.Done) + (d.get('Done') ?? 0),
      });
    }
  },
  'todo.CountByAssignee': async (ctx) => {
    const deltas = taskDeltas(
      ctx,
      (t) => (typeof t.Assignee === 'string' ? t.Assignee : undefined),
      (t) => (t.Done === true ? undefined : 'OpenTasks'),
    );
    for (const [assignee, d] of deltas) {
      const key = { Board: BOARD, Assignee: assignee };
      const cur = await ctx.state.getView('todo.AssigneeLoad', key);
      ctx.intents.putView('todo.AssigneeLoad', { ...key, OpenTasks: num(cur?.OpenTasks) + (d.get('OpenTasks') ?? 0) });
    }
  },
  'todo.Tick': async (ctx) => {
    const cur = await ctx.state.getView('todo.Ticks', { Bucket: 0, K: 0 });
    ctx.intents.putView('todo.Ticks', { Bucket: 0, K: 0, N: num(cur?.N) + 1 });
  },
  'todo.AlwaysFails': () => {
    throw new Error('this projector always fails');
  },
  'todo.SumReceipts': async (ctx) => {
    const cur = await ctx.state.getView('todo.Receipts', { Board: 0, K: 0 });
    ctx.intents.putView('todo.Receipts', { Board: 0, K: 0, Total: num(cur?.Total) + num(ctx.arg?.Amount) });
  },
};

export function todoBundle(owner = 'test', name = 'todo', partitions = 2): AppBundle {
  const r = compile([{ path: 'todo.vsql', source: TODO_VSQL.replace('APPLICATION todo()', `APPLICATION ${name}()`) }], {
    packageName: 'todo',
  });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return {
    owner,
    manifest: { name, partitions },
    appdef: r.appdef,
    modules: {},
    versionHash: 'test',
    devBuiltins: TODO_BUILTINS,
  };
}

export function memResources(
  options: { storage?: StorageProvider; limits?: Partial<EngineLimits>; now?: () => number } = {},
): EngineResources {
  return {
    storage: options.storage ?? createStorageProvider(createMemDriver()),
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
    authenticator: { authenticate: () => Promise.reject(new Error('not used')) },
    jwks: () => Promise.resolve({ keys: [] }),
    extensionHosts: [createBuiltinHost()],
    secrets: { get: () => Promise.resolve(undefined) },
    now: options.now ?? (() => Date.now()),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
  };
}

let requests = 0;

export function asUser(subject: string, app = 'test/todo'): CallContext {
  const principal: Principal = { kind: 'user', subject, app, profileWSID: 0, expiresAt: Date.now() / 1000 + 3600 };
  return { requestId: `r${++requests}`, principal, ip: '127.0.0.1' };
}

export const ANONYMOUS: CallContext = { requestId: 'anon', principal: null, ip: '127.0.0.1' };
