import { resolve } from 'node:path';
import type { FetchLike } from '@stoa/client/admin';
import { createColors, type Colors } from './ansi.js';
import type { CliEnv } from './env.js';

/** Where a command writes: process.stdout/stderr in the binary, collecting buffers in tests. */
export interface CliOutput {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** What `runCli` runs against; everything but the three required fields has a process default. */
export interface CliIo {
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  /** Relative paths in arguments resolve against this. */
  readonly cwd: string;
  /** Environment variables; default: the process's (read only by env.ts). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where `stoa secrets set` reads a value without --value; default: process.stdin. */
  readonly stdin?: AsyncIterable<string | Uint8Array> & { readonly isTTY?: boolean };
  /** The admin client's fetch; default: the global one. */
  readonly fetch?: FetchLike;
  /** Ends `stoa logs --follow` (the binary aborts it on Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** What every command gets: the io, the parsed environment and output helpers. */
export class CommandContext {
  /** Styles for stdout / stderr: each stream is colored only when it is a terminal. */
  readonly out: Colors;
  readonly err: Colors;
  /** Whether stderr is an interactive terminal (spinners). */
  readonly interactive: boolean;

  constructor(
    readonly io: CliIo,
    readonly env: CliEnv,
  ) {
    const colorsAllowed = !env.noColor && !env.dumbTerminal;
    this.out = createColors(colorsAllowed && io.stdout.isTTY === true);
    this.err = createColors(colorsAllowed && io.stderr.isTTY === true);
    this.interactive = io.stderr.isTTY === true && !env.dumbTerminal;
  }

  /** Writes lines to stdout. */
  print(...lines: string[]): void {
    for (const line of lines) this.io.stdout.write(`${line}\n`);
  }

  /** Writes lines to stderr (notes, hints, warnings: never data a script would parse). */
  note(...lines: string[]): void {
    for (const line of lines) this.io.stderr.write(`${line}\n`);
  }

  /** One JSON document on stdout (`--json`). */
  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** An argument path, resolved against the io's cwd. */
  resolvePath(path: string): string {
    return resolve(this.io.cwd, path);
  }
}

/** Runs a command's work and records its exit code (run-cli.ts); failures propagate as errors. */
export type RunAction = (action: () => Promise<number>) => Promise<void>;
