// Reading tRPC errors in client components.
import { TRPCClientError } from '@trpc/client';

/** The tRPC code of an error (`NOT_FOUND`, `FORBIDDEN`, …), if it is a tRPC error. */
export function errorCodeOf(error: unknown): string | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data: unknown = error.data;
  if (typeof data !== 'object' || data === null || !('code' in data)) return undefined;
  return typeof data.code === 'string' ? data.code : undefined;
}

/** A message fit to show: the server's for answered errors, a generic one for network failures. */
export function errorMessageOf(error: unknown): string {
  if (error instanceof TRPCClientError) {
    return errorCodeOf(error) === undefined ? 'The portal cannot be reached; try again.' : error.message;
  }
  return error instanceof Error ? error.message : 'Something went wrong.';
}

/** Client errors (4xx) are answers: retrying them changes nothing. */
export function isRetryable(error: unknown): boolean {
  const code = errorCodeOf(error);
  return code === undefined || code === 'INTERNAL_SERVER_ERROR' || code === 'TIMEOUT';
}
