/**
 * Child processes of the engine bench: the node:http hello-world server, the engine node
 * (`node apps/engine/dist/main.js`, built by `buildEngine`) and the log filler. Every child is tracked and
 * stopped by its pid when the bench ends, whatever happens.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../..');
const live = new Set<ChildProcess>();

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function killAll(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * CPU time (user + system, µs) a process has used so far, from /proc/<pid>/stat (Linux; clock
 * ticks of 10 ms, so over a few seconds of load the error is well under 1 %). 0 elsewhere.
 */
export function cpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
  } catch {
    return 0;
  }
}

export interface Child {
  readonly process: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<void>;
}

/** Only the basics of this process's environment, never its STOA_* settings. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

export function spawnChild(args: readonly string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  // Node reaps the child on 'exit'; only then is its LMDB pid lock free for the next start.
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  return { process: child, output: () => output, exited };
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export async function stopChild(child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  child.process.kill(signal);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 30_000);
  await child.exited;
  clearTimeout(timer);
}

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

const HELLO = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('hello world');
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
`;

export async function startHello(): Promise<{ child: Child; url: string }> {
  const child = spawnChild(['-e', HELLO], {});
  const port = await waitFor('the hello server', 10_000, () => /port (\d+)/.exec(child.output())?.[1]);
  return { child, url: `http://127.0.0.1:${port}/` };
}

export interface Engine {
  readonly child: Child;
  readonly base: string;
  readonly api: string;
  readonly token: string;
  readonly demoWsid: number;
  /** Spawn → first `/readyz` 200 (process start, storage open, app load, partition recovery). */
  readonly readyMs: number;
}

/**
 * How the bench runs the engine node (node arguments, from the repository root): the JavaScript
 * build a deployed node runs (apps/engine/build.mjs, the Dockerfile's command), not the sources
 * under tsx. `buildEngine()` makes it first.
 */
export const ENGINE_ARGS: readonly string[] = ['apps/engine/dist/main.js'];

/** Builds apps/engine/dist/main.js from the current sources (esbuild, under a second). */
export function buildEngine(): void {
  execFileSync(process.execPath, ['apps/engine/build.mjs'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Starts an engine node on `dataDir` and times it until `/readyz` answers 200. */
export async function startEngine(
  dataDir: string,
  extraEnv: Record<string, string> = {},
  args: readonly string[] = ENGINE_ARGS,
): Promise<Engine> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawnChild(args, {
    STOA_ENGINE_PORT: String(port),
    STOA_DATA_DIR: dataDir,
    STOA_STORAGE: 'lmdb',
    STOA_APPS: 'examples/todo',
    STOA_LOG_LEVEL: 'warn',
    ...extraEnv,
  });
  let readyMs: number | undefined;
  const deadline = Date.now() + 600_000;
  while (readyMs === undefined) {
    if (child.process.exitCode !== null) throw new Error(`engine exited during start:\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`engine not ready after 600 s:\n${child.output()}`);
    try {
      const res = await fetch(`${base}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) readyMs = performance.now() - started;
    } catch {
      // not listening yet
    }
    if (readyMs === undefined) await sleep(5);
  }
  const banner = await waitFor('the engine banner', 30_000, () => {
    const token = /export TOKEN=(\S+)/.exec(child.output())?.[1];
    const wsid = /demo workspace (\d+)/.exec(child.output())?.[1];
    return token === undefined || wsid === undefined ? undefined : { token, wsid: Number(wsid) };
  });
  return {
    child,
    base,
    api: `${base}/api/v2/apps/local/todo`,
    token: banner.token,
    demoWsid: banner.wsid,
    readyMs,
  };
}

export async function callEngine(
  engine: Engine,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${engine.api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${engine.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return { status: res.status, json };
}

/** What the node logged about partition recovery (info level): events replayed, slowest partition. */
export function readRecovery(output: string): { replayed: number; ms: number } {
  let replayed = 0;
  let ms = 0;
  for (const line of output.split('\n')) {
    if (!line.includes('"partition recovered"')) continue;
    const entry = JSON.parse(line) as { replayed?: number; ms?: number };
    replayed += entry.replayed ?? 0;
    ms = Math.max(ms, entry.ms ?? 0);
  }
  return { replayed, ms };
}
