// Runs the Prisma CLI installed in node_modules (never `npx`, which may download) as a child
// process with the repo's prisma.config.ts, so migrations need neither network nor engine binary.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@stoa/errors';
import { prismaChildEnv } from './env.js';

const require = createRequire(import.meta.url);

/** The repo's prisma.config.ts (this file is packages/db/src/prisma-cli.ts). */
export const DEFAULT_PRISMA_CONFIG = fileURLToPath(new URL('../../../prisma.config.ts', import.meta.url));

export interface PrismaCliOptions {
  readonly databaseUrl: string;
  /** Defaults to DEFAULT_PRISMA_CONFIG; bundlers that move this file must pass it. */
  readonly configFile?: string;
  /** Receives the CLI's output line by line (stdout and stderr). */
  readonly log?: (line: string) => void;
  readonly timeoutMs?: number;
}

export interface PrismaCliResult {
  readonly stdout: string;
  readonly stderr: string;
}

function resolvePrismaCli(): string {
  return require.resolve('prisma/build/index.js');
}

function forwardLines(log: ((line: string) => void) | undefined): (chunk: string) => void {
  let pending = '';
  return (chunk) => {
    if (log === undefined) return;
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') log(line.trimEnd());
  };
}

/** Runs `prisma <args…> --config <file>`; rejects with the output's tail when it fails. */
export function runPrismaCli(args: readonly string[], options: PrismaCliOptions): Promise<PrismaCliResult> {
  const configFile = options.configFile ?? DEFAULT_PRISMA_CONFIG;
  const child = spawn(process.execPath, [resolvePrismaCli(), ...args, '--config', configFile], {
    cwd: dirname(configFile),
    env: prismaChildEnv({ DATABASE_URL: options.databaseUrl }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const toLog = forwardLines(options.log);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout.push(chunk);
    toLog(chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr.push(chunk);
    toLog(chunk);
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { stdout: stdout.join(''), stderr: stderr.join('') };
      if (code === 0) {
        resolve(result);
        return;
      }
      const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n');
      const how = signal === null ? `exit code ${code}` : `signal ${signal} (timeout ${timeoutMs} ms?)`;
      reject(new AppError('INTERNAL', `prisma ${args.join(' ')} failed with ${how}:\n${tail}`));
    });
  });
}
