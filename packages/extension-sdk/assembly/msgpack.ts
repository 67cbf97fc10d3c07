// MessagePack (https://msgpack.org/) restricted to what ABI.md §7 allows: nil, bool, int up to
// int64, float32/64, str, bin, array, map with str keys. The decoder checks every length against
// the input before reading, so malformed bytes abort with a message instead of reading out of
// bounds; the encoder (encoder.ts) always picks the shortest form. Besides `decodeAt` (one whole
// value), a cursor over the decoder's state lets decoders of a known shape (inputs.ts `event()`)
// read a map entry by entry without building an Obj for it, with the same checks.

import { Obj, Value, ValueKind } from './value';

export { Encoder, encode } from './encoder';

/** Deeper nesting aborts: the host never sends more than 32 levels (ABI.md §6), and recursion is bounded. */
export const MAX_DEPTH = 64;

/** UTF-8 → string, with a fast path for ASCII (one exact allocation instead of two). */
function decodeUtf8(p: usize, n: usize): string {
  for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) >= 0x80) return String.UTF8.decodeUnsafe(p, n);
  const s = changetype<string>(__new(n << 1, idof<string>()));
  const d = changetype<usize>(s);
  for (let i: usize = 0; i < n; i++) store<u16>(d + (i << 1), load<u8>(p + i));
  return s;
}

// Strings that repeat across calls — map keys (field names) and short string values (QNames,
// enum-like values) — are interned in small direct-mapped caches: a hit costs no allocation.
// Strings and Values are immutable, so sharing them is safe. The slots are static memory the
// garbage collector does not scan, and each cached object is pinned instead (unpinned when its slot
// is reused): a managed array of slots was scanned whole on every GC cycle, i.e. every few calls.
const CACHE_SLOTS = 256;
const CACHE_MAX_LEN: usize = 32;
/** Interned keys: string pointers. */
const keySlots = memory.data(CACHE_SLOTS * sizeof<usize>());
/** Interned string values: Value pointers. */
const strSlots = memory.data(CACHE_SLOTS * sizeof<usize>());

/**
 * The cache slot address for the `n` bytes at `p` (FNV-1a), or 0 when they are not cacheable:
 * longer than CACHE_MAX_LEN, or not ASCII (comparing chars to bytes below is exact for ASCII alone).
 */
function slotFor(slots: usize, p: usize, n: usize): usize {
  if (n > CACHE_MAX_LEN) return 0;
  let h: u32 = 2166136261;
  for (let i: usize = 0; i < n; i++) {
    const b = load<u8>(p + i);
    if (b >= 0x80) return 0;
    h = (h ^ (<u32>b)) * 16777619;
  }
  return slots + ((<usize>((h ^ (h >> 16)) & (CACHE_SLOTS - 1))) << alignof<usize>());
}

/** True when `s` is the `n` ASCII bytes at `p`. */
function sameAscii(s: string, p: usize, n: usize): bool {
  if (<usize>s.length != n) return false;
  const c = changetype<usize>(s);
  for (let i: usize = 0; i < n; i++) if (load<u16>(c + (i << 1)) != <u16>load<u8>(p + i)) return false;
  return true;
}

/** Stores `obj` in the cache slot at `at`: pinned while cached; the object it replaces is unpinned. */
function fillSlot(at: usize, obj: usize): void {
  const old = load<usize>(at);
  __pin(obj);
  store<usize>(at, obj);
  if (old != 0) __unpin(old);
}

function internKey(p: usize, n: usize): string {
  const at = slotFor(keySlots, p, n);
  if (at == 0) return decodeUtf8(p, n);
  const cached = load<usize>(at);
  if (cached != 0 && sameAscii(changetype<string>(cached), p, n)) return changetype<string>(cached);
  const s = decodeUtf8(p, n);
  fillSlot(at, changetype<usize>(s));
  return s;
}

function readStr(n: u32): Value {
  const p = need(<usize>n);
  const at = slotFor(strSlots, p, <usize>n);
  if (at == 0) return Value.fromString(decodeUtf8(p, <usize>n));
  const cached = load<usize>(at);
  if (cached != 0 && sameAscii(changetype<Value>(cached).asString(), p, <usize>n)) return changetype<Value>(cached);
  const v = Value.fromString(decodeUtf8(p, <usize>n));
  fillSlot(at, changetype<usize>(v));
  return v;
}

// The decoder's state. Module globals rather than a class: decoding never re-enters (no callbacks),
// and plain functions without a managed `this` skip the incremental runtime's shadow-stack frames.
let pos: usize = 0;
let end: usize = 0;
let depth: i32 = 0;

// The last flat map (no map or array inside) decoded from the current input: a later map with the
// same bytes is the same value and is shared instead of decoded again (an insert's CUD repeats its
// `fields` as `record`). Values are immutable, so sharing is invisible.
let lastMap: Value | null = null;
let lastMapAt: usize = 0;
let lastMapLen: usize = 0;

function remaining(): usize {
  return end - pos;
}

function sameBytes(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

function readValue(): Value {
  const at = pos;
  if (at >= end) throw new Error('msgpack: unexpected end of input');
  pos = at + 1;
  const tag = load<u8>(at);
  if (tag < 0x80) return Value.fromI64(<i64>tag);
  if (tag >= 0xe0) return Value.fromI64(<i64>(<i8>tag));
  if (tag < 0x90) return readMap(<u32>(tag & 0x0f), at);
  if (tag < 0xa0) return readArray(<u32>(tag & 0x0f));
  if (tag < 0xc0) return readStr(<u32>(tag & 0x1f));
  switch (tag) {
    case 0xc0:
      return Value.NULL;
    case 0xc2:
      return Value.FALSE;
    case 0xc3:
      return Value.TRUE;
    case 0xc4:
      return Value.fromBytes(readBin(<u32>readU8()));
    case 0xc5:
      return Value.fromBytes(readBin(<u32>readU16()));
    case 0xc6:
      return Value.fromBytes(readBin(readU32()));
    case 0xca:
      return Value.fromF64(<f64>reinterpret<f32>(readU32()));
    case 0xcb:
      return Value.fromF64(reinterpret<f64>(readU64()));
    case 0xcc:
      return Value.fromI64(<i64>readU8());
    case 0xcd:
      return Value.fromI64(<i64>readU16());
    case 0xce:
      return Value.fromI64(<i64>readU32());
    case 0xcf: {
      const v = readU64();
      if (v > <u64>i64.MAX_VALUE) throw new Error('msgpack: uint64 ' + v.toString() + ' is beyond int64');
      return Value.fromI64(<i64>v);
    }
    case 0xd0:
      return Value.fromI64(<i64>(<i8>readU8()));
    case 0xd1:
      return Value.fromI64(<i64>(<i16>readU16()));
    case 0xd2:
      return Value.fromI64(<i64>(<i32>readU32()));
    case 0xd3:
      return Value.fromI64(<i64>readU64());
    case 0xd9:
      return readStr(<u32>readU8());
    case 0xda:
      return readStr(<u32>readU16());
    case 0xdb:
      return readStr(readU32());
    case 0xdc:
      return readArray(<u32>readU16());
    case 0xdd:
      return readArray(readU32());
    case 0xde:
      return readMap(<u32>readU16(), at);
    case 0xdf:
      return readMap(readU32(), at);
    default:
      // 0xc1 (never used) and the ext types (0xc7-0xc9, 0xd4-0xd8): not part of ABI v1.
      throw new Error('msgpack: unsupported type byte 0x' + (<u32>tag).toString(16));
  }
}

function readArray(n: u32): Value {
  // Every item takes at least one byte: a count beyond the input is malformed (and would
  // otherwise allocate a huge array).
  if (<usize>n > remaining()) throw new Error('msgpack: array of ' + n.toString() + ' items is truncated');
  enter();
  const items = new Array<Value>(<i32>n);
  for (let i: i32 = 0; i < <i32>n; i++) unchecked((items[i] = readValue()));
  depth--;
  return Value.fromArray(items);
}

/** A map of `n` entries whose header starts at `start` (`pos` is after the header). */
function readMap(n: u32, start: usize): Value {
  // The same bytes as the last flat map: the same value (one level deep, so the depth check holds).
  const last = lastMap;
  if (last != null && depth < MAX_DEPTH) {
    const len = lastMapLen;
    if (len <= end - start && sameBytes(start, lastMapAt, len)) {
      pos = start + len;
      return last;
    }
  }
  if (<u64>n * 2 > <u64>remaining()) throw new Error('msgpack: map of ' + n.toString() + ' entries is truncated');
  enter();
  const keys = new StaticArray<string>(<i32>n);
  const vals = new StaticArray<Value>(<i32>n);
  let flat = true;
  for (let i: i32 = 0; i < <i32>n; i++) {
    unchecked((keys[i] = readKey()));
    const v = readValue();
    if (v.kind >= ValueKind.Array) flat = false;
    unchecked((vals[i] = v));
  }
  depth--;
  const map = Value.fromObj(new Obj(keys, vals));
  if (flat) {
    lastMap = map;
    lastMapAt = start;
    lastMapLen = pos - start;
  }
  return map;
}

function readKey(): string {
  const at = pos;
  if (at >= end) throw new Error('msgpack: unexpected end of input');
  pos = at + 1;
  const tag = load<u8>(at);
  let n: u32;
  if (tag >= 0xa0 && tag < 0xc0) n = <u32>(tag & 0x1f);
  else if (tag == 0xd9) n = <u32>readU8();
  else if (tag == 0xda) n = <u32>readU16();
  else if (tag == 0xdb) n = readU32();
  else throw new Error('msgpack: map key is not a string (type byte 0x' + (<u32>tag).toString(16) + ')');
  return internKey(need(<usize>n), <usize>n);
}

function enter(): void {
  if (++depth > MAX_DEPTH) throw new Error('msgpack: nesting deeper than ' + MAX_DEPTH.toString());
}

function need(n: usize): usize {
  const p = pos;
  if (n > end - p) throw new Error('msgpack: unexpected end of input');
  pos = p + n;
  return p;
}

function readU8(): u8 {
  return load<u8>(need(1));
}

function readU16(): u16 {
  return bswap<u16>(load<u16>(need(2)));
}

function readU32(): u32 {
  return bswap<u32>(load<u32>(need(4)));
}

function readU64(): u64 {
  return bswap<u64>(load<u64>(need(8)));
}

function readBin(n: u32): Uint8Array {
  const p = need(<usize>n);
  const out = new Uint8Array(<i32>n);
  memory.copy(out.dataStart, p, <usize>n);
  return out;
}

/** Decodes exactly one value from raw memory; aborts on malformed input or trailing bytes. */
export function decodeAt(ptr: usize, len: i32): Value {
  beginInput(ptr, len);
  const v = readValue();
  endInput();
  return v;
}

// The cursor. `beginInput`, then the `next…`/`enter…` reads in wire order, then `endInput`: one
// value, read as decodeAt would read it (same checks, same nesting depth, same errors for malformed
// bytes), but a map or array entered with `enterMap`/`enterArray` produces no Value of its own.

/** Starts reading one value at `ptr..ptr+len`. */
export function beginInput(ptr: usize, len: i32): void {
  if (len < 0) throw new Error('msgpack: negative length');
  pos = ptr;
  end = ptr + <usize>len;
  depth = 0;
  lastMap = null;
}

/** Ends the input; aborts on trailing bytes. */
export function endInput(): void {
  lastMap = null;
  if (remaining() != 0) throw new Error('msgpack: ' + remaining().toString() + ' trailing bytes');
}

/**
 * The entry count of the container header at the read position — the fix range `fix`..`fix`+15 or
 * the 16-/32-bit tags — consumed; -1, reading nothing, when the next value is another kind.
 */
function containerHeader(fix: u32, tag16: u32, tag32: u32): i64 {
  const at = pos;
  if (at >= end) throw new Error('msgpack: unexpected end of input');
  const tag = <u32>load<u8>(at);
  // Unsigned: a tag below `fix` wraps around and is no fix value.
  if (tag - fix < 0x10) {
    pos = at + 1;
    return <i64>(tag & 0x0f);
  }
  if (tag == tag16) {
    pos = at + 1;
    return <i64>readU16();
  }
  if (tag == tag32) {
    pos = at + 1;
    return <i64>readU32();
  }
  return -1;
}

/** Reads a map header and enters it (its entries follow as nextKey/next… pairs); -1, reading nothing, when the next value is no map. */
export function enterMap(): i32 {
  const n = containerHeader(0x80, 0xde, 0xdf);
  if (n < 0) return -1;
  if (<u64>n * 2 > <u64>remaining()) throw new Error('msgpack: map of ' + n.toString() + ' entries is truncated');
  enter();
  return <i32>n;
}

/** Reads an array header and enters it; -1, reading nothing, when the next value is no array. */
export function enterArray(): i32 {
  const n = containerHeader(0x90, 0xdc, 0xdd);
  if (n < 0) return -1;
  if (<u64>n > <u64>remaining()) throw new Error('msgpack: array of ' + n.toString() + ' items is truncated');
  enter();
  return <i32>n;
}

/** After the last entry of a map or the last item of an array entered above. */
export function leave(): void {
  depth--;
}

/** The next map key. */
export function nextKey(): string {
  return readKey();
}

/** The next value, whatever it is. */
export function nextValue(): Value {
  return readValue();
}

/** The int just read by `nextInt`. */
export let lastInt: i64 = 0;

/** Reads the next value into `lastInt` and returns true if it is an int (no Value allocated); else reads nothing. */
export function nextInt(): bool {
  const at = pos;
  if (at >= end) throw new Error('msgpack: unexpected end of input');
  const tag = load<u8>(at);
  if (tag < 0x80 || tag >= 0xe0) {
    pos = at + 1;
    lastInt = tag < 0x80 ? <i64>tag : <i64>(<i8>tag); // positive / negative fixint
    return true;
  }
  if (tag < 0xcc || tag > 0xd3) return false;
  pos = at + 1;
  switch (tag) {
    case 0xcc:
      lastInt = <i64>readU8();
      break;
    case 0xcd:
      lastInt = <i64>readU16();
      break;
    case 0xce:
      lastInt = <i64>readU32();
      break;
    case 0xcf: {
      const v = readU64();
      if (v > <u64>i64.MAX_VALUE) throw new Error('msgpack: uint64 ' + v.toString() + ' is beyond int64');
      lastInt = <i64>v;
      break;
    }
    case 0xd0:
      lastInt = <i64>(<i8>readU8());
      break;
    case 0xd1:
      lastInt = <i64>(<i16>readU16());
      break;
    case 0xd2:
      lastInt = <i64>(<i32>readU32());
      break;
    default:
      lastInt = <i64>readU64();
  }
  return true;
}

/** Decodes exactly one value; aborts on malformed input or trailing bytes. */
export function decode(bytes: Uint8Array): Value {
  return decodeAt(bytes.dataStart, bytes.length);
}
