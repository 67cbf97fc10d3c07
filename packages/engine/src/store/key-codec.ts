/**
 * Order-preserving encoding of typed values into key bytes: for two values of one field kind,
 * unsigned byte order of the encodings equals value order. Views sort and range-read by these
 * bytes, so unlike Voedger (plain big-endian, negatives after positives) negative numbers sort
 * first:
 *   - int8/16/32: fixed width big-endian two's complement with the sign bit flipped.
 *   - int64/timestamp/currency: 8 bytes, same trick on a BigInt.
 *   - ref (ids, 0 ≤ id < 2^53): 8 bytes big-endian unsigned.
 *   - float32/float64: IEEE bits; positives get the sign bit set, negatives have every bit inverted
 *     (the IEEE total-order trick). -0 is stored as 0 and every NaN as the canonical quiet NaN (which
 *     sorts after +Infinity) so equal values have one encoding.
 *   - bool: one byte 0/1.
 *   - varchar/qname/bytes: the bytes (UTF-8 for text) with 0x00 escaped as 0x00 0xFF and a 0x00 0x01
 *     terminator. The terminator sorts below every escaped byte, so a string sorts before its
 *     extensions ("ab" < "ab\0" < "abc") and a variable-length column can sit anywhere in a
 *     multi-column key without its bytes bleeding into the next column's order.
 */
import type { FieldKind } from '@stoa/vsql';

export type KeyFieldKind = Exclude<FieldKind, 'record'>;

const TWO_63 = 1n << 63n;
const MASK_64 = (1n << 64n) - 1n;

/**
 * Keys are built synchronously and copied out by `finish()`, so one scratch buffer serves almost
 * every writer; a writer created while another holds it (a key part encoded inside a key) gets its
 * own buffer. A writer abandoned before `finish()` (early return, throw) keeps the scratch only
 * until the current synchronous run ends: no writer lives across an await.
 */
const SCRATCH = new Uint8Array(512);
const SCRATCH_VIEW = new DataView(SCRATCH.buffer);
let scratchTaken = false;
let resetPending = false;

function resetScratch(): void {
  resetPending = false;
  scratchTaken = false;
}

export class KeyWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;
  private ownsScratch = false;

  constructor(initial = 64) {
    if (!scratchTaken) {
      scratchTaken = true;
      this.ownsScratch = true;
      this.buf = SCRATCH;
      this.view = SCRATCH_VIEW;
    } else {
      this.buf = new Uint8Array(initial);
      this.view = new DataView(this.buf.buffer);
      if (!resetPending) {
        resetPending = true;
        queueMicrotask(resetScratch);
      }
    }
  }

  private release(): void {
    if (!this.ownsScratch) return;
    this.ownsScratch = false;
    scratchTaken = false;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.len, v);
    this.len += 2;
    return this;
  }

  /** Unsigned integer below 2^53 (ids, offsets, WSIDs) as 8 bytes big-endian. */
  u64(v: number): this {
    this.ensure(8);
    this.view.setUint32(this.len, Math.floor(v / 0x1_0000_0000));
    this.view.setUint32(this.len + 4, v >>> 0);
    this.len += 8;
    return this;
  }

  /** Escaped, terminated byte string (see the header). */
  bytes(b: Uint8Array): this {
    this.ensure(b.length * 2 + 2);
    for (const x of b) {
      this.buf[this.len++] = x;
      if (x === 0) this.buf[this.len++] = 0xff;
    }
    this.buf[this.len++] = 0;
    this.buf[this.len++] = 1;
    return this;
  }

  str(s: string): this {
    return this.bytes(Buffer.from(s, 'utf8'));
  }

  signed(v: number, width: 1 | 2 | 4): this {
    this.ensure(width);
    if (width === 1) this.buf[this.len] = (v & 0xff) ^ 0x80;
    else if (width === 2) this.view.setUint16(this.len, (v & 0xffff) ^ 0x8000);
    else this.view.setUint32(this.len, ((v | 0) ^ 0x8000_0000) >>> 0);
    this.len += width;
    return this;
  }

  int64(v: bigint): this {
    this.ensure(8);
    this.view.setBigUint64(this.len, (BigInt.asUintN(64, v) ^ TWO_63) & MASK_64);
    this.len += 8;
    return this;
  }

  float(v: number, width: 4 | 8): this {
    this.ensure(width);
    const x = Object.is(v, -0) ? 0 : v;
    const at = this.len;
    if (width === 4) {
      this.view.setFloat32(at, Number.isNaN(x) ? NaN : x);
      const bits = this.view.getUint32(at);
      this.view.setUint32(at, (bits & 0x8000_0000 ? ~bits : bits | 0x8000_0000) >>> 0);
    } else {
      this.view.setFloat64(at, Number.isNaN(x) ? NaN : x);
      const bits = this.view.getBigUint64(at);
      this.view.setBigUint64(at, bits & TWO_63 ? ~bits & MASK_64 : bits | TWO_63);
    }
    this.len += width;
    return this;
  }

  /** Appends raw bytes (an already encoded key part). */
  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** A value of a field kind. The value must already be validated/normalised for that kind. */
  field(kind: KeyFieldKind, value: unknown): this {
    switch (kind) {
      case 'int8':
        return this.signed(Number(value), 1);
      case 'int16':
        return this.signed(Number(value), 2);
      case 'int32':
        return this.signed(Number(value), 4);
      case 'int64':
      case 'timestamp':
      case 'currency':
        return this.int64(toBigInt(value));
      case 'float32':
        return this.float(Number(value), 4);
      case 'float64':
        return this.float(Number(value), 8);
      case 'bool':
        return this.u8(value === true ? 1 : 0);
      case 'ref':
      case 'blob':
        return this.u64(Number(value));
      case 'varchar':
      case 'qname':
        return this.str(String(value));
      case 'bytes':
        return this.bytes(value instanceof Uint8Array ? value : Buffer.from(String(value), 'base64'));
    }
  }

  finish(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.release();
    return out;
  }
}

function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  return BigInt(String(value));
}

/** Encodes one value of a kind on its own (tests, uniques). */
export function encodeKeyValue(kind: KeyFieldKind, value: unknown): Uint8Array {
  return new KeyWriter(16).field(kind, value).finish();
}
