/**
 * A real engine node as a child process for the client's integration tests (the client may not
 * import the engine): `node --import tsx apps/engine/src/main.ts` on the mem backend with
 * examples/todo and examples/shop, on a free port. Ready when `/readyz` answers 200; the dev
 * tokens and demo workspaces are read from its banner on stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inheritedChildEnv } from '../test/setup-child-env.js';

const ROOT = join(import.meta.dirname, '../../..');

export interface EngineChild {
  readonly baseUrl: string;
  /** Dev token (`export TOKEN=…`) and demo workspace per app name (`todo`, `shop`). */
  readonly tokens: ReadonlyMap<string, string>;
  readonly demoWsids: ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

export async function startEngine(apps: readonly string[] = ['examples/todo']): Promise<EngineChild> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'stoa-client-int-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'apps/engine/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...inheritedChildEnv(),
      STOA_ENGINE_PORT: String(port),
      STOA_STORAGE: 'mem',
      STOA_APPS: apps.join(','),
      STOA_LOG_LEVEL: 'warn',
      STOA_DATA_DIR: dataDir,
      STOA_WATCHDOG_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
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

  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`engine exited during start:\n${output}`);
      if (Date.now() > deadline) throw new Error(`engine not ready after 90 s:\n${output}`);
      const ready = await fetch(`${baseUrl}/readyz`).then(
        async (res) => (await res.arrayBuffer(), res.status === 200),
        () => false,
      );
      if (ready) break;
      await sleep(50);
    }
    const tokens = new Map<string, string>();
    const demoWsids = new Map<string, number>();
    // The banner: `local/<app>: demo workspace <wsid> (...)` then `  export TOKEN=<jwt>`.
    while (tokens.size < apps.length) {
      for (const m of output.matchAll(/local\/(\w+): demo workspace (\d+)[^\n]*\n\s*export TOKEN=(\S+)/g)) {
        demoWsids.set(m[1] ?? '', Number(m[2]));
        tokens.set(m[1] ?? '', m[3] ?? '');
      }
      if (Date.now() > deadline) throw new Error(`no engine banner:\n${output}`);
      if (tokens.size < apps.length) await sleep(20);
    }
    return { baseUrl, tokens, demoWsids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
