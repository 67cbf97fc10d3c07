// MessagePack (https://msgpack.org/) restricted to what ABI.md §7 allows: nil, bool, int up to
// int64, float32/64, str, bin, array, map with str keys. The decoder checks every length against
// the input before reading, so malformed bytes abort with a message instead of reading out of
// bounds; the encoder always picks the shortest form.

import { Obj, Value, ValueKind } from './value';

/** Deeper nesting aborts: the host never sends more than 32 levels (ABI.md §6), and recursion is bounded. */
export const MAX_DEPTH = 64;

/** A growable byte buffer that MessagePack items are appended to. Reuse it with `reset()`. */
export class Encoder {
  // `buf` keeps the memory alive for the GC; `ptr`/`cap` cache its address and size, because every
  // call through a getter costs a shadow-stack frame under the incremental runtime.
  private buf: ArrayBuffer;
  private ptr: usize;
  private cap: i32;
  private pos: i32;

  /** `reserve` bytes at the start stay free for a header the owner writes later (see ObjBuilder). */
  constructor(
    initialCapacity: i32 = 64,
    private readonly reserve: i32 = 0,
  ) {
    const cap = max(initialCapacity, reserve + 8);
    const buf = new ArrayBuffer(cap);
    this.buf = buf;
    this.ptr = changetype<usize>(buf);
    this.cap = cap;
    this.pos = reserve;
  }

  /** Drops everything written; keeps the buffer. */
  reset(): void {
    this.pos = this.reserve;
  }

  /** Start of the buffer (valid until the next write, which may move it). */
  get dataStart(): usize {
    return this.ptr;
  }

  /** Bytes written, reserved bytes included. */
  get length(): i32 {
    return this.pos;
  }

  /** A copy of the bytes written after the reserved area. */
  toBytes(): Uint8Array {
    const n = this.pos - this.reserve;
    const out = new Uint8Array(n);
    memory.copy(out.dataStart, this.ptr + <usize>this.reserve, <usize>n);
    return out;
  }

  writeNil(): void {
    this.u8(0xc0);
  }

  writeBool(v: bool): void {
    this.u8(v ? 0xc3 : 0xc2);
  }

  writeInt(v: i64): void {
    if (v >= 0) {
      if (v < 128) this.u8(<u8>v);
      else if (v < 256) this.u8u8(0xcc, <u8>v);
      else if (v < 65536) this.u8u16(0xcd, <u16>v);
      else if (v <= <i64>u32.MAX_VALUE) this.u8u32(0xce, <u32>v);
      else this.u8u64(0xcf, <u64>v);
    } else {
      if (v >= -32) this.u8(<u8>v);
      else if (v >= -128) this.u8u8(0xd0, <u8>v);
      else if (v >= -32768) this.u8u16(0xd1, <u16>v);
      else if (v >= <i64>i32.MIN_VALUE) this.u8u32(0xd2, <u32>v);
      else this.u8u64(0xd3, <u64>v);
    }
  }

  writeF64(v: f64): void {
    this.u8u64(0xcb, reinterpret<u64>(v));
  }

  writeF32(v: f32): void {
    this.u8u32(0xca, reinterpret<u32>(v));
  }

  /** UTF-8; a lone surrogate becomes U+FFFD (the host refuses invalid UTF-8). */
  writeString(v: string): void {
    const len = v.length;
    const src = changetype<usize>(v);
    // Fast path for the common short ASCII string (field names, most values): one pass, fixstr.
    if (len < 32) {
      const at = this.pos;
      const dst = this.claim(len + 1);
      let i = 0;
      for (; i < len; i++) {
        const c = load<u16>(src + ((<usize>i) << 1));
        if (c >= 0x80) break;
        store<u8>(dst + 1 + <usize>i, <u8>c);
      }
      if (i == len) {
        store<u8>(dst, <u8>(0xa0 | len));
        return;
      }
      this.pos = at;
    }
    const n = String.UTF8.byteLength(v);
    if (n < 32) this.u8(<u8>(0xa0 | n));
    else if (n < 256) this.u8u8(0xd9, <u8>n);
    else if (n < 65536) this.u8u16(0xda, <u16>n);
    else this.u8u32(0xdb, <u32>n);
    const dst = this.claim(n);
    String.UTF8.encodeUnsafe(src, len, dst, false, String.UTF8.ErrorMode.REPLACE);
  }

  writeBytes(v: Uint8Array): void {
    const n = v.length;
    if (n < 256) this.u8u8(0xc4, <u8>n);
    else if (n < 65536) this.u8u16(0xc5, <u16>n);
    else this.u8u32(0xc6, <u32>n);
    this.writeRaw(v.dataStart, n);
  }

  writeArrayHeader(n: i32): void {
    if (n < 16) this.u8(<u8>(0x90 | n));
    else if (n < 65536) this.u8u16(0xdc, <u16>n);
    else this.u8u32(0xdd, <u32>n);
  }

  writeMapHeader(n: i32): void {
    if (n < 16) this.u8(<u8>(0x80 | n));
    else if (n < 65536) this.u8u16(0xde, <u16>n);
    else this.u8u32(0xdf, <u32>n);
  }

  /** Appends already-encoded MessagePack. */
  writeRaw(ptr: usize, len: i32): void {
    memory.copy(this.claim(len), ptr, <usize>len);
  }

  /** Re-encodes a decoded value. */
  writeValue(v: Value): void {
    switch (v.kind) {
      case ValueKind.Null:
        this.writeNil();
        break;
      case ValueKind.Bool:
        this.writeBool(v.asBool());
        break;
      case ValueKind.Int:
        this.writeInt(v.asI64());
        break;
      case ValueKind.Float:
        this.writeF64(v.asF64());
        break;
      case ValueKind.String:
        this.writeString(v.asString());
        break;
      case ValueKind.Bytes:
        this.writeBytes(v.asBytes());
        break;
      case ValueKind.Array: {
        const items = v.asArray();
        this.writeArrayHeader(items.length);
        for (let i = 0; i < items.length; i++) this.writeValue(unchecked(items[i]));
        break;
      }
      default: {
        const o = v.asObj();
        const n = o.size;
        this.writeMapHeader(n);
        for (let i = 0; i < n; i++) {
          this.writeString(o.keyAt(i));
          this.writeValue(o.valueAt(i));
        }
      }
    }
  }

  /** Writes a map header of `n` entries ending exactly at the reserved area's end; returns where it starts. */
  writeMapHeaderInReserve(n: i32): i32 {
    const p = this.ptr;
    const end = this.reserve;
    if (n < 16) {
      store<u8>(p + <usize>end - 1, <u8>(0x80 | n));
      return end - 1;
    }
    if (n < 65536) {
      store<u8>(p + <usize>end - 3, 0xde);
      store<u16>(p + <usize>end - 2, bswap<u16>(<u16>n));
      return end - 3;
    }
    store<u8>(p + <usize>end - 5, 0xdf);
    store<u32>(p + <usize>end - 4, bswap<u32>(<u32>n));
    return end - 5;
  }

  /** Advances by `n` bytes, growing the buffer if needed; returns the address to write them at. */
  private claim(n: i32): usize {
    const at = this.pos;
    const end = <i64>at + <i64>n;
    if (end > <i64>this.cap) this.grow(end);
    this.pos = <i32>end;
    return this.ptr + <usize>at;
  }

  private grow(need: i64): void {
    let next = <i64>this.cap * 2;
    if (next < need) next = need;
    if (next > <i64>i32.MAX_VALUE) throw new Error('msgpack: value too large to encode');
    const grown = new ArrayBuffer(<i32>next);
    memory.copy(changetype<usize>(grown), this.ptr, <usize>this.pos);
    this.buf = grown;
    this.ptr = changetype<usize>(grown);
    this.cap = <i32>next;
  }

  private u8(b: u8): void {
    store<u8>(this.claim(1), b);
  }

  private u8u8(tag: u8, v: u8): void {
    const p = this.claim(2);
    store<u8>(p, tag);
    store<u8>(p + 1, v);
  }

  private u8u16(tag: u8, v: u16): void {
    const p = this.claim(3);
    store<u8>(p, tag);
    store<u16>(p + 1, bswap<u16>(v));
  }

  private u8u32(tag: u8, v: u32): void {
    const p = this.claim(5);
    store<u8>(p, tag);
    store<u32>(p + 1, bswap<u32>(v));
  }

  private u8u64(tag: u8, v: u64): void {
    const p = this.claim(9);
    store<u8>(p, tag);
    store<u64>(p + 1, bswap<u64>(v));
  }
}

/** UTF-8 → string, with a fast path for ASCII (one exact allocation instead of two). */
function decodeUtf8(p: usize, n: usize): string {
  for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) >= 0x80) return String.UTF8.decodeUnsafe(p, n);
  const s = changetype<string>(__new(n << 1, idof<string>()));
  const d = changetype<usize>(s);
  for (let i: usize = 0; i < n; i++) store<u16>(d + (i << 1), load<u8>(p + i));
  return s;
}

// Map keys repeat across calls (field names), so short ASCII keys are interned in a small
// direct-mapped cache: a hit costs no allocation. Strings are immutable, so sharing is safe.
const KEY_CACHE_BITS = 8;
const KEY_CACHE_MAX_LEN: usize = 32;
const keyCache = new StaticArray<string | null>(1 << KEY_CACHE_BITS);

function internKey(p: usize, n: usize): string {
  if (n > KEY_CACHE_MAX_LEN) return decodeUtf8(p, n);
  let h: u32 = 2166136261;
  for (let i: usize = 0; i < n; i++) {
    const b = load<u8>(p + i);
    // Only ASCII keys are cached: comparing chars to bytes below is exact for them alone.
    if (b >= 0x80) return decodeUtf8(p, n);
    h = (h ^ (<u32>b)) * 16777619;
  }
  const slot = <i32>((h ^ (h >> 16)) & ((1 << KEY_CACHE_BITS) - 1));
  const cached = unchecked(keyCache[slot]);
  if (cached != null && <usize>cached.length == n) {
    const c = changetype<usize>(cached);
    let same = true;
    for (let i: usize = 0; i < n; i++) {
      if (load<u16>(c + (i << 1)) != <u16>load<u8>(p + i)) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  const s = decodeUtf8(p, n);
  unchecked((keyCache[slot] = s));
  return s;
}

// The decoder's state. Module globals rather than a class: decoding never re-enters (no callbacks),
// and plain functions without a managed `this` skip the incremental runtime's shadow-stack frames.
let pos: usize = 0;
let end: usize = 0;
let depth: i32 = 0;

function remaining(): usize {
  return end - pos;
}

function readValue(): Value {
  const tag = readU8();
  if (tag < 0x80) return Value.fromI64(<i64>tag);
  if (tag >= 0xe0) return Value.fromI64(<i64>(<i8>tag));
  if (tag < 0x90) return readMap(<u32>(tag & 0x0f));
  if (tag < 0xa0) return readArray(<u32>(tag & 0x0f));
  if (tag < 0xc0) return Value.fromString(readStr(<u32>(tag & 0x1f)));
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
      return Value.fromString(readStr(<u32>readU8()));
    case 0xda:
      return Value.fromString(readStr(<u32>readU16()));
    case 0xdb:
      return Value.fromString(readStr(readU32()));
    case 0xdc:
      return readArray(<u32>readU16());
    case 0xdd:
      return readArray(readU32());
    case 0xde:
      return readMap(<u32>readU16());
    case 0xdf:
      return readMap(readU32());
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

function readMap(n: u32): Value {
  if (<u64>n * 2 > <u64>remaining()) throw new Error('msgpack: map of ' + n.toString() + ' entries is truncated');
  enter();
  const keys = new StaticArray<string>(<i32>n);
  const vals = new StaticArray<Value>(<i32>n);
  for (let i: i32 = 0; i < <i32>n; i++) {
    unchecked((keys[i] = readKey()));
    unchecked((vals[i] = readValue()));
  }
  depth--;
  return Value.fromObj(new Obj(keys, vals));
}

function readKey(): string {
  const tag = readU8();
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

function readStr(n: u32): string {
  const p = need(<usize>n);
  return decodeUtf8(p, <usize>n);
}

function readBin(n: u32): Uint8Array {
  const p = need(<usize>n);
  const out = new Uint8Array(<i32>n);
  memory.copy(out.dataStart, p, <usize>n);
  return out;
}

/** Decodes exactly one value from raw memory; aborts on malformed input or trailing bytes. */
export function decodeAt(ptr: usize, len: i32): Value {
  if (len < 0) throw new Error('msgpack: negative length');
  pos = ptr;
  end = ptr + <usize>len;
  depth = 0;
  const v = readValue();
  if (remaining() != 0) throw new Error('msgpack: ' + remaining().toString() + ' trailing bytes');
  return v;
}

/** Decodes exactly one value; aborts on malformed input or trailing bytes. */
export function decode(bytes: Uint8Array): Value {
  return decodeAt(bytes.dataStart, bytes.length);
}

/** Encodes one value. */
export function encode(v: Value): Uint8Array {
  const e = new Encoder();
  e.writeValue(v);
  return e.toBytes();
}
