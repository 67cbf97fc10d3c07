// MessagePack host → guest (ABI.md §7): a small encoder writing into a reusable buffer. It replaced
// msgpackr's pack, which measured ~1.2 µs for a five-field record — the largest single host cost
// of a read.

const MAX_ENCODE_DEPTH = 64;
const TWO_32 = 4_294_967_296;

/**
 * Encodes host values (records, view rows, arguments, events: plain objects, arrays, strings,
 * numbers, booleans, null, bytes) as MessagePack into one growing buffer it reuses, so an encode
 * allocates nothing once warm. Properties whose value is undefined are left out (the ABI omits
 * absent fields). One encoder per guest instance: the bytes stay valid until its next encode.
 */
export class GuestEncoder {
  private buf: Buffer = Buffer.allocUnsafe(1024);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private pos = 0;

  /** Encodes `value`; the bytes are `bytes(length)` until the next call. */
  encode(value: unknown): number {
    this.pos = 0;
    this.value(value, 0);
    return this.pos;
  }

  /** Writes `text` as raw UTF-8 (no MessagePack header). */
  encodeUtf8(text: string): number {
    this.ensure(text.length * 3);
    this.pos = this.buf.write(text, 0, 'utf8');
    return this.pos;
  }

  bytes(length: number): Uint8Array {
    return this.buf.subarray(0, length);
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  private value(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'string':
        return this.str(v);
      case 'number':
        return this.num(v);
      case 'boolean':
        this.ensure(1);
        this.buf[this.pos++] = v ? 0xc3 : 0xc2;
        return;
      case 'undefined':
        this.ensure(1);
        this.buf[this.pos++] = 0xc0;
        return;
      case 'bigint':
        return this.big(v);
      case 'object':
        if (v === null) {
          this.ensure(1);
          this.buf[this.pos++] = 0xc0;
          return;
        }
        if (depth >= MAX_ENCODE_DEPTH) throw new Error(`value nested deeper than ${MAX_ENCODE_DEPTH} levels`);
        if (v instanceof Uint8Array) return this.bin(v);
        if (Array.isArray(v)) return this.array(v as unknown[], depth + 1);
        if (v instanceof Date) return this.num(v.getTime());
        return this.map(v as Record<string, unknown>, depth + 1);
      default:
        throw new Error(`cannot encode a ${typeof v} for a guest`);
    }
  }

  private header(small: number, n: number, smallMax: number, c16: number, c32: number): void {
    this.ensure(5);
    const b = this.buf;
    if (n <= smallMax) b[this.pos++] = small | n;
    else if (n < 0x10000) {
      b[this.pos++] = c16;
      b[this.pos++] = n >>> 8;
      b[this.pos++] = n & 0xff;
    } else {
      b[this.pos++] = c32;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    }
  }

  private map(o: Record<string, unknown>, depth: number): void {
    let n = 0;
    for (const k in o) if (o[k] !== undefined) n++;
    this.header(0x80, n, 15, 0xde, 0xdf);
    for (const k in o) {
      const v = o[k];
      if (v === undefined) continue;
      this.str(k);
      this.value(v, depth);
    }
  }

  private array(a: readonly unknown[], depth: number): void {
    this.header(0x90, a.length, 15, 0xdc, 0xdd);
    for (const v of a) this.value(v, depth);
  }

  private str(s: string): void {
    const n = s.length;
    if (n < 32) {
      // Short ASCII (field names, most values): written directly with its exact fixstr header.
      this.ensure(1 + n);
      const b = this.buf;
      let p = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === n) {
        b[this.pos] = 0xa0 | n;
        this.pos = p;
        return;
      }
    }
    // Reserve the header for the largest possible byte length (a longer header than the minimum is
    // still valid MessagePack), write the UTF-8, then fill the length in.
    const max = n * 3;
    const head = max < 32 ? 1 : max < 0x100 ? 2 : max < 0x10000 ? 3 : 5;
    this.ensure(head + max);
    const len = this.buf.write(s, this.pos + head, 'utf8');
    const b = this.buf;
    if (head === 1) b[this.pos] = 0xa0 | len;
    else if (head === 2) {
      b[this.pos] = 0xd9;
      b[this.pos + 1] = len;
    } else if (head === 3) {
      b[this.pos] = 0xda;
      b[this.pos + 1] = len >>> 8;
      b[this.pos + 2] = len & 0xff;
    } else {
      b[this.pos] = 0xdb;
      this.view.setUint32(this.pos + 1, len);
    }
    this.pos += head + len;
  }

  private bin(v: Uint8Array): void {
    const n = v.length;
    this.ensure(5 + n);
    const b = this.buf;
    if (n < 0x100) {
      b[this.pos++] = 0xc4;
      b[this.pos++] = n;
    } else if (n < 0x10000) {
      b[this.pos++] = 0xc5;
      b[this.pos++] = n >>> 8;
      b[this.pos++] = n & 0xff;
    } else {
      b[this.pos++] = 0xc6;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    }
    b.set(v, this.pos);
    this.pos += n;
  }

  private num(v: number): void {
    this.ensure(9);
    const b = this.buf;
    if (!Number.isSafeInteger(v)) {
      b[this.pos++] = 0xcb;
      this.view.setFloat64(this.pos, v);
      this.pos += 8;
    } else if (v >= 0) {
      if (v < 0x80) b[this.pos++] = v;
      else if (v < 0x100) {
        b[this.pos++] = 0xcc;
        b[this.pos++] = v;
      } else if (v < 0x10000) {
        b[this.pos++] = 0xcd;
        b[this.pos++] = v >>> 8;
        b[this.pos++] = v & 0xff;
      } else if (v < TWO_32) {
        b[this.pos++] = 0xce;
        this.view.setUint32(this.pos, v);
        this.pos += 4;
      } else {
        b[this.pos++] = 0xcf;
        this.int64(v);
      }
    } else if (v >= -32) {
      b[this.pos++] = v & 0xff;
    } else if (v >= -0x80) {
      b[this.pos++] = 0xd0;
      b[this.pos++] = v & 0xff;
    } else if (v >= -0x8000) {
      b[this.pos++] = 0xd1;
      this.view.setInt16(this.pos, v);
      this.pos += 2;
    } else if (v >= -0x80000000) {
      b[this.pos++] = 0xd2;
      this.view.setInt32(this.pos, v);
      this.pos += 4;
    } else {
      b[this.pos++] = 0xd3;
      this.int64(v);
    }
  }

  /** A safe integer as a big-endian 64-bit two's complement, without a BigInt. */
  private int64(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.view.setInt32(this.pos, hi);
    this.view.setUint32(this.pos + 4, v - hi * TWO_32);
    this.pos += 8;
  }

  private big(v: bigint): void {
    if (v >= -(2n ** 63n) && v < 2n ** 63n) {
      this.ensure(9);
      this.buf[this.pos++] = 0xd3;
      this.view.setBigInt64(this.pos, v);
      this.pos += 8;
    } else this.str(v.toString()); // beyond int64: its decimal str, as the engine's JSON does
  }
}

const shared = new GuestEncoder();

/** Encodes a host value for a guest into a fresh array (tests, one-off use; the host reuses a GuestEncoder). */
export function encodeForGuest(value: unknown): Uint8Array {
  return new Uint8Array(shared.bytes(shared.encode(value)));
}
