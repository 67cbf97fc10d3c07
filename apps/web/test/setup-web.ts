// Test support for the browser test: builds the portal and runs `next start` as a child process.
// Lives under test/ because only env.ts and test setup files may read process.env: the children
// get the caller's environment (PATH, HOME, …) minus anything that would change what the test
// checks (NODE_ENV — Vitest's "test" — next-auth and database settings, STOA_*), plus the test's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** apps/web */
export const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const NEXT_BIN = createRequire(join(WEB_DIR, 'package.json')).resolve('next/dist/bin/next');
const DROPPED = /^(NODE_ENV|NEXTAUTH_.*|AUTH_.*|DATABASE_URL|REDIS_URL|STOA_.*|__NEXT.*|NEXT_.*)$/;

export function webChildEnv(overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !DROPPED.test(key)) env[key] = value;
  }
  return { ...env, NEXT_TELEMETRY_DISABLED: '1', ...overrides };
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function runNext(args: readonly string[], env: Record<string, string>): { child: ChildProcess; output: () => string } {
  // Next's types declare NODE_ENV always set; the child's is deliberately unset (`next` picks it).
  const childEnv = env as NodeJS.ProcessEnv;
  const child: ChildProcess = spawn(process.execPath, [NEXT_BIN, ...args], {
    cwd: WEB_DIR,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (c: string) => chunks.push(c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => chunks.push(c));
  return { child, output: () => chunks.join('') };
}

/** `next build --webpack` (production); rejects with the build's output when it fails. */
export function buildPortal(timeoutMs = 240_000): Promise<{ ms: number }> {
  const started = Date.now();
  const { child, output } = runNext(['build', '--webpack'], webChildEnv());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ms: Date.now() - started });
      else reject(new Error(`next build failed (${signal ?? `exit ${code}`}):\n${output().slice(-4000)}`));
    });
  });
}

export interface RunningPortal {
  readonly origin: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** `next start` on 127.0.0.1:`port`; resolves once /api/healthz answers 200. */
export async function startPortal(port: number, env: Readonly<Record<string, string>>): Promise<RunningPortal> {
  const origin = `http://127.0.0.1:${port}`;
  const { child, output } = runNext(['start', '-p', String(port), '-H', '127.0.0.1'], webChildEnv(env));
  let exited = false;
  const closed = new Promise<void>((resolve) =>
    child.on('close', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (!exited) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await closed;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`next start exited:\n${output().slice(-4000)}`);
    try {
      const res = await fetch(`${origin}/api/healthz`);
      if (res.status === 200) return { origin, output, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the portal did not become healthy within 60 s:\n${output().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
