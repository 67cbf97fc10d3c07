// Test support for the browser test's real deploy: an engine node and the deploy worker as child
// processes, started the way they are deployed (`node --import tsx apps/…/src/main.ts`), the
// engine trusting a fresh admin key whose private half the worker signs with. Lives under test/
// because only env.ts and test setup files may read process.env: the children get the caller's
// environment minus STOA_* and the database/queue settings, plus the test's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';
import { findFreePort, WEB_DIR } from './setup-web';

export const REPO_ROOT = join(WEB_DIR, '../..');
const DROPPED = /^(NODE_ENV|DATABASE_URL|REDIS_URL|STOA_.*|NEXTAUTH_.*)$/;

export function childEnv(overrides: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !DROPPED.test(key)) env[key] = value;
  }
  return { ...env, ...overrides } as NodeJS.ProcessEnv;
}

export interface Child {
  readonly url?: string;
  output(): string;
  stop(): Promise<void>;
}

function runChild(entry: string, env: Record<string, string>, cleanup: () => void) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: childEnv(env),
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
    cleanup();
  };
  return { child, output: () => output, stop };
}

/** An engine node on the mem backend, no folder apps, trusting `adminPublicKey`; ready on /readyz. */
export async function startEngineChild(adminPublicKey: object): Promise<Child & { url: string }> {
  const port = await findFreePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'stoa-web-engine-'));
  const run = runChild(
    'apps/engine/src/main.ts',
    {
      STOA_ENGINE_PORT: String(port),
      STOA_STORAGE: 'mem',
      STOA_DATA_DIR: dataDir,
      STOA_ADMIN_PUBLIC_KEY: JSON.stringify(adminPublicKey),
      STOA_LOG_LEVEL: 'warn',
      STOA_WATCHDOG_MS: '0',
    },
    () => rmSync(dataDir, { recursive: true, force: true }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (run.child.exitCode !== null) throw new Error(`engine exited during start:\n${run.output()}`);
    if (Date.now() > deadline) {
      await run.stop();
      throw new Error(`engine not ready after 90 s:\n${run.output()}`);
    }
    const ready = await fetch(`${url}/readyz`).then(
      async (res) => (await res.arrayBuffer(), res.status === 200),
      () => false,
    );
    if (ready) return { url, output: run.output, stop: run.stop };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The deploy worker (`apps/worker/src/main.ts`) on the given database, Redis queue prefix and engines.
 * `extraEnv` is added last (e.g. STOA_GIT_ALLOWED_SCHEMES=file for a local bare repository).
 */
export function startWorkerChild(
  options: {
    databaseUrl: string;
    redisUrl: string;
    queuePrefix: string;
    adminPrivateKey: object;
    engineUrls: readonly string[];
  },
  extraEnv: Readonly<Record<string, string>> = {},
): Child {
  const work = mkdtempSync(join(tmpdir(), 'stoa-web-worker-'));
  const run = runChild(
    'apps/worker/src/main.ts',
    {
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      STOA_QUEUE_PREFIX: options.queuePrefix,
      STOA_ADMIN_PRIVATE_KEY: JSON.stringify(options.adminPrivateKey),
      STOA_ENGINE_URLS: options.engineUrls.join(','),
      STOA_BUILD_CACHE_DIR: join(work, 'asc-cache'),
      STOA_LOG_LEVEL: 'info',
      TMPDIR: work,
      ...extraEnv,
    },
    () => rmSync(work, { recursive: true, force: true }),
  );
  return { output: run.output, stop: run.stop };
}

/** Rewrites a project file's text on its way into a copy (`schema/todo.vsql` → a changed schema). */
export type ProjectEdit = (relativePath: string, text: string) => string;

/** A copy of the project `dir` (without its `.stoa/` folder) in a temp folder, each file through `edit`. */
export function copyProject(dir: string, edit?: ProjectEdit): { dir: string; cleanup: () => void } {
  const copy = mkdtempSync(join(tmpdir(), 'stoa-web-project-'));
  cpSync(dir, copy, { recursive: true, filter: (path) => !relative(dir, path).split('/').includes('.stoa') });
  if (edit !== undefined) {
    for (const path of listFiles(copy)) {
      const rel = relative(copy, path);
      const text = readFileSync(path, 'utf8');
      const edited = edit(rel, text);
      if (edited !== text) writeFileSync(path, edited);
    }
  }
  return { dir: copy, cleanup: () => rmSync(copy, { recursive: true, force: true }) };
}

function listFiles(at: string): string[] {
  return readdirSync(at).flatMap((entry) => {
    const path = join(at, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** A zip of a copy of `dir` (without its `.stoa/` folder) under `<name>/`, as a user would upload it. */
export function zipProjectCopy(dir: string, name: string, edit?: ProjectEdit): Buffer {
  const copy = copyProject(dir, edit);
  try {
    const files: Record<string, Uint8Array> = {};
    for (const path of listFiles(copy.dir)) files[`${name}/${relative(copy.dir, path)}`] = readFileSync(path);
    return Buffer.from(zipSync(files));
  } finally {
    copy.cleanup();
  }
}

/**
 * Runs `stoa` from its sources (`node --import tsx packages/cli/src/main.ts`, not dist/, which
 * another test rebuilds) with the caller's environment minus STOA_*, plus `env`, to its exit.
 */
export function runStoaCli(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
      cwd: REPO_ROOT,
      env: childEnv({ NO_COLOR: '1', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
