import { describe, expect, it } from 'vitest';
import type { PLogRow } from '../store/app-store.js';
import { RecentRows } from './recent-rows.js';

/** A row of `count` events of `size` bytes each, starting at `first`. */
function row(first: number, count: number, size = 10): PLogRow {
  return { firstOffset: first, events: Array.from({ length: count }, () => new Uint8Array(size)) };
}

const offsets = (rows: readonly PLogRow[] | undefined): number[] | undefined => rows?.map((r) => r.firstOffset);

describe('RecentRows', () => {
  it('answers from a row boundary with that row and every newer one', () => {
    const tail = new RecentRows({ maxRows: 10, maxBytes: 1_000_000 });
    tail.append(row(1, 3));
    tail.append(row(4, 1));
    tail.append(row(5, 2));
    expect(offsets(tail.from(1))).toEqual([1, 4, 5]);
    expect(offsets(tail.from(4))).toEqual([4, 5]);
    expect(offsets(tail.from(5))).toEqual([5]);
  });

  it('does not answer inside a row, before the tail or after it (the caller reads storage)', () => {
    const tail = new RecentRows({ maxRows: 10, maxBytes: 1_000_000 });
    tail.append(row(10, 3));
    tail.append(row(13, 2));
    expect(tail.from(11)).toBeUndefined();
    expect(tail.from(14)).toBeUndefined();
    expect(tail.from(9)).toBeUndefined();
    expect(tail.from(15)).toBeUndefined();
  });

  it('keeps at most maxRows rows, dropping the oldest', () => {
    const tail = new RecentRows({ maxRows: 2, maxBytes: 1_000_000 });
    for (let i = 1; i <= 5; i++) tail.append(row(i, 1));
    expect(tail.from(3)).toBeUndefined();
    expect(offsets(tail.from(4))).toEqual([4, 5]);
  });

  it('keeps at most maxBytes of events, but always the newest row', () => {
    const tail = new RecentRows({ maxRows: 100, maxBytes: 100 });
    tail.append(row(1, 4, 10)); // 40 bytes
    tail.append(row(5, 4, 10)); // 80
    tail.append(row(9, 3, 10)); // 110 > 100: the first row goes
    expect(tail.from(1)).toBeUndefined();
    expect(offsets(tail.from(5))).toEqual([5, 9]);
    tail.append(row(12, 1, 500)); // alone above the bound: kept, everything older dropped
    expect(tail.from(5)).toBeUndefined();
    expect(tail.from(9)).toBeUndefined();
    expect(offsets(tail.from(12))).toEqual([12]);
  });

  it('restarts after a gap, so it never answers with rows that skip offsets', () => {
    const tail = new RecentRows({ maxRows: 10, maxBytes: 1_000_000 });
    tail.append(row(1, 2));
    tail.append(row(7, 1)); // offsets 3..6 were never appended (e.g. replayed by recovery)
    expect(tail.from(1)).toBeUndefined();
    expect(offsets(tail.from(7))).toEqual([7]);
  });

  it('answers nothing after clear()', () => {
    const tail = new RecentRows();
    tail.append(row(1, 1));
    tail.clear();
    expect(tail.from(1)).toBeUndefined();
  });

  it('hands out the appended bytes themselves', () => {
    const tail = new RecentRows();
    const r = row(1, 2);
    tail.append(r);
    expect(tail.from(1)?.[0]?.events[1]).toBe(r.events[1]);
  });
});
