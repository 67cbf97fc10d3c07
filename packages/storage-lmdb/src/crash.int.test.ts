import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { createLmdbDriver } from './lmdb-driver.js';
import { expectedValue, keyOf } from './crash-data.js';

const dir = mkdtempSync(join(tmpdir(), 'stoa-lmdb-crash-'));
const COUNT = 20_000;
const KILL_AFTER = 500;
const ackedByRound = new Map<number, number[]>();

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ChildRun {
  acked: number[];
  sawDone: boolean;
  signal: NodeJS.Signals | null;
}

/** Runs the writer until it has acknowledged KILL_AFTER writes, then SIGKILLs it. */
function runAndKill(round: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'crash-writer.ts'), dir, String(round), String(COUNT), '20'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const acked: number[] = [];
    let sawDone = false;
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'done') sawDone = true;
      const match = /^ack (\d+)$/.exec(line);
      if (match === null) return;
      acked.push(Number(match[1]));
      if (acked.length === KILL_AFTER) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === null && code !== 0) reject(new Error(`writer exited with ${code}: ${stderr}`));
      else resolve({ acked, sawDone, signal });
    });
  });
}

describe('lmdb crash safety', () => {
  for (const round of [1, 2, 3]) {
    it(`round ${round}: every write acknowledged before SIGKILL is on disk`, async () => {
      const run = await runAndKill(round);
      expect(run.signal).toBe('SIGKILL');
      expect(run.sawDone).toBe(false);
      expect(run.acked.length).toBeGreaterThanOrEqual(KILL_AFTER);

      // Reopening takes over the dead child's lock and recovers the environment.
      const driver = createLmdbDriver({ path: dir });
      try {
        const app = await driver.openApp('crash_app');
        const keys = run.acked.map((id) => keyOf(round, id));
        const values = await app.getBatch(keys);
        const missing = run.acked.filter((_, i) => values[i] === undefined);
        expect(missing).toEqual([]);
        run.acked.forEach((id, i) => expect(Buffer.compare(values[i]!, expectedValue(round, id))).toBe(0));
        // Earlier rounds survive later crashes and recoveries too.
        for (const [earlier, ids] of ackedByRound) {
          const again = await app.getBatch(ids.map((id) => keyOf(earlier, id)));
          ids.forEach((id, i) => expect(Buffer.compare(again[i]!, expectedValue(earlier, id))).toBe(0));
        }
        ackedByRound.set(round, run.acked);
      } finally {
        await driver.close();
      }
    }, 90_000);
  }
});
