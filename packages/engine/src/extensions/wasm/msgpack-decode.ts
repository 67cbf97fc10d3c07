// MessagePack guest → host (ABI.md §7), decoded and checked in one pass: maps with str keys only,
// valid UTF-8 (TextDecoder with fatal), no ext types, no uint64 above int64's range, nesting depth
// ≤ 32 (checked before recursing, so a deep value cannot overflow the host's stack), exactly one
// value. Maps become plain objects; integers beyond ±2^53−1 become BigInt (the engine's int64
// fields accept it and store the decimal string); bin is copied out of guest memory.
// msgpackr is lenient where the ABI is strict and has a fixed cost per call (~0.4–1 µs for a
// two-field map in guest memory) that dominated small intents; this decoder is a few hundred lines
// of straight code instead.

export const MAX_MSGPACK_DEPTH = 32;

/** A value that breaks ABI §7; the message says what and where (byte offset within the value). */
export class MessagePackError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_SAFE_HI = 0x1fffff; // the high 32 bits of 2^53 - 1

// The value being decoded (decoding is synchronous, so module state is safe).
let src: Uint8Array = new Uint8Array(0);
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
let pos = 0;
let base = 0;
let limit = 0;
let maxDepth = MAX_MSGPACK_DEPTH;

/**
 * Decodes the one MessagePack map in `bytes[start..end)`. `bytes` may be the guest's whole memory:
 * nothing is copied or wrapped except bin values and strings.
 */
export function decodeGuestMap(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
  depthLimit = MAX_MSGPACK_DEPTH,
): Record<string, unknown> {
  const first = start < end ? bytes[start] : undefined;
  const isMap = first !== undefined && ((first & 0xf0) === 0x80 || first === 0xde || first === 0xdf);
  if (!isMap) throw new MessagePackError(`expected a MessagePack map, found ${describeToken(first)}`);
  if (bytes.buffer !== view.buffer || bytes.byteOffset !== view.byteOffset) {
    view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  src = bytes;
  pos = start;
  base = start;
  limit = end;
  maxDepth = depthLimit;
  try {
    const value = read(0) as Record<string, unknown>;
    if (pos !== end) throw new MessagePackError(`${end - pos} extra bytes after the value`);
    return value;
  } finally {
    src = EMPTY; // do not keep the guest's memory alive
  }
}

const EMPTY = new Uint8Array(0);

function describeToken(token: number | undefined): string {
  if (token === undefined) return 'nothing (0 bytes)';
  return `token 0x${token.toString(16).padStart(2, '0')}`;
}

function need(n: number): void {
  if (pos + n > limit) throw new MessagePackError(`value truncated at byte ${pos - base}`);
}

/** The value at `pos`; `depth` = the containers around it. */
function read(depth: number): unknown {
  need(1);
  const at = pos;
  const t = src[pos++]!;
  if (t <= 0x7f) return t;
  if (t >= 0xe0) return t - 0x100;
  if (t <= 0x8f) return readMap(t & 0x0f, depth + 1);
  if (t <= 0x9f) return readArray(t & 0x0f, depth + 1);
  if (t <= 0xbf) return readStr(t & 0x1f);
  switch (t) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return readBin(u8());
    case 0xc5:
      return readBin(u16());
    case 0xc6:
      return readBin(u32());
    case 0xca:
      need(4);
      pos += 4;
      return view.getFloat32(pos - 4);
    case 0xcb:
      need(8);
      pos += 8;
      return view.getFloat64(pos - 8);
    case 0xcc:
      return u8();
    case 0xcd:
      return u16();
    case 0xce:
      return u32();
    case 0xcf:
      need(8);
      if (src[pos]! >= 0x80) throw new MessagePackError(`uint64 at byte ${at - base} exceeds int64's range`);
      return int64();
    case 0xd0:
      need(1);
      return view.getInt8(pos++);
    case 0xd1:
      need(2);
      pos += 2;
      return view.getInt16(pos - 2);
    case 0xd2:
      need(4);
      pos += 4;
      return view.getInt32(pos - 4);
    case 0xd3:
      need(8);
      return int64();
    case 0xd9:
      return readStr(u8());
    case 0xda:
      return readStr(u16());
    case 0xdb:
      return readStr(u32());
    case 0xdc:
      return readArray(u16(), depth + 1);
    case 0xdd:
      return readArray(u32(), depth + 1);
    case 0xde:
      return readMap(u16(), depth + 1);
    case 0xdf:
      return readMap(u32(), depth + 1);
    default: // 0xc1 (never used), ext and fixext
      throw new MessagePackError(`unsupported MessagePack ${describeToken(t)} at byte ${at - base}`);
  }
}

function u8(): number {
  need(1);
  return src[pos++]!;
}

function u16(): number {
  need(2);
  pos += 2;
  return (src[pos - 2]! << 8) | src[pos - 1]!;
}

function u32(): number {
  need(4);
  pos += 4;
  return view.getUint32(pos - 4);
}

/** A signed 64-bit integer at `pos` (bounds checked by the caller): a number when safe, else a BigInt. */
function int64(): number | bigint {
  const hi = view.getInt32(pos);
  const lo = view.getUint32(pos + 4);
  pos += 8;
  if (hi <= MAX_SAFE_HI && hi >= -MAX_SAFE_HI - 1 && !(hi === -MAX_SAFE_HI - 1 && lo === 0)) {
    return hi * 4_294_967_296 + lo;
  }
  return view.getBigInt64(pos - 8);
}

function readStr(n: number): string {
  need(n);
  const start = pos;
  pos += n;
  if (n <= 32) {
    // Short ASCII (keys, most values): build the string directly.
    let s = '';
    for (let i = start; i < pos; i++) {
      const c = src[i]!;
      if (c >= 0x80) return decodeUtf8(start);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decodeUtf8(start);
}

function decodeUtf8(start: number): string {
  try {
    return utf8.decode(src.subarray(start, pos));
  } catch {
    throw new MessagePackError(`invalid UTF-8 in the str at byte ${start - base}`);
  }
}

function readBin(n: number): Uint8Array {
  need(n);
  pos += n;
  return new Uint8Array(src.subarray(pos - n, pos)); // a copy (Buffer#slice would be a view)
}

function checkCount(count: number, map: boolean, depth: number): void {
  if (depth > maxDepth) throw new MessagePackError(`nested deeper than ${maxDepth} levels at byte ${pos - base}`);
  // Every item takes at least one byte: a huge count over a few bytes fails here, not after a long loop.
  if (count * (map ? 2 : 1) > limit - pos) throw new MessagePackError(`value truncated at byte ${pos - base}`);
}

function readArray(count: number, depth: number): unknown[] {
  checkCount(count, false, depth);
  const out = new Array<unknown>(count);
  for (let i = 0; i < count; i++) out[i] = read(depth);
  return out;
}

function readMap(count: number, depth: number): Record<string, unknown> {
  checkCount(count, true, depth);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const key = readKey();
    const value = read(depth);
    // An own property even for "__proto__" (plain assignment would set the prototype).
    if (key === '__proto__')
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

function readKey(): string {
  need(1);
  const t = src[pos++]!;
  if (t >= 0xa0 && t <= 0xbf) return readStr(t & 0x1f);
  if (t === 0xd9) return readStr(u8());
  if (t === 0xda) return readStr(u16());
  if (t === 0xdb) return readStr(u32());
  throw new MessagePackError(`map key at byte ${pos - 1 - base} is not a str (${describeToken(t)})`);
}
