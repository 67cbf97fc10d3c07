// Runs a child process under a wall-clock deadline that kills its whole process group: git starts
// helpers (git-remote-https, index-pack) and node starts threads, and killing only the leader
// would leave them running (and holding the pipes open). Output is collected up to a cap.
import { spawn } from 'node:child_process';

export interface RunProcessOptions {
  readonly cwd: string;
  /** The complete environment (nothing is inherited). */
  readonly env: Readonly<Record<string, string>>;
  /** Wall-clock deadline; the group gets SIGKILL when it passes. */
  readonly timeoutMs: number;
  /** Bytes kept per stream (the rest is counted, not kept). Default 1 MiB. */
  readonly maxOutputBytes?: number;
  /**
   * Called every `watchIntervalMs` while the process runs; a returned string kills the group and
   * becomes `killedBy` (e.g. a size watchdog during `git fetch`).
   */
  readonly watch?: () => Promise<string | undefined>;
  readonly watchIntervalMs?: number;
  /** Each complete line of stdout as it arrives (progress of a build child), besides collecting it. */
  readonly onStdoutLine?: (line: string) => void;
}

export interface RunProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Why the worker killed the group: `timeout` or the watch function's reason. */
  readonly killedBy: string | undefined;
  readonly ms: number;
}

/** Resolves when the process and its pipes are closed; rejects only when it cannot be started. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunProcessOptions,
): Promise<RunProcessResult> {
  const started = performance.now();
  const cap = options.maxOutputBytes ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    // detached: the child leads a new process group, so -pid reaches every descendant.
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: [] as Buffer[], stderr: [] as Buffer[], sizes: { stdout: 0, stderr: 0 } };
    const collect = (stream: 'stdout' | 'stderr') => (data: Buffer | string) => {
      const chunk = typeof data === 'string' ? Buffer.from(data) : data;
      const room = cap - out.sizes[stream];
      if (room > 0) out[stream].push(room >= chunk.length ? chunk : chunk.subarray(0, room));
      out.sizes[stream] += chunk.length;
    };
    child.stdout.on('data', collect('stdout'));
    let partial = '';
    const onLine = options.onStdoutLine;
    if (onLine !== undefined) {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      });
    }
    child.stderr.on('data', collect('stderr'));

    let killedBy: string | undefined;
    const killGroup = (reason: string): void => {
      killedBy ??= reason;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const deadline = setTimeout(() => killGroup('timeout'), options.timeoutMs);
    let watching = false;
    const watcher =
      options.watch === undefined
        ? undefined
        : setInterval(() => {
            if (watching || options.watch === undefined) return;
            watching = true;
            options
              .watch()
              .then((reason) => {
                if (reason !== undefined) killGroup(reason);
              })
              // A failing check (a file vanished mid-walk) is not a reason to kill; the next one decides.
              .catch(() => undefined)
              .finally(() => (watching = false));
          }, options.watchIntervalMs ?? 250);

    const finish = (): void => {
      clearTimeout(deadline);
      if (watcher !== undefined) clearInterval(watcher);
    };
    child.once('error', (error) => {
      finish();
      reject(error);
    });
    child.once('close', (code, signal) => {
      finish();
      if (partial !== '') onLine?.(partial);
      const text = (stream: 'stdout' | 'stderr'): string => {
        const kept = Buffer.concat(out[stream]).toString('utf8');
        const dropped = out.sizes[stream] - cap;
        return dropped > 0 ? `${kept}\n… (${dropped} more bytes)` : kept;
      };
      resolve({
        code,
        signal,
        stdout: text('stdout'),
        stderr: text('stderr'),
        killedBy,
        ms: Math.round(performance.now() - started),
      });
    });
  });
}
