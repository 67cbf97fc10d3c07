import { AppError } from '@stoa/errors';

/** The backend cannot be reached or timed out; the operation may be retried. */
export class StorageUnavailableError extends AppError {
  constructor(backend: string, detail: string, cause?: unknown) {
    super('UNAVAILABLE', `storage ${backend} unavailable: ${detail}`, { cause, retryAfterSeconds: 1 });
  }
}

/** A value, key or batch exceeds the backend's stated limits; nothing was written. */
export class StorageLimitError extends AppError {
  constructor(what: 'value' | 'partition key' | 'clustering key' | 'batch', size: number, limit: number) {
    super(
      'PAYLOAD_TOO_LARGE',
      `${what} of ${size} ${what === 'batch' ? 'items' : 'bytes'} exceeds the limit of ${limit}`,
      {
        data: { what, size, limit },
      },
    );
  }
}

/** A caller passed an invalid argument (bad TTL, bad limit, bad app name, non-bytes key, …). */
export class StorageArgumentError extends AppError {
  constructor(message: string) {
    super('BAD_REQUEST', message);
  }
}

/** An app storage was opened before it was created. */
export class StorageNotFoundError extends AppError {
  constructor(safeName: string) {
    super('NOT_FOUND', `app storage ${safeName} does not exist`, { data: { safeName } });
  }
}
