/**
 * Stored values (records, events, view rows, metadata) are MessagePack (msgpackr: fast, compact,
 * binary-safe) behind one version byte, so the format can change without reading old bytes wrong.
 * Undefined properties are dropped; Uint8Arrays round-trip as bytes; int64 values beyond 2^53 are
 * kept as decimal strings by the engine, so no BigInt reaches the codec.
 */
import { Packr } from 'msgpackr';

export const VALUE_CODEC_VERSION = 1;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export class ValueCodecError extends Error {}

export function encodeValue(value: unknown): Uint8Array {
  const body = packr.pack(value);
  const out = new Uint8Array(body.length + 1);
  out[0] = VALUE_CODEC_VERSION;
  out.set(body, 1);
  return out;
}

export function decodeValue<T>(bytes: Uint8Array): T {
  if (bytes[0] !== VALUE_CODEC_VERSION) {
    throw new ValueCodecError(`unknown value codec version ${bytes[0]}`);
  }
  return packr.unpack(bytes.subarray(1)) as T;
}
