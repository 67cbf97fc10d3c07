import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogBuffer } from './log-buffer.js';
import type { LogEntry } from './types.js';

const line = (fields: Record<string, unknown>): string => `${JSON.stringify({ level: 30, time: 1000, ...fields })}\n`;

describe('createLogBuffer', () => {
  it('works as a pino multistream destination next to another stream', () => {
    const buffer = createLogBuffer();
    const copied: string[] = [];
    const other = new Writable({
      write(chunk: Buffer, _enc, done) {
        copied.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'info' }, pino.multistream([{ stream: other }, { stream: buffer }]));
    logger.info({ app: 'acme/shop', orderId: 7 }, 'order placed');
    logger.child({ app: 'acme/todo' }).warn('slow');
    logger.debug('hidden by level');
    const { entries, next } = buffer.read({ limit: 10 });
    expect(next).toBe(2);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ seq: 1, level: 30, msg: 'order placed', app: 'acme/shop', orderId: 7 });
    expect(typeof entries[0]!.time).toBe('number');
    expect(entries[0]).toHaveProperty('pid');
    expect(entries[1]).toMatchObject({ seq: 2, level: 40, msg: 'slow', app: 'acme/todo' });
  });

  it('ignores unparsable lines, splits multi-line chunks and normalises fields', () => {
    const buffer = createLogBuffer();
    buffer.write('not json\n');
    buffer.write('[1,2]\n');
    buffer.write(`${line({ msg: 'a' })}${line({ msg: 'b', level: 'warn', time: '2030-01-01T00:00:00.000Z' })}`);
    buffer.write(Buffer.from(line({ seq: 99, app: 42 })));
    const { entries } = buffer.read({ limit: 10 });
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(entries[1]).toMatchObject({ msg: 'b', level: 40, time: Date.UTC(2030, 0, 1) });
    // msg defaults to '', a line's own seq never wins, a non-string app is dropped.
    expect(entries[2]).toEqual({ seq: 3, level: 30, time: 1000, msg: '' });
  });

  it('drops fields named like secrets at top level', () => {
    const buffer = createLogBuffer();
    buffer.write(
      line({
        msg: 'x',
        token: 't',
        Authorization: 'Bearer abc',
        password: 'p',
        value: 'v',
        privateJwk: { d: 'x' },
        secret: 's',
        keep: { nested: 1 },
      }),
    );
    expect(buffer.read({ limit: 1 }).entries[0]).toEqual({
      seq: 1,
      level: 30,
      time: 1000,
      msg: 'x',
      keep: { nested: 1 },
    });
  });

  it('keeps only the start of oversized lines', () => {
    const buffer = createLogBuffer();
    buffer.write(line({ msg: 'm'.repeat(70_000), app: 'a/b', blob: 'x' }));
    const [entry] = buffer.read({ limit: 1 }).entries;
    expect(entry).toEqual({ seq: 1, level: 30, time: 1000, msg: 'm'.repeat(1024), app: 'a/b', truncated: true });
  });

  it('is a ring: the oldest entries are dropped, seq keeps counting', () => {
    const buffer = createLogBuffer(3);
    for (let i = 1; i <= 7; i++) buffer.write(line({ msg: `m${i}` }));
    expect(buffer.size).toBe(3);
    const { entries, next } = buffer.read({ limit: 100 });
    expect(entries.map((e) => [e.seq, e.msg])).toEqual([
      [5, 'm5'],
      [6, 'm6'],
      [7, 'm7'],
    ]);
    expect(next).toBe(7);
    expect(() => createLogBuffer(0)).toThrow(RangeError);
  });

  it('reads the newest `limit` entries after `since` in ascending order, optionally of one app', () => {
    const buffer = createLogBuffer(100);
    for (let i = 1; i <= 20; i++) buffer.write(line({ msg: `m${i}`, app: i % 2 === 0 ? 'a/even' : 'a/odd' }));
    const seqs = (r: { entries: LogEntry[] }): number[] => r.entries.map((e) => e.seq);
    expect(seqs(buffer.read({ limit: 3 }))).toEqual([18, 19, 20]);
    expect(seqs(buffer.read({ since: 15, limit: 100 }))).toEqual([16, 17, 18, 19, 20]);
    expect(seqs(buffer.read({ since: 15, limit: 2 }))).toEqual([19, 20]);
    expect(seqs(buffer.read({ since: 20, limit: 10 }))).toEqual([]);
    expect(seqs(buffer.read({ since: 0, limit: 2 }))).toEqual([19, 20]);
    expect(seqs(buffer.read({ limit: 3, app: 'a/even' }))).toEqual([16, 18, 20]);
    expect(seqs(buffer.read({ since: 14, limit: 10, app: 'a/odd' }))).toEqual([15, 17, 19]);
    expect(seqs(buffer.read({ limit: 10, app: 'a/none' }))).toEqual([]);
    // next is the newest seq of the whole buffer, filtered or not: poll with since=next.
    expect(buffer.read({ limit: 1, app: 'a/odd' }).next).toBe(20);
    expect(createLogBuffer().read({ limit: 5 })).toEqual({ entries: [], next: 0 });
  });

  it('notifies subscribers synchronously; a throwing listener is removed without hurting others', () => {
    const buffer = createLogBuffer();
    const seen: number[] = [];
    let bad = 0;
    const unsubscribe = buffer.subscribe((e) => seen.push(e.seq));
    buffer.subscribe(() => {
      bad++;
      throw new Error('dead stream');
    });
    buffer.write(line({ msg: 'a' }));
    expect(seen).toEqual([1]);
    buffer.write(line({ msg: 'b' }));
    expect(seen).toEqual([1, 2]);
    expect(bad).toBe(1);
    unsubscribe();
    buffer.write(line({ msg: 'c' }));
    expect(seen).toEqual([1, 2]);
  });

  it('hands out frozen entries', () => {
    const buffer = createLogBuffer();
    buffer.write(line({ msg: 'a' }));
    expect(Object.isFrozen(buffer.read({ limit: 1 }).entries[0])).toBe(true);
  });
});
