// Runs asc on a VirtualFs in the compiler thread (asc-worker.js) and turns its diagnostics into
// AppErrors. The thread starts on the first cache miss, so a process whose modules all come from
// the cache never loads the compiler; it ends after a while without work.
import { Worker } from 'node:worker_threads';
import { AppError } from '@stoa/errors';
import { type LocatedError, locateError, toCompileError } from './diagnostics.js';
import { SDK_PACKAGE } from './sources.js';
import { ASC_FLAGS } from './version.js';
import { entryPathOf, type VirtualFs } from './virtual-fs.js';

const OUT_FILE = 'module.wasm';
/** asc's DiagnosticCategory.Error (warnings and infos do not fail a build). */
const CATEGORY_ERROR = 3;
/** How long an idle compiler thread stays (an edit-reload loop keeps it warm; ~1 s to start). */
const IDLE_MS = 30_000;
/** A compile (queue wait included) taking longer than this ends the thread: asc has hung. */
const COMPILE_TIMEOUT_MS = 120_000;
/** The thread's JavaScript heap; running out ends the thread, never the process. */
const WORKER_HEAP_MB = 1024;

interface WorkerDiagnostic {
  category: number;
  code: number;
  message: string;
  file: string | null;
  start: number;
  libraryText?: string;
}

interface WorkerResponse {
  id: number;
  binary?: Uint8Array;
  error?: string;
  stderr: string;
  diagnostics: WorkerDiagnostic[];
}

interface Job {
  resolve(response: WorkerResponse): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** The compiler thread: started on demand, referenced only while it has work. */
class CompilerThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly jobs = new Map<number, Job>();
  private idleTimer: NodeJS.Timeout | undefined;
  /** Set by `warmUp({ keepAlive: true })`: the idle thread is never ended (a dev server's edit loop). */
  private keepAlive = false;

  /** Starts the thread (loading asc) before the first compile needs it. */
  warmUp(keepAlive: boolean): void {
    this.keepAlive ||= keepAlive;
    this.start();
    if (this.jobs.size === 0) this.idle();
  }

  run(args: string[], files: ReadonlyMap<string, string>): Promise<WorkerResponse> {
    const worker = this.start();
    clearTimeout(this.idleTimer);
    worker.ref();
    const id = this.nextId++;
    return new Promise<WorkerResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stop(new AppError('TIMEOUT', `AssemblyScript compiler: no result after ${COMPILE_TIMEOUT_MS / 1000} s`));
      }, COMPILE_TIMEOUT_MS);
      this.jobs.set(id, { resolve, reject, timer });
      worker.postMessage({ id, args, files: [...files] });
    });
  }

  /** Ends the thread; jobs still waiting fail with `reason`. */
  private stop(reason: Error = new AppError('UNAVAILABLE', 'AssemblyScript compiler stopped')): void {
    const worker = this.worker;
    this.worker = undefined;
    clearTimeout(this.idleTimer);
    this.failAll(reason);
    if (worker !== undefined) void worker.terminate();
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    // No execArgv: the parent's loader (tsx) must not process the compiler (see asc-worker.js).
    const worker = new Worker(new URL('./asc-worker.js', import.meta.url), {
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    worker.on('message', (response: WorkerResponse) => this.settle(response));
    worker.on('error', (error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(new AppError('INTERNAL', `AssemblyScript compiler failed: ${error.message}`, { cause: error }));
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(new AppError('INTERNAL', `AssemblyScript compiler crashed (exit code ${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private settle(response: WorkerResponse): void {
    const job = this.jobs.get(response.id);
    if (job === undefined) return;
    this.jobs.delete(response.id);
    clearTimeout(job.timer);
    job.resolve(response);
    if (this.jobs.size === 0) this.idle();
  }

  private idle(): void {
    const worker = this.worker;
    if (worker === undefined) return;
    worker.unref();
    if (this.keepAlive) return;
    this.idleTimer = setTimeout(() => {
      if (this.worker === worker && this.jobs.size === 0) this.stop();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  private failAll(reason: Error): void {
    for (const job of this.jobs.values()) {
      clearTimeout(job.timer);
      job.reject(reason);
    }
    this.jobs.clear();
  }
}

const thread = new CompilerThread();

/**
 * Starts the compiler thread now, so the next compile does not wait ~1-3 s for asc to load;
 * `keepAlive` keeps it for the life of the process (it never holds the process open).
 */
export function warmUpCompiler(options: { keepAlive?: boolean } = {}): void {
  thread.warmUp(options.keepAlive === true);
}

/** The flags asc runs with: the fixed ones, the virtual entry, the base directory, the output. */
export function ascArguments(pkg: string): string[] {
  return [entryPathOf(pkg), ...ASC_FLAGS, '--baseDir', '/', '--outFile', OUT_FILE, '--noColors'];
}

/**
 * Compiles the module of `pkg`: its bytes, or AppError('VALIDATION_FAILED') listing every
 * compiler error with file:line:col and a code frame.
 */
export async function compileModule(pkg: string, fs: VirtualFs): Promise<Uint8Array> {
  const response = await thread.run(ascArguments(pkg), fs.files);
  const errors = response.diagnostics
    .filter((d) => d.category === CATEGORY_ERROR)
    .map((d) => toLocatedError(fs, pkg, d));
  if (errors.length > 0) throw toCompileError(pkg, errors);
  if (response.error !== undefined || response.binary === undefined) {
    throw new AppError(
      'INTERNAL',
      `AssemblyScript compiler failed on extensions/${pkg}: ${response.error ?? 'no output'}`,
      { data: { stderr: response.stderr } },
    );
  }
  return response.binary;
}

function toLocatedError(fs: VirtualFs, pkg: string, d: WorkerDiagnostic): LocatedError {
  // The file may well exist on disk: say why the compiler cannot see it.
  const message = /^File '.*' not found\.$/.test(d.message)
    ? `${d.message} A module can import only files below extensions/${pkg}/ and ${SDK_PACKAGE}.`
    : d.message;
  if (d.file === null) return { file: `extensions/${pkg}/index.ts`, line: 0, column: 0, message, frame: '' };
  return locateError(d.file, fs.sourceOf(d.file) ?? d.libraryText, d.start, message);
}
