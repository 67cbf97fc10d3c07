import { StorageNotFoundError, StorageUnavailableError } from '@stoa/storage';

/** Service errors that say "try again later": throttling, overload, server faults, timeouts. */
const UNAVAILABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);

/** Socket-level failures Node reports in `code`. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function shapeOf(error: unknown): ErrorShape {
  return typeof error === 'object' && error !== null ? error : {};
}

export function isConditionFailed(error: unknown): boolean {
  return shapeOf(error).name === 'ConditionalCheckFailedException';
}

export function hasName(error: unknown, ...names: string[]): boolean {
  const { name } = shapeOf(error);
  return typeof name === 'string' && names.includes(name);
}

export function isUnavailable(error: unknown): boolean {
  const { name, code, $metadata } = shapeOf(error);
  if (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) return true;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const status = $metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/**
 * Turns an SDK failure into the contract's errors: unreachable/throttled → StorageUnavailableError,
 * a vanished table → StorageNotFoundError; anything else (a bug or a misconfiguration) as is.
 */
export function toStorageError(error: unknown, safeName: string): unknown {
  if (isUnavailable(error)) {
    const { name, code, message } = shapeOf(error);
    const detail = [code ?? name, message].filter((part) => typeof part === 'string' && part !== '').join(': ');
    return new StorageUnavailableError('dynamodb', detail || 'request failed', error);
  }
  if (hasName(error, 'ResourceNotFoundException')) return new StorageNotFoundError(safeName);
  return error;
}

/** Exponential backoff with full jitter: 0–25 ms, 0–50 ms, … capped at 1 s. */
export function backoffMs(attempt: number): number {
  return Math.random() * Math.min(1000, 25 * 2 ** attempt);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
