/**
 * The todo app's extensions as TypeScript builtins: the benchmark baseline for the AssemblyScript
 * version in examples/todo/extensions/todo/ (same behaviour: examples/todo/BEHAVIOUR.md). The
 * engine imports this file in dev mode from the folder `prepareTodoBuiltinApp()` (../app.ts) makes.
 */
import { defineBuiltins } from '@stoa/engine';
import type { CudView, ExtensionContext, RecordValue } from '@stoa/engine';

const TASK = 'todo.Task';
const TASK_STATS = 'todo.TaskStats';
const ASSIGNEE_LOAD = 'todo.AssigneeLoad';
/** One board per workspace: the views' partition key is always 0. */
const BOARD = 0;

/** What a task contributes to the counts at one point in time. */
interface TaskState {
  readonly active: boolean;
  readonly done: boolean;
  readonly priority: number;
  readonly assignee: string | undefined;
}

/** int64 view values and ids may arrive as numbers or, beyond 2^53, decimal strings. */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  return 0;
}

function toAssignee(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function pick(key: string, ...sources: (Readonly<Record<string, unknown>> | undefined)[]): unknown {
  for (const source of sources) if (source !== undefined && key in source) return source[key];
  return undefined;
}

const TASK_FIELDS = ['Done', 'Priority', 'Assignee', 'sys.IsActive'] as const;

/**
 * The task's state before and after one CUD, from the event alone. An update carries the changed
 * fields (new values in `fields`, previous ones in `oldFields`) and `record`, the whole task after
 * the change, so the fields it did not change come from the event too: a projector never mixes in
 * newer state than the event it processes (the async `CountByAssignee` runs behind the commands,
 * and a read of the current record there would count later updates twice under racing updates).
 * Only an event stored without `record` (written before the engine kept it) falls back to reading
 * the record (declared `STATE(sys.Record(Task))`).
 */
async function describeChange(
  ctx: ExtensionContext,
  cud: CudView,
): Promise<{ before: TaskState | undefined; after: TaskState }> {
  if (cud.isNew) return { before: undefined, after: toState(cud.fields, undefined) };
  const missing = cud.record === undefined && TASK_FIELDS.some((f) => !(f in cud.fields));
  const record: RecordValue | undefined = cud.record ?? (missing ? await ctx.state.getRecord(cud.id) : undefined);
  const after = toState(cud.fields, record);
  const old: Record<string, unknown> = { ...cud.oldFields };
  // A CUD that changes sys.IsActive flips it, even if the old value was not recorded.
  if ('sys.IsActive' in cud.fields && !('sys.IsActive' in old))
    old['sys.IsActive'] = cud.fields['sys.IsActive'] !== true;
  const before = toState(old, { ...record, ...cud.fields });
  return { before, after };
}

function toState(
  primary: Readonly<Record<string, unknown>>,
  fallback: Readonly<Record<string, unknown>> | undefined,
): TaskState {
  return {
    active: pick('sys.IsActive', primary, fallback) !== false,
    done: pick('Done', primary, fallback) === true,
    priority: toNumber(pick('Priority', primary, fallback)),
    assignee: toAssignee(pick('Assignee', primary, fallback)),
  };
}

/** Accumulates count changes per view key, so two CUDs of one event touching one row add up. */
class Deltas<V extends string> {
  readonly #rows = new Map<string, { key: Record<string, unknown>; delta: Record<V, number> }>();
  constructor(private readonly valueFields: readonly V[]) {}

  add(key: Record<string, unknown>, field: V, by: number): void {
    const id = JSON.stringify(key);
    let row = this.#rows.get(id);
    if (row === undefined) {
      const delta = Object.fromEntries(this.valueFields.map((f) => [f, 0])) as Record<V, number>;
      row = { key, delta };
      this.#rows.set(id, row);
    }
    row.delta[field] += by;
  }

  /** Read-modify-write of every touched row; rows whose changes cancel out are left alone. */
  async apply(ctx: ExtensionContext, view: string): Promise<void> {
    for (const { key, delta } of this.#rows.values()) {
      if (this.valueFields.every((f) => delta[f] === 0)) continue;
      const current = await ctx.state.getView(view, key);
      const row: Record<string, unknown> = { ...key };
      for (const f of this.valueFields) row[f] = toNumber(current?.[f]) + delta[f];
      ctx.intents.putView(view, row);
    }
  }
}

async function forEachTaskChange(
  ctx: ExtensionContext,
  visit: (state: TaskState, sign: 1 | -1) => void,
): Promise<void> {
  for (const cud of ctx.event?.cuds ?? []) {
    if (cud.table !== TASK) continue;
    const { before, after } = await describeChange(ctx, cud);
    if (before?.active) visit(before, -1);
    if (after.active) visit(after, 1);
  }
}

export default defineBuiltins({
  /** Sets Done on the task; 404 when it is missing or not a Task; a done task is left as it is. */
  'todo.CompleteTask': async (ctx) => {
    const id = toNumber(ctx.arg?.['TaskID']);
    const task = await ctx.state.getRecord(id);
    if (task === undefined || task['sys.QName'] !== TASK) {
      ctx.intents.response(404, `task ${id} not found`);
      return;
    }
    if (task['Done'] === true) return;
    ctx.intents.updateRecord(id, { Done: true });
  },

  /** One row: Open and Done summed over every priority of the board. */
  'todo.Stats': async (ctx) => {
    let open = 0;
    let done = 0;
    for await (const row of ctx.state.readView(TASK_STATS, { Board: BOARD })) {
      open += toNumber(row['Open']);
      done += toNumber(row['Done']);
    }
    ctx.intents.result({ Open: open, Done: done });
  },

  /** Sync: open/done counts per priority; updates move counts, (de)activation removes/adds back. */
  'todo.CountTasks': async (ctx) => {
    const deltas = new Deltas(['Open', 'Done'] as const);
    await forEachTaskChange(ctx, (state, sign) => {
      deltas.add({ Board: BOARD, Priority: state.priority }, state.done ? 'Done' : 'Open', sign);
    });
    await deltas.apply(ctx, TASK_STATS);
  },

  /** Async: open tasks per assignee (tasks without an assignee are not counted). */
  'todo.CountByAssignee': async (ctx) => {
    const deltas = new Deltas(['OpenTasks'] as const);
    await forEachTaskChange(ctx, (state, sign) => {
      if (state.done || state.assignee === undefined) return;
      deltas.add({ Board: BOARD, Assignee: state.assignee }, 'OpenTasks', sign);
    });
    await deltas.apply(ctx, ASSIGNEE_LOAD);
  },
});
