import { createHash } from 'node:crypto';

/** Keys spread over a few partitions so writes hit different pages. */
export function keyOf(round: number, id: number): { pk: Uint8Array; ck: Uint8Array } {
  const pk = new TextEncoder().encode(`round-${round}-p${id % 8}`);
  const ck = new Uint8Array(4);
  new DataView(ck.buffer).setUint32(0, id);
  return { pk, ck };
}

/** A value whose every byte depends on the key, 64–1088 bytes long. */
export function expectedValue(round: number, id: number): Uint8Array {
  const seed = createHash('sha256').update(`${round}/${id}`).digest();
  const size = 64 + (seed[0]! << 2);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = seed[i % seed.length]! ^ (i & 0xff);
  return out;
}
