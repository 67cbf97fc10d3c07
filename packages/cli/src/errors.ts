import type { ClientError } from '@stoa/client/admin';
import { AppError, isAppError, type ErrorCode } from '@stoa/errors';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';

/**
 * How failures become exit codes and one clear message. Expected failures are AppErrors (their
 * messages already carry file:line:col and code frames where there are any) and print without a
 * stack; only a bug (anything else) shows its stack.
 */

/** A wrong command line: exit 2. */
export class UsageError extends AppError {
  constructor(message: string) {
    super('BAD_REQUEST', message);
  }
}

/** An expected failure with its own exit code (refused by the engine, engine unreachable, …). */
export class CliFailure extends AppError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly exitCode: ExitCode,
    options: { data?: Readonly<Record<string, unknown>>; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

/** Who answered: the engine's admin API, or the portal's tool API (`stoa deploy --portal`). */
export type Peer = 'engine' | 'portal';

const UNAUTHENTICATED_HINT: Record<Peer, string> = {
  engine:
    "the engine refused the admin token: is --key the private half of a key in the node's STOA_ADMIN_PUBLIC_KEY, and are the clocks in sync?",
  portal:
    'the portal refused the access token: is STOA_PORTAL_TOKEN a token of this org (portal → Tokens), not revoked or expired?',
};

/**
 * A failed request → a CliFailure: network → 5, 401/403 → 4 (with a hint about the credential),
 * anything else → 1. `action` says what was attempted (`upload bundle 3f2a…`).
 */
export function fromClientError(error: ClientError, action: string, peer: Peer = 'engine'): CliFailure {
  switch (error.kind) {
    case 'network':
      return new CliFailure(
        error.timedOut ? 'TIMEOUT' : 'UNAVAILABLE',
        `${action}: the ${peer} is unreachable: ${error.message}`,
        EXIT_CODES.UNREACHABLE,
        { cause: error.cause },
      );
    case 'http': {
      const base = `${action}: ${error.message} (HTTP ${error.status})`;
      if (error.status === 401) {
        return new CliFailure(
          error.code,
          `${base}\n${UNAUTHENTICATED_HINT[peer]}`,
          EXIT_CODES.AUTH,
          withData(error.data),
        );
      }
      if (error.status === 403) return new CliFailure(error.code, base, EXIT_CODES.AUTH, withData(error.data));
      return new CliFailure(error.code, base, EXIT_CODES.FAILURE, withData(error.data));
    }
    case 'invalid-response':
      return new CliFailure('INTERNAL', `${action}: unexpected answer: ${error.message}`, EXIT_CODES.FAILURE);
  }
}

function withData(data: Readonly<Record<string, unknown>> | undefined): { data?: Readonly<Record<string, unknown>> } {
  return data === undefined ? {} : { data };
}

/** Node's system errors (ENOENT, EACCES, …) are expected too: a file is missing or not writable. */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException & { code: string } {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code!)
  );
}

export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT_CODES.USAGE;
  if (error instanceof CliFailure) return error.exitCode;
  return EXIT_CODES.FAILURE;
}

/** The text printed after `error: ` — the stack only for failures nobody expected (bugs). */
export function describeError(error: unknown): string {
  if (isAppError(error) || isSystemError(error)) return error.message;
  if (error instanceof Error) return error.stack ?? error.message;
  return String(error);
}
