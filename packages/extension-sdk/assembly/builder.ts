// Encodes a map field by field, straight into MessagePack: no intermediate tree, and the bytes go
// to the host without a copy (the map header is written into space reserved at the front).

import { Encoder } from './encoder';
import { Value } from './value';

// The longest map header (map32): 1 tag byte + 4 count bytes.
const HEADER_RESERVE = 5;

/** Builds a map with string keys (record fields, a view key or row, a result). Fluent. */
export class ObjBuilder {
  private readonly enc: Encoder;
  private count: i32 = 0;
  private start: i32 = HEADER_RESERVE;

  constructor(initialCapacity: i32 = 64) {
    this.enc = new Encoder(initialCapacity, HEADER_RESERVE);
  }

  /** Number of fields written. */
  get size(): i32 {
    return this.count;
  }

  /** Drops every field, keeping the buffer (reuse one builder in a loop). */
  reset(): ObjBuilder {
    this.enc.reset();
    this.count = 0;
    return this;
  }

  str(name: string, v: string): ObjBuilder {
    this.key(name);
    this.enc.writeString(v);
    return this;
  }

  i64(name: string, v: i64): ObjBuilder {
    this.key(name);
    this.enc.writeInt(v);
    return this;
  }

  i32(name: string, v: i32): ObjBuilder {
    this.key(name);
    this.enc.writeInt(<i64>v);
    return this;
  }

  f64(name: string, v: f64): ObjBuilder {
    this.key(name);
    this.enc.writeF64(v);
    return this;
  }

  bool(name: string, v: bool): ObjBuilder {
    this.key(name);
    this.enc.writeBool(v);
    return this;
  }

  bytes(name: string, v: Uint8Array): ObjBuilder {
    this.key(name);
    this.enc.writeBytes(v);
    return this;
  }

  /** An explicit nil (for an update: clears the field). */
  nil(name: string): ObjBuilder {
    this.key(name);
    this.enc.writeNil();
    return this;
  }

  /** A nested map. */
  obj(name: string, v: ObjBuilder): ObjBuilder {
    this.key(name);
    const at = v.finish();
    this.enc.writeRaw(v.enc.dataStart + <usize>at, v.enc.length - at);
    return this;
  }

  /** An array of maps. */
  arr(name: string, v: Array<ObjBuilder>): ObjBuilder {
    this.key(name);
    this.enc.writeArrayHeader(v.length);
    for (let i = 0; i < v.length; i++) {
      const item = unchecked(v[i]);
      const at = item.finish();
      this.enc.writeRaw(item.enc.dataStart + <usize>at, item.enc.length - at);
    }
    return this;
  }

  /** Re-encodes a decoded value (copy a field from a record or an event as it is). */
  copy(name: string, v: Value): ObjBuilder {
    this.key(name);
    this.enc.writeValue(v);
    return this;
  }

  /** The encoded map (a copy). */
  encode(): Uint8Array {
    const at = this.finish();
    const n = this.enc.length - at;
    const out = new Uint8Array(n);
    memory.copy(out.dataStart, this.enc.dataStart + <usize>at, <usize>n);
    return out;
  }

  /** Writes the header; the encoded map is then `dataPtr()..dataPtr()+dataLen()`. */
  finish(): i32 {
    this.start = this.enc.writeMapHeaderInReserve(this.count);
    return this.start;
  }

  /** Start of the encoded map, after `finish()`; valid until the next write. */
  dataPtr(): usize {
    return this.enc.dataStart + <usize>this.start;
  }

  /** Length of the encoded map, after `finish()`. */
  dataLen(): i32 {
    return this.enc.length - this.start;
  }

  private key(name: string): void {
    this.enc.writeString(name);
    this.count++;
  }
}
