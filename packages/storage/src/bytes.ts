import type { Bytes } from './contract.js';

/** Unsigned lexicographic order, the order of clustering keys in every backend: -1, 0 or 1. */
export function compareBytes(a: Bytes, b: Bytes): -1 | 0 | 1 {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

export function equalBytes(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A private copy, so neither the caller nor the backend can mutate the other's buffer. */
export function copyBytes(b: Bytes): Uint8Array {
  return new Uint8Array(b);
}

export function concatBytes(...parts: readonly Bytes[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function toHex(b: Bytes): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError(`not a hex string: ${hex}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function fromUtf8(b: Bytes): string {
  return new TextDecoder().decode(b);
}

/**
 * The smallest key greater than every key starting with `prefix`, for the half-open range
 * `[prefix, prefixEnd(prefix))`. Undefined when no such bound exists (empty or all-0xFF prefix):
 * pass it as an open end.
 */
export function prefixEnd(prefix: Bytes): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] !== 0xff) {
      const out = prefix.slice(0, i + 1);
      out[i] = out[i]! + 1;
      return out;
    }
  }
  return undefined;
}

/** The immediate successor in byte order (`b` followed by 0x00): turns an inclusive end into an exclusive one. */
export function nextKey(b: Bytes): Uint8Array {
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
}
