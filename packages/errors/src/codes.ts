/**
 * The closed set of error codes used across Stoa. Adding a code without mapping it in
 * `ERROR_CODE_MAP` is a compile error: the map is typed as `Record<ErrorCode, …>`.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'GONE'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'TIMEOUT'
  | 'INTERNAL';

/** tRPC error codes we map onto (a subset of @trpc/server's TRPC_ERROR_CODE_KEY). */
export type TrpcCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_SUPPORTED'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'TIMEOUT'
  | 'INTERNAL_SERVER_ERROR';

export interface ErrorCodeMapping {
  readonly http: number;
  readonly trpc: TrpcCode;
  /** Expected errors are answered to the caller and not logged as crashes. */
  readonly expected: boolean;
}

export const ERROR_CODE_MAP: Readonly<Record<ErrorCode, ErrorCodeMapping>> = {
  BAD_REQUEST: { http: 400, trpc: 'BAD_REQUEST', expected: true },
  VALIDATION_FAILED: { http: 400, trpc: 'BAD_REQUEST', expected: true },
  UNAUTHENTICATED: { http: 401, trpc: 'UNAUTHORIZED', expected: true },
  FORBIDDEN: { http: 403, trpc: 'FORBIDDEN', expected: true },
  NOT_FOUND: { http: 404, trpc: 'NOT_FOUND', expected: true },
  METHOD_NOT_ALLOWED: { http: 405, trpc: 'METHOD_NOT_SUPPORTED', expected: true },
  CONFLICT: { http: 409, trpc: 'CONFLICT', expected: true },
  GONE: { http: 410, trpc: 'PRECONDITION_FAILED', expected: true },
  PAYLOAD_TOO_LARGE: { http: 413, trpc: 'PAYLOAD_TOO_LARGE', expected: true },
  RATE_LIMITED: { http: 429, trpc: 'TOO_MANY_REQUESTS', expected: true },
  UNAVAILABLE: { http: 503, trpc: 'INTERNAL_SERVER_ERROR', expected: true },
  TIMEOUT: { http: 504, trpc: 'TIMEOUT', expected: false },
  INTERNAL: { http: 500, trpc: 'INTERNAL_SERVER_ERROR', expected: false },
};

export const ERROR_CODES = Object.keys(ERROR_CODE_MAP) as readonly ErrorCode[];
