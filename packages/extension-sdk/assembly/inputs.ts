// What a call starts from: its context, argument(s) and, for projectors, the event (ABI.md §3).
// Nothing is cached: instances are reused between calls, and there is no hook at a call's start to
// clear a cache, so each function asks the host again — call each once per call and keep the result.

import * as stoa from './stoa';
import { takeObj } from './host-io';
import { Obj, Value, ValueKind } from './value';

export class Context {
  /** The extension's QName (`todo.CompleteTask`). */
  qname: string = '';
  /** `command`, `query`, `projector` or `job`. */
  kind: string = '';
  wsid: i64 = 0;
  partition: i32 = 0;
  /** Milliseconds since the epoch (jobs: the tick time). */
  now: i64 = 0;
}

/** One change of one record inside an event. */
export class Cud {
  table: string = '';
  id: i64 = 0;
  isNew: bool = false;
  /** Insert: every field written. Update: only the changed fields, with their new values. */
  fields: Obj = Obj.empty();
  /** Update only: the previous values of the changed fields. */
  oldFields: Obj | null = null;
  /** The whole record after the change (absent in events stored before the engine kept it). */
  record: Obj | null = null;
}

export class Event {
  /** The command that produced the event (`sys.CUD` for plain CRUD). */
  qname: string = '';
  wsid: i64 = 0;
  plogOffset: i64 = 0;
  wlogOffset: i64 = 0;
  /** Milliseconds since the epoch. */
  registeredAt: i64 = 0;
  arg: Obj | null = null;
  cuds: Array<Cud> = [];
  /** Set for events stored with a build error (`INCLUDING ERRORS` projectors only). */
  error: string | null = null;
}

/** The call's context. */
export function context(): Context {
  const o = takeObj(stoa.context(), 'context');
  if (o == null) throw new Error('context: the host sent none');
  const c = new Context();
  c.qname = o.getString('qname');
  c.kind = o.getString('kind');
  c.wsid = o.getI64('wsid');
  c.partition = o.getI32('partition');
  c.now = o.getI64('now');
  return c;
}

/** Commands and queries: the validated argument; projectors AFTER EXECUTE WITH PARAM: the command's. */
export function arg(): Obj | null {
  return takeObj(stoa.arg(), 'argument');
}

/** Commands: the unlogged argument. */
export function unloggedArg(): Obj | null {
  return takeObj(stoa.unlogged_arg(), 'unlogged argument');
}

/** Projectors: the triggering event; null elsewhere. */
export function event(): Event | null {
  const o = takeObj(stoa.event(), 'event');
  if (o == null) return null;
  const e = new Event();
  e.qname = o.getString('qname');
  e.wsid = o.getI64('wsid');
  e.plogOffset = o.getI64('plogOffset');
  e.wlogOffset = o.getI64('wlogOffset');
  e.registeredAt = o.getI64('registeredAt');
  e.arg = o.getObj('arg');
  if (!o.isNull('error')) e.error = o.getString('error');
  const cuds = o.getArray('cuds');
  if (cuds != null) {
    const out = new Array<Cud>(cuds.length);
    for (let i = 0; i < cuds.length; i++) unchecked((out[i] = toCud(unchecked(cuds[i]))));
    e.cuds = out;
  }
  return e;
}

function toCud(v: Value): Cud {
  if (v.kind != ValueKind.Map) throw new Error('event: a cud is not a map');
  const o = v.asObj();
  const c = new Cud();
  c.table = o.getString('table');
  c.id = o.getI64('id');
  c.isNew = o.getBool('isNew');
  const fields = o.getObj('fields');
  if (fields != null) c.fields = fields;
  c.oldFields = o.getObj('oldFields');
  c.record = o.getObj('record');
  return c;
}
