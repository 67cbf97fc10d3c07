import { AppError, ERROR_CODE_MAP, ERROR_CODES, type ErrorCode } from '@stoa/errors';

/**
 * Failures as values: every client method resolves to a `Result`, never rejects for HTTP or
 * network failures, so callers (CLI, portal, worker, browsers) handle them with a switch on
 * `error.kind` / `error.code` instead of try/catch. `unwrap` is for callers who prefer throwing.
 */

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ClientError };

/** The server answered with a non-2xx status. */
export interface HttpError {
  readonly kind: 'http';
  readonly status: number;
  /** The @stoa/errors code whose HTTP status this is (400 → BAD_REQUEST, 404 → NOT_FOUND, …). */
  readonly code: ErrorCode;
  readonly message: string;
  /** Qualified name of the app object involved, e.g. `todo.CompleteTask`. */
  readonly qname?: string;
  /** `data.field` of a 400: the offending field path (`Title`, `where.Year`, `args.TaskID`). */
  readonly field?: string;
  readonly data?: Readonly<Record<string, unknown>>;
  /** From `Retry-After` (429, 503). */
  readonly retryAfterSeconds?: number;
}

/** No answer: connection refused/reset, DNS, CORS, abort, or the `timeoutMs` deadline. */
export interface NetworkError {
  readonly kind: 'network';
  readonly message: string;
  /** True when the client's own `timeoutMs` deadline cut the request. */
  readonly timedOut: boolean;
  readonly cause: unknown;
}

/** A 2xx answer the client could not read (not JSON, or not the expected shape). */
export interface InvalidResponseError {
  readonly kind: 'invalid-response';
  readonly status: number;
  readonly message: string;
}

export type ClientError = HttpError | NetworkError | InvalidResponseError;

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T>(error: ClientError): Result<T> {
  return { ok: false, error };
}

/**
 * Status → code, derived from ERROR_CODE_MAP: the first code (in declaration order) with that
 * status wins, so 400 → BAD_REQUEST (not VALIDATION_FAILED — the wire does not tell them apart).
 */
const CODE_BY_STATUS: ReadonlyMap<number, ErrorCode> = (() => {
  const map = new Map<number, ErrorCode>();
  for (const code of ERROR_CODES) {
    const status = ERROR_CODE_MAP[code].http;
    if (!map.has(status)) map.set(status, code);
  }
  return map;
})();

/** The code of a status; statuses outside the catalogue (502, 418, …) fall back by class. */
export function codeOfStatus(status: number): ErrorCode {
  const code = CODE_BY_STATUS.get(status);
  if (code !== undefined) return code;
  if (status === 502) return 'UNAVAILABLE';
  return status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
}

/** The value, or an AppError carrying the failure (code, message, qname, data) as `cause`-chained. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw toAppError(result.error);
}

export function toAppError(error: ClientError): AppError {
  switch (error.kind) {
    case 'http':
      return new AppError(error.code, error.message, {
        ...(error.qname === undefined ? {} : { qname: error.qname }),
        ...(error.data === undefined ? {} : { data: error.data }),
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
        cause: error,
      });
    case 'network':
      return new AppError(error.timedOut ? 'TIMEOUT' : 'UNAVAILABLE', error.message, { cause: error.cause });
    case 'invalid-response':
      return new AppError('INTERNAL', error.message, { cause: error });
  }
}

/** Maps a successful value (e.g. `{results}` → rows); failures pass through untouched. */
export function mapResult<T, U>(result: Result<T>, map: (value: T) => U): Result<U> {
  return result.ok ? ok(map(result.value)) : result;
}

/** `{results: T[]}` → `T[]`; a body without the array is an invalid response, not a crash. */
export function results<T>(res: Result<{ results: T[] }>): Result<readonly T[]> {
  if (res.ok && !Array.isArray((res.value as { results?: unknown } | null)?.results)) {
    return fail({ kind: 'invalid-response', status: 200, message: 'expected a body {results: [...]}' });
  }
  return mapResult(res, (v) => v.results);
}
