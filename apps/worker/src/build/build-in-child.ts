// Builds a project's bundle in a child node process with CPU, memory and wall-clock limits, so a
// hostile or broken project cannot take the worker down: `prlimit` caps CPU seconds (SIGXCPU at
// the limit) and the data segment (every heap, the compiler thread's included), V8's old space is
// capped below that so heap exhaustion is a clean "out of memory", and a deadline SIGKILLs the
// child's process group. The child gets an empty environment (no DATABASE_URL, no admin key).
//
// Failures, and whether BullMQ should try again (see README "Failures"):
// - BuildFailedError (VALIDATION_FAILED, permanent): the project is wrong — stoa.json, VSQL or
//   AssemblyScript errors. The message is @stoa/bundle's, file:line:col and code frames included.
// - BuildLimitError (PAYLOAD_TOO_LARGE, permanent): the build needed more CPU time or memory than
//   allowed. Builds are deterministic, so it would need them again.
// - BuildTimeoutError (TIMEOUT, retryable): wall-clock time ran out while CPU time did not — the
//   machine was busy (CPU time is the deterministic bound; this one depends on load).
// - BuildCrashedError (INTERNAL, retryable): the child died without a result (killed from
//   outside, a crash of node or the compiler thread).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openBundle, type BundleManifest } from '@stoa/bundle/bundle';
import { DeployStepError } from '../failures.js';
import type { BuildChildResult } from './build-child.js';
import { runProcess, type RunProcessResult } from './run-process.js';

export interface BuildLimits {
  /** Wall clock, child start to result. */
  readonly timeoutMs: number;
  /** CPU seconds (all threads). */
  readonly cpuSeconds: number;
  /** Data segment of the child in MiB (V8 heaps, the compiler thread's, buffers). */
  readonly memoryMb: number;
}

export const DEFAULT_BUILD_LIMITS: BuildLimits = { timeoutMs: 300_000, cpuSeconds: 120, memoryMb: 2048 };

export interface BuildInChildOptions {
  readonly projectDir: string;
  readonly limits: BuildLimits;
  /** The AssemblyScript module cache (default @stoa/bundle's, under the OS temp dir). */
  readonly cacheDir?: string;
  /** Each progress line of the child. */
  readonly log?: (line: string) => void;
  /** Default /usr/bin/prlimit (util-linux). */
  readonly prlimit?: string;
  /** The script the child runs (default build-child.ts). Tests pass misbehaving ones. */
  readonly childScript?: string;
}

export interface BuiltInChild {
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly manifest: BundleManifest;
  readonly ms: number;
}

export class BuildFailedError extends DeployStepError {
  constructor(message: string, data?: Readonly<Record<string, unknown>>) {
    super('VALIDATION_FAILED', message, false, data === undefined ? {} : { data });
  }
}

export class BuildLimitError extends DeployStepError {
  constructor(
    readonly limit: 'cpu' | 'memory',
    message: string,
  ) {
    super('PAYLOAD_TOO_LARGE', message, false, { data: { limit } });
  }
}

export class BuildTimeoutError extends DeployStepError {
  constructor(timeoutMs: number) {
    super('TIMEOUT', `the build took longer than ${timeoutMs} ms (wall clock)`, true, { data: { limit: timeoutMs } });
  }
}

export class BuildCrashedError extends DeployStepError {
  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super('INTERNAL', message, options.retryable ?? true, options.cause === undefined ? {} : { cause: options.cause });
  }
}

/** Codes of @stoa/bundle that mean "the project is wrong". */
const PROJECT_ERROR_CODES = new Set(['VALIDATION_FAILED', 'NOT_FOUND', 'BAD_REQUEST']);
const OUT_OF_MEMORY = /heap out of memory|reaching memory limit|Allocation failed|out of memory/i;

const CHILD_SCRIPT = join(import.meta.dirname, 'build-child.ts');
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export async function buildInChild(options: BuildInChildOptions): Promise<BuiltInChild> {
  const { limits } = options;
  const outDir = await mkdtemp(join(tmpdir(), 'stoa-build-'));
  try {
    const heapMb = Math.max(64, Math.floor(limits.memoryMb / 2));
    const args = [
      `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 5}`,
      `--data=${limits.memoryMb * 1024 * 1024}`,
      '--core=0',
      '--',
      process.execPath,
      `--max-old-space-size=${heapMb}`,
      '--import',
      TSX_LOADER,
      options.childScript ?? CHILD_SCRIPT,
      options.projectDir,
      outDir,
      options.cacheDir ?? '',
    ];
    const run = await runProcess(options.prlimit ?? '/usr/bin/prlimit', args, {
      cwd: outDir,
      env: { PATH: '/usr/bin:/bin', TMPDIR: tmpdir() },
      timeoutMs: limits.timeoutMs,
      ...(options.log === undefined ? {} : { onStdoutLine: options.log }),
    });
    const result = await readResult(outDir);
    if (result === undefined) throw failureWithoutResult(run, limits);
    if (!result.ok || result.id === undefined) throw failureFromChild(result.error, options.projectDir);
    return verify(await readFile(join(outDir, 'bundle.zip')), result.id, run.ms);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function readResult(outDir: string): Promise<BuildChildResult | undefined> {
  try {
    return JSON.parse(await readFile(join(outDir, 'result.json'), 'utf8')) as BuildChildResult;
  } catch {
    return undefined;
  }
}

function failureWithoutResult(run: RunProcessResult, limits: BuildLimits): DeployStepError {
  if (run.killedBy === 'timeout') return new BuildTimeoutError(limits.timeoutMs);
  if (run.signal === 'SIGXCPU') {
    return new BuildLimitError('cpu', `the build used more than ${limits.cpuSeconds} s of CPU time`);
  }
  if (OUT_OF_MEMORY.test(run.stderr)) {
    return new BuildLimitError('memory', `the build needed more than ${limits.memoryMb} MiB of memory`);
  }
  const how = run.signal === null ? `exit code ${run.code}` : `signal ${run.signal}`;
  const tail = run.stderr.trim().split('\n').slice(-8).join('\n');
  return new BuildCrashedError(`the build process ended without a result (${how})${tail === '' ? '' : `:\n${tail}`}`);
}

function failureFromChild(error: BuildChildResult['error'], projectDir: string): DeployStepError {
  const code = error?.code ?? 'INTERNAL';
  // The worker's directories are nobody's business: `app folder <project>: 1 VSQL error(s)`.
  const message = (error?.message ?? 'the build failed without saying why').replaceAll(projectDir, '<project>');
  if (PROJECT_ERROR_CODES.has(code)) {
    const data =
      typeof error?.data === 'object' && error.data !== null ? (error.data as Record<string, unknown>) : undefined;
    return new BuildFailedError(message, data);
  }
  if (OUT_OF_MEMORY.test(message)) return new BuildLimitError('memory', `the build ran out of memory: ${message}`);
  if (code === 'TIMEOUT') return new BuildCrashedError(`the build timed out inside: ${message}`);
  return new BuildCrashedError(`the build crashed: ${message}`);
}

/** The child's bundle, opened and verified like the engine will (a bad one fails here, not on the nodes). */
function verify(bytes: Uint8Array, id: string, ms: number): BuiltInChild {
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== id) {
    throw new BuildCrashedError(`the build child reported bundle ${id} but wrote ${actual}`, { retryable: false });
  }
  try {
    const opened = openBundle(bytes, { expectedId: id });
    return { id, bytes, manifest: opened.manifest, ms };
  } catch (error) {
    // Deterministic: the same project gives the same unopenable bundle, so do not retry.
    const reason = error instanceof Error ? error.message : String(error);
    throw new BuildCrashedError(`the built bundle does not open: ${reason}`, { retryable: false, cause: error });
  }
}
