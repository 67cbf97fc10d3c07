import { describe, expect, it } from 'vitest';
import { CLEAR_LINE } from './ansi.js';
import { withProgress } from './progress.js';

function collector(isTTY: boolean): { isTTY: boolean; writes: string[]; write(s: string): void } {
  const writes: string[] = [];
  return { isTTY, writes, write: (s) => void writes.push(s) };
}

describe('progress', () => {
  it('on a terminal: redraws label and elapsed time, follows label changes, erases the line at the end', async () => {
    const stream = collector(true);
    const value = await withProgress(stream, 'building app', true, async (progress) => {
      await new Promise((resolve) => setTimeout(resolve, 250));
      progress.update('uploading 22.1 KB');
      return 42;
    });
    expect(value).toBe(42);
    expect(stream.writes.length).toBeGreaterThanOrEqual(4);
    expect(stream.writes[0]!.startsWith(CLEAR_LINE)).toBe(true);
    expect(stream.writes[0]!.slice(CLEAR_LINE.length)).toMatch(/^⠋ building app 0\.\ds$/);
    expect(stream.writes.some((w) => /uploading 22\.1 KB 0\.[2-9]s$/.test(w))).toBe(true);
    expect(stream.writes.at(-1)).toBe(CLEAR_LINE);
  });

  it('erases the line when the work fails, and writes nothing when not enabled', async () => {
    const stream = collector(true);
    await expect(withProgress(stream, 'x', true, () => Promise.reject(new Error('nope')))).rejects.toThrow('nope');
    expect(stream.writes.at(-1)).toBe(CLEAR_LINE);
    const quiet = collector(false);
    expect(await withProgress(quiet, 'x', false, () => Promise.resolve('done'))).toBe('done');
    expect(quiet.writes).toEqual([]);
  });
});
