/**
 * The newest applied PLog rows of a partition, kept in memory (bounded) so the partition's async
 * projectors can take the events of the batch just applied without reading the row back from
 * storage. The rows hold the very bytes that were written, so a projector decodes exactly what it
 * would have read. A projector that is further behind than the tail (after a restart, a backoff,
 * or a burst larger than the bound) reads the PLog from storage as before.
 */
import type { PLogRow } from '../store/app-store.js';

export interface RecentRowsLimits {
  /** Rows kept at most. */
  readonly maxRows: number;
  /** Encoded event bytes kept at most (the newest row is always kept, whatever its size). */
  readonly maxBytes: number;
}

/**
 * Projectors are usually one row behind, so a short tail serves them; the bound matters because a
 * node keeps one per partition of every app with async projectors.
 */
export const DEFAULT_RECENT_ROWS: RecentRowsLimits = { maxRows: 64, maxBytes: 1024 * 1024 };

export class RecentRows {
  private rows: PLogRow[] = [];
  private sizes: number[] = [];
  private bytes = 0;

  constructor(private readonly limits: RecentRowsLimits = DEFAULT_RECENT_ROWS) {}

  /** Appends the row applied after the current newest one; a gap (e.g. after recovery) restarts the tail. */
  append(row: PLogRow): void {
    const last = this.rows[this.rows.length - 1];
    if (last !== undefined && last.firstOffset + last.events.length !== row.firstOffset) this.clear();
    let size = 0;
    for (const e of row.events) size += e.length;
    this.rows.push(row);
    this.sizes.push(size);
    this.bytes += size;
    let drop = 0;
    while (
      this.rows.length - drop > 1 &&
      (this.rows.length - drop > this.limits.maxRows || this.bytes > this.limits.maxBytes)
    ) {
      this.bytes -= this.sizes[drop]!;
      drop++;
    }
    if (drop > 0) {
      this.rows = this.rows.slice(drop);
      this.sizes = this.sizes.slice(drop);
    }
  }

  /**
   * The kept rows from the one starting at `offset` on, or undefined when no kept row starts
   * there (older than the tail, or not a row boundary): the caller then reads storage.
   */
  from(offset: number): readonly PLogRow[] | undefined {
    // Projectors are usually one row behind, so search from the newest row backwards.
    for (let i = this.rows.length - 1; i >= 0; i--) {
      const first = this.rows[i]!.firstOffset;
      if (first === offset) return this.rows.slice(i);
      if (first < offset) return undefined;
    }
    return undefined;
  }

  clear(): void {
    this.rows = [];
    this.sizes = [];
    this.bytes = 0;
  }
}
