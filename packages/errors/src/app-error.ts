import { ERROR_CODE_MAP, type ErrorCode } from './codes.js';

export interface AppErrorOptions {
  /** Machine-readable details for the client (e.g. the offending field). Never secrets. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** Qualified name of the app object involved, e.g. `todo.Task`. */
  readonly qname?: string;
  /** Seconds a client should wait before retrying (429/503). */
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
}

/** The body every HTTP API answers with on failure: `{"status":n,"message":"…","qname"?,"data"?}`. */
export interface ErrorBody {
  status: number;
  message: string;
  qname?: string;
  data?: Readonly<Record<string, unknown>>;
}

/**
 * The one error type that crosses package boundaries. Subclasses name the condition
 * (`DeploymentNotFoundError`), the code decides the HTTP status and tRPC code.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly data: Readonly<Record<string, unknown>> | undefined;
  readonly qname: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.data = options.data;
    this.qname = options.qname;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get httpStatus(): number {
    return ERROR_CODE_MAP[this.code].http;
  }

  get trpcCode(): string {
    return ERROR_CODE_MAP[this.code].trpc;
  }

  /** True for errors that are part of normal operation (bad input, denied access, …). */
  get expected(): boolean {
    return ERROR_CODE_MAP[this.code].expected;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { status: this.httpStatus, message: this.message };
    if (this.qname !== undefined) body.qname = this.qname;
    if (this.data !== undefined) body.data = this.data;
    return body;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/**
 * Turns anything thrown into an AppError; unknown failures become INTERNAL with a generic message
 * so internals never leak to clients (the original is kept as `cause` for the log).
 */
export function toAppError(value: unknown): AppError {
  if (value instanceof AppError) return value;
  return new AppError('INTERNAL', 'internal error', { cause: value });
}
