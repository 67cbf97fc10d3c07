import { compareBytes } from '../bytes.js';
import type { Bytes } from '../contract.js';

export interface MemEntry {
  readonly ck: Uint8Array;
  value: Uint8Array;
  /** Epoch ms; 0 = never. */
  expiresAt: number;
}

/** One partition: entries sorted by clustering key, found by binary search. */
export class Partition {
  readonly entries: MemEntry[] = [];

  /** Index of the first entry with ck >= `ck`. */
  lowerBound(ck: Bytes): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareBytes(this.entries[mid]!.ck, ck) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  find(ck: Bytes): MemEntry | undefined {
    const at = this.lowerBound(ck);
    const entry = this.entries[at];
    return entry !== undefined && compareBytes(entry.ck, ck) === 0 ? entry : undefined;
  }

  /** Sets a value; `ck` and `value` must already be private copies. */
  set(ck: Uint8Array, value: Uint8Array, expiresAt: number): void {
    const at = this.lowerBound(ck);
    const entry = this.entries[at];
    if (entry !== undefined && compareBytes(entry.ck, ck) === 0) {
      entry.value = value;
      entry.expiresAt = expiresAt;
    } else {
      this.entries.splice(at, 0, { ck, value, expiresAt });
    }
  }

  delete(ck: Bytes): void {
    const at = this.lowerBound(ck);
    const entry = this.entries[at];
    if (entry !== undefined && compareBytes(entry.ck, ck) === 0) this.entries.splice(at, 1);
  }

  /** Entries in `[from, to)` (open ends when undefined), ascending. */
  slice(from: Bytes | undefined, to: Bytes | undefined): MemEntry[] {
    const start = from === undefined ? 0 : this.lowerBound(from);
    const end = to === undefined ? this.entries.length : this.lowerBound(to);
    return start < end ? this.entries.slice(start, end) : [];
  }
}
