// Runs `stoa` in-process for tests: collects stdout/stderr, a fresh temp dir per test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FetchLike } from '@stoa/client/admin';
import type { CliIo } from './context.js';
import { runCli } from './run-cli.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdin?: string;
  readonly fetch?: FetchLike;
  readonly signal?: AbortSignal;
  /** Also called with every stdout chunk as it is written (streaming commands). */
  readonly stdout?: (text: string) => void;
}

export async function stoa(argv: readonly string[], options: RunOptions): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write: (s: string) => {
        stdout += s;
        options.stdout?.(s);
      },
    },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: options.cwd,
    // Never the real environment: a developer's STOA_ADMIN_URL must not leak into a test.
    env: options.env ?? {},
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

/** A fresh temp dir and its cleanup. */
export function makeTempDir(label: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `stoa-cli-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const REPO_ROOT = join(import.meta.dirname, '../../..');
export const TEMPLATES_DIR = join(import.meta.dirname, '../templates');
