// What a call starts from: its context, argument(s) and, for projectors, the event (ABI.md §3).
// Nothing is cached: instances are reused between calls, and there is no hook at a call's start to
// clear a cache, so each function asks the host again — call each once per call and keep the result.

import * as stoa from './stoa';
import { beginInput, endInput, enterArray, enterMap, lastInt, leave, nextInt, nextKey, nextValue } from './msgpack';
import { takeObj, takePending } from './host-io';
import { Obj, Value, ValueKind, kindName, parseI64 } from './value';

/** The `fields` of a Cud made without one (immutable, so one is enough). */
const NO_FIELDS = Obj.empty();

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
  fields: Obj = NO_FIELDS;
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

/**
 * Projectors: the triggering event; null elsewhere. Read straight from the MessagePack (decoder.ts
 * cursor): the event map, its `cuds` array and each CUD map produce no Obj and their ints no Value,
 * only the parts the Event keeps as Obj (`arg`, `fields`, `oldFields`, `record`) are built. The
 * result, and the checks, are those of decoding the whole map and reading it with Obj's getters:
 * the first of duplicate keys counts, unknown keys are decoded and dropped, absent or nil fields
 * take the getters' defaults, a field of the wrong kind aborts naming it.
 */
export function event(): Event | null {
  const n = stoa.event();
  if (n < 0) return null;
  beginInput(takePending(n), n);
  const e = readEvent();
  endInput();
  return e;
}

// One bit per field, to keep the first of duplicate keys.
const QNAME: u32 = 1;
const WSID: u32 = 2;
const PLOG_OFFSET: u32 = 4;
const WLOG_OFFSET: u32 = 8;
const REGISTERED_AT: u32 = 16;
const ARG: u32 = 32;
const CUDS: u32 = 64;
const ERROR: u32 = 128;
const TABLE: u32 = 1;
const ID: u32 = 2;
const IS_NEW: u32 = 4;
const FIELDS: u32 = 8;
const OLD_FIELDS: u32 = 16;
const RECORD: u32 = 32;

// By length first: one or two string compares per key.
function eventField(k: string): u32 {
  switch (k.length) {
    case 3:
      return k == 'arg' ? ARG : 0;
    case 4:
      return k == 'wsid' ? WSID : k == 'cuds' ? CUDS : 0;
    case 5:
      return k == 'qname' ? QNAME : k == 'error' ? ERROR : 0;
    case 10:
      return k == 'plogOffset' ? PLOG_OFFSET : k == 'wlogOffset' ? WLOG_OFFSET : 0;
    case 12:
      return k == 'registeredAt' ? REGISTERED_AT : 0;
    default:
      return 0;
  }
}

function cudField(k: string): u32 {
  switch (k.length) {
    case 2:
      return k == 'id' ? ID : 0;
    case 5:
      return k == 'table' ? TABLE : k == 'isNew' ? IS_NEW : 0;
    case 6:
      return k == 'fields' ? FIELDS : k == 'record' ? RECORD : 0;
    case 9:
      return k == 'oldFields' ? OLD_FIELDS : 0;
    default:
      return 0;
  }
}

function readEvent(): Event {
  const count = enterMap();
  if (count < 0) throw new Error('event: expected a map, got ' + kindName(nextValue().kind));
  const e = new Event();
  let seen: u32 = 0;
  for (let i = 0; i < count; i++) {
    const field = eventField(nextKey());
    if (field == 0 || (seen & field) != 0) {
      nextValue();
      continue;
    }
    seen |= field;
    if (field == QNAME) e.qname = stringField('qname');
    else if (field == WSID) e.wsid = intField('wsid');
    else if (field == PLOG_OFFSET) e.plogOffset = intField('plogOffset');
    else if (field == WLOG_OFFSET) e.wlogOffset = intField('wlogOffset');
    else if (field == REGISTERED_AT) e.registeredAt = intField('registeredAt');
    else if (field == ARG) e.arg = objField('arg');
    else if (field == ERROR) {
      const v = nextValue();
      if (!v.isNull()) e.error = checkKind(v, ValueKind.String, 'error', 'a string').asString();
    } else readCuds(e);
  }
  leave();
  return e;
}

function readCuds(e: Event): void {
  const n = enterArray();
  if (n < 0) {
    const v = nextValue();
    if (!v.isNull()) checkKind(v, ValueKind.Array, 'cuds', 'an array');
    return;
  }
  const out = new Array<Cud>(n);
  for (let i = 0; i < n; i++) unchecked((out[i] = readCud()));
  leave();
  e.cuds = out;
}

function readCud(): Cud {
  const count = enterMap();
  if (count < 0) {
    nextValue();
    throw new Error('event: a cud is not a map');
  }
  const c = new Cud();
  let seen: u32 = 0;
  for (let i = 0; i < count; i++) {
    const field = cudField(nextKey());
    if (field == 0 || (seen & field) != 0) {
      nextValue();
      continue;
    }
    seen |= field;
    if (field == TABLE) c.table = stringField('table');
    else if (field == ID) c.id = intField('id');
    else if (field == IS_NEW) {
      const v = nextValue();
      c.isNew = !v.isNull() && checkKind(v, ValueKind.Bool, 'isNew', 'a bool').asBool();
    } else if (field == FIELDS) {
      const fields = objField('fields');
      if (fields != null) c.fields = fields;
    } else if (field == OLD_FIELDS) c.oldFields = objField('oldFields');
    else c.record = objField('record');
  }
  leave();
  return c;
}

/** `v`, aborting as Obj's getters do when it is not of `kind`. */
function checkKind(v: Value, kind: ValueKind, name: string, expected: string): Value {
  if (v.kind != kind) throw new Error('field ' + name + ': expected ' + expected + ', got ' + kindName(v.kind));
  return v;
}

/** Obj#getString: nil is ''. */
function stringField(name: string): string {
  const v = nextValue();
  return v.isNull() ? '' : checkKind(v, ValueKind.String, name, 'a string').asString();
}

/** Obj#getI64: nil is 0; integral floats and decimal strings converted. */
function intField(name: string): i64 {
  if (nextInt()) return lastInt;
  const v = nextValue();
  if (v.isNull()) return 0;
  if (v.kind == ValueKind.String) return parseI64(v.asString(), 'field ' + name);
  if (v.kind != ValueKind.Float) checkKind(v, ValueKind.Int, name, 'an integer');
  return v.asI64();
}

/** Obj#getObj: nil is null. */
function objField(name: string): Obj | null {
  const v = nextValue();
  return v.isNull() ? null : checkKind(v, ValueKind.Map, name, 'a map').asObj();
}
