// In a child process (it patches the global setTimeout): a long timer no longer keeps the process
// alive, a short one still runs.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MODULE = join(import.meta.dirname, 'unref-long-timers.ts');

describe('unrefLongTimers', () => {
  it('lets the process exit while a 60 s timer is pending, after short timers ran', async () => {
    const script = `
      const { unrefLongTimers } = await import(${JSON.stringify(MODULE)});
      unrefLongTimers();
      unrefLongTimers(); // idempotent
      setTimeout(() => console.log('long timer fired'), 60_000);
      setTimeout(() => console.log('short timer fired'), 50);
    `;
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: import.meta.dirname,
    });
    expect(stdout.trim()).toBe('short timer fired');
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
