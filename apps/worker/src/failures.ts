// Permanent vs transient failures of deploy jobs. Every module of the worker throws AppErrors (the
// house error type); a job handler ends with `throw toJobFailure(error)`, which turns permanent
// ones into BullMQ's UnrecoverableError (the job fails at once, no further attempts) and lets
// transient ones through (BullMQ retries them with the catalog's backoff).
import { AppError, type AppErrorOptions, type ErrorCode } from '@stoa/errors';
import { UnrecoverableError } from 'bullmq';

/** Codes that describe the input or the configuration: trying again changes nothing. */
const PERMANENT_CODES: ReadonlySet<ErrorCode> = new Set([
  'BAD_REQUEST',
  'VALIDATION_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'CONFLICT',
  'GONE',
  'PAYLOAD_TOO_LARGE',
]);

/**
 * An AppError that states whether retrying may help, when its code alone would say otherwise
 * (a TIMEOUT that is permanent, say, or an INTERNAL crash worth one more try).
 */
export class DeployStepError extends AppError {
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, retryable: boolean, options: AppErrorOptions = {}) {
    super(code, message, options);
    this.retryable = retryable;
  }
}

/**
 * True when another attempt may succeed: DeployStepError says so itself; other AppErrors by code
 * (4xx except 429 are permanent); anything else (a bug, a dropped connection) is retried — the
 * attempts are bounded, and a permanent bug fails the deployment after the last one.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof UnrecoverableError) return false;
  if (error instanceof DeployStepError) return error.retryable;
  if (error instanceof AppError) return !PERMANENT_CODES.has(error.code);
  return true;
}

/** What a job handler throws: UnrecoverableError (message kept, original as cause) or the error. */
export function toJobFailure(error: unknown): Error {
  if (error instanceof UnrecoverableError) return error;
  if (!isRetryable(error)) {
    const failure = new UnrecoverableError(error instanceof Error ? error.message : String(error));
    failure.cause = error;
    return failure;
  }
  return error instanceof Error ? error : new Error(String(error));
}
