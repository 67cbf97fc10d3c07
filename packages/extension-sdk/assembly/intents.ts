// Writes (ABI.md §4). The host collects them and applies them only after the export returns without
// failure; each is checked against the extension's INTENTS and validated against the AppDef.

import * as stoa from './stoa';
import { ObjBuilder } from './builder';
import { textPtr, writeText } from './host-io';

/** Commands: inserts a record of `table`; returns its raw id (usable in later intents of this call). */
export function insertRecord(table: string, fields: ObjBuilder): i64 {
  fields.finish();
  const n = writeText(table);
  return stoa.insert_record(textPtr(), n, fields.dataPtr(), fields.dataLen());
}

/** Commands: changes the given fields of a record (a nil field clears it). */
export function updateRecord(id: i64, fields: ObjBuilder): void {
  fields.finish();
  stoa.update_record(id, fields.dataPtr(), fields.dataLen());
}

/** Inserts or replaces a view row (key fields + value fields). */
export function putView(view: string, row: ObjBuilder): void {
  row.finish();
  const n = writeText(view);
  stoa.put_view(textPtr(), n, row.dataPtr(), row.dataLen());
}

/** Commands: the result (once). Queries: one result row per call. */
export function result(row: ObjBuilder): void {
  row.finish();
  stoa.result(row.dataPtr(), row.dataLen());
}

/**
 * Fails the call with this status (4xx/5xx) and message; nothing of the call is applied. The
 * guest should return right after.
 */
export function respond(status: i32, message: string): void {
  const n = writeText(message);
  stoa.response(status, textPtr(), n);
}

export function logInfo(message: string): void {
  const n = writeText(message);
  stoa.log(0, textPtr(), n);
}

export function logWarn(message: string): void {
  const n = writeText(message);
  stoa.log(1, textPtr(), n);
}

export function logError(message: string): void {
  const n = writeText(message);
  stoa.log(2, textPtr(), n);
}
