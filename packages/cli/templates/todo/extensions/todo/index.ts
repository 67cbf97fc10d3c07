// The todo app's extensions in AssemblyScript (EXTENSION ENGINE WASM): what they do is in the
// project's README.md. `./generated` holds typed helpers made from the schema (`stoa codegen`
// rewrites it; the build regenerates it anyway, so it is never stale).
import { Cud, Obj, ObjBuilder, Value, event, getRecord, getView, putView, respond } from '@stoa/extension-sdk';
import {
  StatsRowBuilder,
  TaskBuilder,
  TaskStatsKey,
  argCompleteTask,
  getTask,
  readTaskStats,
  resultStats,
  updateTask,
} from './generated';

const TASK = 'todo.Task';
const TASK_STATS = 'todo.TaskStats';
const ASSIGNEE_LOAD = 'todo.AssigneeLoad';
/** One board per workspace: the views' partition key is always 0. */
const BOARD: i32 = 0;
const IS_ACTIVE = 'sys.IsActive';

/** Sets Done on the task; 404 when it is missing or not a Task; a done task is left as it is. */
export function CompleteTask(): void {
  const id = argCompleteTask().TaskID;
  const task = getTask(id);
  if (task === null) {
    respond(404, `task ${id} not found`);
    return;
  }
  if (task.Done) return;
  updateTask(id, new TaskBuilder().Done(true));
}

/** One row: Open and Done summed over every priority of the board. */
export function Stats(): void {
  let open: i64 = 0;
  let done: i64 = 0;
  const rows = readTaskStats(new TaskStatsKey().Board(BOARD));
  for (let row = rows.next(); row !== null; row = rows.next()) {
    open += row.Open;
    done += row.Done;
  }
  resultStats(new StatsRowBuilder().Open(open).Done(done));
}

/** Sync: open/done counts per priority; updates move counts, (de)activation removes/adds back. */
export function CountTasks(): void {
  const deltas = new Deltas();
  const changes = taskChanges();
  for (let i = 0; i < changes.length; i++) {
    const state = changes[i].state;
    const key = 'p' + state.priority.toString();
    const delta = deltas.row(key, new ObjBuilder().i32('Board', BOARD).i32('Priority', state.priority), state.priority);
    if (state.done) delta.done += changes[i].sign;
    else delta.open += changes[i].sign;
  }
  for (let i = 0; i < deltas.rows.length; i++) {
    const d = deltas.rows[i];
    if (d.open == 0 && d.done == 0) continue;
    const current = getView(TASK_STATS, d.key);
    const open = (current === null ? 0 : current.getI64('Open')) + d.open;
    const done = (current === null ? 0 : current.getI64('Done')) + d.done;
    putView(
      TASK_STATS,
      new ObjBuilder().i32('Board', BOARD).i32('Priority', d.priority).i64('Open', open).i64('Done', done),
    );
  }
}

/** Async: open tasks per assignee (tasks without an assignee are not counted). */
export function CountByAssignee(): void {
  const deltas = new Deltas();
  const changes = taskChanges();
  for (let i = 0; i < changes.length; i++) {
    const state = changes[i].state;
    if (state.done || state.assignee.length == 0) continue;
    const key = new ObjBuilder().i32('Board', BOARD).str('Assignee', state.assignee);
    const delta = deltas.row('a' + state.assignee, key, 0);
    delta.assignee = state.assignee;
    delta.open += changes[i].sign;
  }
  for (let i = 0; i < deltas.rows.length; i++) {
    const d = deltas.rows[i];
    if (d.open == 0) continue;
    const current = getView(ASSIGNEE_LOAD, d.key);
    const openTasks = (current === null ? 0 : current.getI64('OpenTasks')) + d.open;
    putView(
      ASSIGNEE_LOAD,
      new ObjBuilder().i32('Board', BOARD).str('Assignee', d.assignee).i64('OpenTasks', openTasks),
    );
  }
}

/** What a task contributes to the counts at one point in time. */
class TaskState {
  constructor(
    public active: bool,
    public done: bool,
    public priority: i32,
    public assignee: string,
  ) {}
}

class Change {
  constructor(
    public state: TaskState,
    public sign: i64,
  ) {}
}

/** Count changes per view row, so two CUDs of one event touching one row add up. */
class Delta {
  open: i64 = 0;
  done: i64 = 0;
  assignee: string = '';
  constructor(
    public key: ObjBuilder,
    public priority: i32,
  ) {}
}

class Deltas {
  rows: Array<Delta> = [];
  private byKey: Map<string, Delta> = new Map();

  row(id: string, key: ObjBuilder, priority: i32): Delta {
    if (this.byKey.has(id)) return this.byKey.get(id);
    const delta = new Delta(key, priority);
    this.byKey.set(id, delta);
    this.rows.push(delta);
    return delta;
  }
}

/** Every Task CUD of the event as (state, +1/-1) contributions: the state before leaves, after joins. */
function taskChanges(): Array<Change> {
  const changes: Array<Change> = [];
  const ev = event();
  if (ev === null) return changes;
  for (let i = 0; i < ev.cuds.length; i++) {
    const cud = ev.cuds[i];
    if (cud.table != TASK) continue;
    if (cud.isNew) {
      const after = toState(cud.fields, null, null);
      if (after.active) changes.push(new Change(after, 1));
      continue;
    }
    describeUpdate(cud, changes);
  }
  return changes;
}

/**
 * An update carries the changed fields (new values in `fields`, previous ones in `oldFields`) and
 * `record`, the whole task after the change, so the projector never mixes in newer state than the
 * event. Only an event stored without `record` falls back to reading the task.
 */
function describeUpdate(cud: Cud, changes: Array<Change>): void {
  let record = cud.record;
  if (record === null && !hasAllTaskFields(cud.fields)) record = getRecord(cud.id);
  const after = toState(cud.fields, record, null);
  const before = toState(cud.oldFields, cud.fields, record);
  // A CUD that changes sys.IsActive flips it, even if the old value was not recorded.
  const old = cud.oldFields;
  if (cud.fields.has(IS_ACTIVE) && (old === null || !old.has(IS_ACTIVE))) {
    before.active = !isTrue(cud.fields.get(IS_ACTIVE));
  }
  if (before.active) changes.push(new Change(before, -1));
  if (after.active) changes.push(new Change(after, 1));
}

function hasAllTaskFields(fields: Obj): bool {
  return fields.has('Done') && fields.has('Priority') && fields.has('Assignee') && fields.has(IS_ACTIVE);
}

/** The first of the sources that has the field wins. */
function pick(name: string, a: Obj | null, b: Obj | null, c: Obj | null): Value | null {
  if (a !== null && a.has(name)) return a.get(name);
  if (b !== null && b.has(name)) return b.get(name);
  if (c !== null && c.has(name)) return c.get(name);
  return null;
}

function isTrue(v: Value | null): bool {
  return v !== null && !v.isNull() && v.asBool();
}

function toState(a: Obj | null, b: Obj | null, c: Obj | null): TaskState {
  const active = pick(IS_ACTIVE, a, b, c);
  const done = pick('Done', a, b, c);
  const priority = pick('Priority', a, b, c);
  const assignee = pick('Assignee', a, b, c);
  return new TaskState(
    active === null || active.isNull() || active.asBool(),
    isTrue(done),
    priority === null || priority.isNull() ? 0 : priority.asI32(),
    assignee === null || assignee.isNull() ? '' : assignee.asString(),
  );
}
