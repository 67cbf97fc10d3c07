// Background start of slow services for `npm test` (see scripts/test.mjs). Each service is
// optional: if its starter script is missing or fails, the integration tests' own global setup
// tries again and, failing that, reports its suite as skipped with the reason.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function startBackgroundServices(root) {
  /** @type {{name: string, promise: Promise<string>, stop: () => Promise<void>}[]} */
  const started = [];
  const cassandra = join(root, 'scripts/cassandra/start.mjs');
  if (existsSync(cassandra) && process.env.STOA_TEST_CASSANDRA !== 'off') {
    const dataDir = join(root, '.stoa/test-cassandra');
    const t0 = Date.now();
    const child = spawn(process.execPath, [cassandra, '--detach', '--data-dir', dataDir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const promise = new Promise((resolve) => {
      child.on('exit', (code) =>
        resolve(
          code === 0
            ? `cassandra: ready after ${Date.now() - t0} ms (${out.trim().split('\n').slice(-1)[0] ?? ''})`
            : `cassandra: background start failed (exit ${code}); tests will retry or skip\n${out.slice(-2000)}`,
        ),
      );
    });
    started.push({
      name: 'cassandra',
      promise,
      stop: () =>
        new Promise((resolve) => {
          if (out.includes('reused')) return resolve();
          const s = spawn(process.execPath, [cassandra, '--stop', '--data-dir', dataDir], { stdio: 'ignore' });
          s.on('exit', () => resolve());
        }),
    });
  }
  return {
    ready: () => Promise.all(started.map((s) => s.promise)),
    stop: async () => {
      for (const s of started) await s.stop();
    },
  };
}
