import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

/** Runs a child that starts the watchdog and then does `then` (JS source), with tsx. */
function runChild(
  then: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }> {
  const script = `
    import { startWatchdog } from ${JSON.stringify(join(import.meta.dirname, 'watchdog.ts'))};
    const dog = startWatchdog({ stallMs: 300, intervalMs: 50 });
    ${then}
  `;
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - started }));
  });
}

describe('startWatchdog', () => {
  it('kills a process whose event loop is blocked', async () => {
    const result = await runChild('setTimeout(() => { for (;;) {} }, 200);');
    expect(result.signal).toBe('SIGKILL');
    expect(result.stderr).toContain('event loop blocked');
  }, 30_000);

  it('leaves a healthy process alone and does not keep it alive', async () => {
    const result = await runChild(
      'let n = 0; const t = setInterval(() => { if (++n === 10) { clearInterval(t); dog.stop().then(() => console.error("done")); } }, 100);',
    );
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('done');
  }, 30_000);
});
