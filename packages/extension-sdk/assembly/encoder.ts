// The MessagePack encoder (ABI.md §7): always the shortest form.

import { Value, ValueKind } from './value';

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

/** Encodes one value. */
export function encode(v: Value): Uint8Array {
  const e = new Encoder();
  e.writeValue(v);
  return e.toBytes();
}
