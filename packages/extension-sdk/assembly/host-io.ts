// Buffers shared by every host call: the raw bytes of pending values and UTF-8 strings passed to
// the host live only for the duration of one import call, so one buffer of each is reused for the
// whole life of the instance instead of allocating per call.

import * as stoa from './stoa';
import { decodeAt } from './msgpack';
import { Obj, ValueKind, kindName } from './value';

let pendingBuf = new ArrayBuffer(1024);
let textBuf = new ArrayBuffer(256);

function grow(buf: ArrayBuffer, need: i32): ArrayBuffer {
  if (buf.byteLength >= need) return buf;
  let cap = buf.byteLength * 2;
  if (cap < need) cap = need;
  return new ArrayBuffer(cap);
}

/** Takes the pending value of `n` bytes (ABI.md §3) into the shared buffer; returns its start. */
export function takePending(n: i32): usize {
  pendingBuf = grow(pendingBuf, n);
  const ptr = changetype<usize>(pendingBuf);
  stoa.take(ptr);
  return ptr;
}

/** Takes and decodes a pending map of `n` bytes, or null for -1. `what` names it in errors. */
export function takeObj(n: i32, what: string): Obj | null {
  if (n < 0) return null;
  const ptr = takePending(n);
  const v = decodeAt(ptr, n);
  if (v.kind != ValueKind.Map) throw new Error(what + ': expected a map, got ' + kindName(v.kind));
  return v.asObj();
}

/** Takes a pending raw UTF-8 value of `n` bytes, or null for -1. */
export function takeText(n: i32): string | null {
  if (n < 0) return null;
  const ptr = takePending(n);
  return String.UTF8.decodeUnsafe(ptr, <usize>n);
}

/**
 * Writes `s` as UTF-8 (lone surrogates → U+FFFD, which the host accepts) into the shared text
 * buffer and returns the byte length; `textPtr()` is its start until the next call.
 */
export function writeText(s: string): i32 {
  const n = String.UTF8.byteLength(s);
  textBuf = grow(textBuf, n);
  return <i32>(
    String.UTF8.encodeUnsafe(
      changetype<usize>(s),
      s.length,
      changetype<usize>(textBuf),
      false,
      String.UTF8.ErrorMode.REPLACE,
    )
  );
}

export function textPtr(): usize {
  return changetype<usize>(textBuf);
}
