import cassandra from 'cassandra-driver';
import { AppError } from '@stoa/errors';
import { StorageLimitError, StorageNotFoundError, StorageUnavailableError } from '@stoa/storage';

const codes = cassandra.types.responseErrorCodes;
const { NoHostAvailableError, OperationTimedOutError, ResponseError, BusyConnectionError } = cassandra.errors;

/** CAS_WRITE_UNKNOWN (protocol v5): the coordinator does not know whether the LWT was applied. */
const CAS_WRITE_UNKNOWN = 0x1700;

/** Server answers that mean "try again later" (the request may or may not have been applied). */
const UNAVAILABLE_CODES = new Set<number>([
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.truncateError,
  codes.writeTimeout,
  codes.readTimeout,
  codes.readFailure,
  codes.writeFailure,
  CAS_WRITE_UNKNOWN,
]);

/** What an operation was, so a timeout can say whether its outcome is unknown. */
export type OperationKind = 'read' | 'write' | 'lwt' | 'schema';

interface ResponseShape {
  code?: unknown;
  message?: unknown;
  writeType?: unknown;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A conditional write that timed out may have been applied: Paxos can have accepted the proposal
 * even though the coordinator gave up waiting. Reporting `false` or retrying blindly could lie, so
 * the caller gets an unavailable error that says so and must re-read the key to learn the outcome.
 */
export class StorageOutcomeUnknownError extends StorageUnavailableError {
  constructor(detail: string, cause: unknown) {
    super('cassandra', `${detail}; the conditional write may or may not have been applied (read the key)`, cause);
  }
}

/** An invalid-request answer that means "the schema is gone". */
function isMissingSchema(message: string): boolean {
  return /keyspace \S+ does not exist|unconfigured table|table \S+ does not exist/i.test(message);
}

/**
 * Turns a cassandra-driver failure into the contract's errors. Unreachable, overloaded and
 * timed-out → StorageUnavailableError (a timed-out LWT → StorageOutcomeUnknownError); a dropped
 * keyspace → StorageNotFoundError; the server refusing a too-large request → StorageLimitError;
 * anything else (a bug or a misconfiguration) is returned as is.
 */
export function toStorageError(error: unknown, kind: OperationKind, safeName?: string): unknown {
  if (error instanceof AppError) return error;
  if (error instanceof NoHostAvailableError || error instanceof BusyConnectionError) {
    return new StorageUnavailableError('cassandra', describeNoHost(error), error);
  }
  if (error instanceof OperationTimedOutError) {
    if (kind === 'lwt') return new StorageOutcomeUnknownError(`client timeout: ${error.message}`, error);
    return new StorageUnavailableError('cassandra', `client timeout: ${error.message}`, error);
  }
  if (error instanceof ResponseError) {
    const { code, writeType } = error as ResponseShape;
    const message = messageOf(error);
    if (typeof code === 'number' && UNAVAILABLE_CODES.has(code)) {
      const lwtTimeout = code === CAS_WRITE_UNKNOWN || writeType === 'CAS' || (kind === 'lwt' && isWrite(code));
      if (lwtTimeout) return new StorageOutcomeUnknownError(`server: ${message}`, error);
      return new StorageUnavailableError('cassandra', `server: ${message}`, error);
    }
    if (code === codes.invalid && safeName !== undefined && isMissingSchema(message)) {
      return new StorageNotFoundError(safeName);
    }
    // Our own checks keep requests under these limits; this is the backstop for a server configured lower.
    if (code === codes.invalid && /batch too large/i.test(message)) return serverLimit('batch', message, error);
    if (code === codes.invalid && /request is too big|oversized mutation/i.test(message)) {
      return serverLimit('value', message, error);
    }
  }
  return error;
}

const WRITE_FAILURE_CODES = new Set<number>([codes.writeTimeout, codes.writeFailure]);

function isWrite(code: number): boolean {
  return WRITE_FAILURE_CODES.has(code);
}

function describeNoHost(error: Error): string {
  const inner = (error as { innerErrors?: unknown }).innerErrors;
  const details =
    inner !== null && typeof inner === 'object'
      ? Object.entries(inner as Record<string, unknown>).map(([host, e]) => `${host}: ${messageOf(e)}`)
      : [];
  return details.length > 0 ? `${error.message} (${details.join('; ')})` : error.message;
}

/** The server's own refusal carries no sizes we can trust, so size and limit are reported as 0. */
function serverLimit(what: 'batch' | 'value', message: string, cause: unknown): StorageLimitError {
  const error = new StorageLimitError(what, 0, 0);
  error.message = `cassandra refused the request as too large: ${message}`;
  error.cause = cause;
  return error;
}
