import cassandra from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { StorageLimitError, StorageNotFoundError, StorageUnavailableError } from '@stoa/storage';
import { StorageOutcomeUnknownError, toStorageError } from './map-error.js';

const { errors, types } = cassandra;
const codes = types.responseErrorCodes;

function response(code: number, message: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new errors.ResponseError(code, message), extra);
}

describe('toStorageError', () => {
  it('maps unreachable hosts and client timeouts to StorageUnavailableError', () => {
    const noHost = toStorageError(new errors.NoHostAvailableError({ '127.0.0.1:1': new Error('refused') }), 'read');
    expect(noHost).toBeInstanceOf(StorageUnavailableError);
    expect((noHost as Error).message).toContain('127.0.0.1:1: refused');
    const timeout = toStorageError(new errors.OperationTimedOutError('no answer'), 'write');
    expect(timeout).toBeInstanceOf(StorageUnavailableError);
    expect(timeout).not.toBeInstanceOf(StorageOutcomeUnknownError);
  });

  it('maps server-side unavailability, overload and timeouts to StorageUnavailableError', () => {
    for (const code of [codes.unavailableException, codes.overloaded, codes.readTimeout, codes.writeTimeout]) {
      const mapped = toStorageError(response(code, 'busy'), 'read');
      expect(mapped).toBeInstanceOf(StorageUnavailableError);
      expect(mapped).not.toBeInstanceOf(StorageOutcomeUnknownError);
    }
  });

  it('reports a timed-out LWT as an unknown outcome, never as a plain failure', () => {
    const cas = toStorageError(response(codes.writeTimeout, 'timeout', { writeType: 'CAS' }), 'write');
    expect(cas).toBeInstanceOf(StorageOutcomeUnknownError);
    expect(cas).toBeInstanceOf(StorageUnavailableError);
    expect((cas as Error).message).toMatch(/may or may not have been applied/);
    expect(toStorageError(response(0x1700, 'cas write unknown'), 'lwt')).toBeInstanceOf(StorageOutcomeUnknownError);
    expect(toStorageError(new errors.OperationTimedOutError('slow'), 'lwt')).toBeInstanceOf(StorageOutcomeUnknownError);
    // A read timeout happens before this LWT proposes anything: nothing was applied, a retry is safe.
    expect(toStorageError(response(codes.readTimeout, 'slow read'), 'lwt')).not.toBeInstanceOf(
      StorageOutcomeUnknownError,
    );
  });

  it('maps a vanished keyspace to StorageNotFoundError and server size refusals to StorageLimitError', () => {
    const missing = toStorageError(response(codes.invalid, 'Keyspace stoa_x does not exist'), 'read', 'x_app');
    expect(missing).toBeInstanceOf(StorageNotFoundError);
    expect(toStorageError(response(codes.invalid, 'Batch too large'), 'write')).toBeInstanceOf(StorageLimitError);
    expect(
      toStorageError(response(codes.invalid, 'Request is too big: length 17826750 exceeds 16777216'), 'write'),
    ).toBeInstanceOf(StorageLimitError);
  });

  it('returns other errors unchanged', () => {
    const syntax = response(codes.syntaxError, 'line 1: no viable alternative');
    expect(toStorageError(syntax, 'read')).toBe(syntax);
    const plain = new TypeError('bug');
    expect(toStorageError(plain, 'write')).toBe(plain);
  });
});
