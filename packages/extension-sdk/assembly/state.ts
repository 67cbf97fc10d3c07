// Reads (ABI.md §3). Each is checked by the host against the extension's STATE; `getRecord`,
// `getView`, `readView` and `secret` may suspend the guest while the host awaits storage, which is
// invisible here.

import * as stoa from './stoa';
import { ObjBuilder } from './builder';
import { takeObj, takeText, textPtr, writeText } from './host-io';
import { Obj } from './value';

/** The record (`sys.ID`, `sys.QName`, `sys.IsActive` and its fields), or null when there is none. */
export function getRecord(id: i64): Obj | null {
  return takeObj(stoa.get_record(id), 'record');
}

/** The row for a full key (partition key and every clustering column), or null. */
export function getView(view: string, key: ObjBuilder): Obj | null {
  key.finish();
  const n = writeText(view);
  return takeObj(stoa.get_view(textPtr(), n, key.dataPtr(), key.dataLen()), 'view row');
}

/** Rows in key order, lazily: each `next()` asks the host for one row. */
export class ViewIterator {
  private done: bool = false;

  constructor(private readonly handle: i32) {}

  /** The next row, or null at the end. */
  next(): Obj | null {
    if (this.done) return null;
    const row = takeObj(stoa.next(this.handle), 'view row');
    if (row == null) this.done = true;
    return row;
  }
}

/**
 * Rows whose key starts with `prefix` (the partition key and any leading clustering columns).
 * `limit < 0` = no limit; `reverse` = descending key order.
 */
export function readView(view: string, prefix: ObjBuilder, limit: i32 = -1, reverse: bool = false): ViewIterator {
  prefix.finish();
  const n = writeText(view);
  const handle = stoa.read_view(textPtr(), n, prefix.dataPtr(), prefix.dataLen(), limit, reverse ? 1 : 0);
  if (handle < 0) throw new Error('readView: the host returned no iterator for ' + view);
  return new ViewIterator(handle);
}

/** The app secret's value, or null when it is not set. */
export function secret(name: string): string | null {
  const n = writeText(name);
  return takeText(stoa.secret(textPtr(), n));
}
