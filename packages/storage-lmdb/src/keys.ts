/**
 * On-disk layout of one app's sub-database.
 *
 *   key   = len(pk) as u16 BE | pk | ck     — one partition is a contiguous run ordered by ck,
 *                                            and the length prefix keeps pk [01] apart from pk [01 00]
 *   value = expiresAt as u64 BE (epoch ms, 0 = never) | value bytes
 *
 * LMDB's key limit (1978 bytes at the default 4 KiB page size) covers the whole composed key:
 * 2 + 988 + 988, so pk and ck may each be up to 988 bytes.
 */
import type { Bytes } from '@stoa/storage';

export const LMDB_MAX_KEY_SIZE = 1978;
export const MAX_PART_BYTES = (LMDB_MAX_KEY_SIZE - 2) / 2;
const EXPIRY_BYTES = 8;

/** `len(pk) | pk`: the common prefix of every key in the partition. */
export function partitionPrefix(pk: Bytes): Buffer {
  const out = Buffer.allocUnsafe(2 + pk.length);
  out.writeUInt16BE(pk.length, 0);
  out.set(pk, 2);
  return out;
}

/** `len(pk) | pk | ck` in one allocation (point reads and writes). */
export function entryKey(pk: Bytes, ck: Bytes): Buffer {
  const out = Buffer.allocUnsafe(2 + pk.length + ck.length);
  out.writeUInt16BE(pk.length, 0);
  out.set(pk, 2);
  out.set(ck, 2 + pk.length);
  return out;
}

export function composeKey(prefix: Buffer, ck: Bytes): Buffer {
  const out = Buffer.allocUnsafe(prefix.length + ck.length);
  out.set(prefix, 0);
  out.set(ck, prefix.length);
  return out;
}

/**
 * The first key after every key of the partition. Never undefined: the u16 length prefix of a
 * pk ≤ 988 bytes is never 0xFFFF, so incrementing always terminates within the prefix.
 */
export function partitionEnd(prefix: Buffer): Buffer {
  const out = Buffer.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== 0xff) {
      out[i] = out[i]! + 1;
      return out.subarray(0, i + 1);
    }
  }
  throw new Error('unreachable: partition prefix of all 0xFF bytes');
}

export function encodeValue(value: Bytes, expiresAt: number): Buffer {
  const out = Buffer.allocUnsafe(EXPIRY_BYTES + value.length);
  out.writeUIntBE(0, 0, 2);
  out.writeUIntBE(expiresAt, 2, 6);
  out.set(value, EXPIRY_BYTES);
  return out;
}

export function expiryOf(stored: Buffer): number {
  return stored.readUIntBE(2, 6);
}

export function isLive(stored: Buffer, now: number): boolean {
  const expiresAt = expiryOf(stored);
  return expiresAt === 0 || expiresAt > now;
}

// Buffers from lmdb's getBinaryFast are reused and over-long: their `length` property is the
// value's length but their typed-array length is the whole shared area, so every slice below
// passes `stored.length` explicitly.

/** A private copy of the user value. */
export function valueOf(stored: Buffer): Uint8Array {
  return Uint8Array.prototype.slice.call(stored, EXPIRY_BYTES, stored.length);
}

export function storedEquals(stored: Buffer, expected: Bytes): boolean {
  if (stored.length - EXPIRY_BYTES !== expected.length) return false;
  return Buffer.compare(stored.subarray(EXPIRY_BYTES, stored.length), expected) === 0;
}
