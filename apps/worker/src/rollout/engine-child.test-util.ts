/**
 * A real engine node as a child process for the rollout tests (the worker may not import the
 * engine): `node --import tsx apps/engine/src/main.ts` on the mem backend, no folder apps, trusting
 * the given admin public key, on a free port. Ready when `/readyz` answers 200.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdminPublicJwk } from '@stoa/client/admin';
import { inheritedChildEnv } from '../../test/setup-child-env.js';

const ROOT = join(import.meta.dirname, '../../../..');

export interface EngineChild {
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/** A TCP port free on 127.0.0.1 right now (for a child server of a test). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export async function startEngine(adminPublicKey: AdminPublicJwk): Promise<EngineChild> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'stoa-worker-engine-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/engine/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...inheritedChildEnv(),
      STOA_ENGINE_PORT: String(port),
      STOA_STORAGE: 'mem',
      STOA_DATA_DIR: dataDir,
      STOA_ADMIN_PUBLIC_KEY: JSON.stringify(adminPublicKey),
      STOA_LOG_LEVEL: 'warn',
      STOA_WATCHDOG_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`engine exited during start:\n${output}`);
      if (Date.now() > deadline) throw new Error(`engine not ready after 90 s:\n${output}`);
      const ready = await fetch(`${url}/readyz`).then(
        async (res) => (await res.arrayBuffer(), res.status === 200),
        () => false,
      );
      if (ready) return { url, output: () => output, stop };
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (error) {
    await stop();
    throw error;
  }
}
