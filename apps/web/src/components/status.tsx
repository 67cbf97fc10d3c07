'use client';
import { errorCodeOf, errorMessageOf } from '../lib/client-errors';

export function Loading({ label, testId }: { label: string; testId?: string }) {
  return (
    <p className="loading" role="status" data-testid={testId ?? 'loading'}>
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

/** An error answer shown in place of the content; `onRetry` offers to ask again. */
export function ErrorNotice({ error, testId, onRetry }: { error: unknown; testId?: string; onRetry?: () => void }) {
  const notFound = errorCodeOf(error) === 'NOT_FOUND';
  return (
    <div className="notice error" role="alert" data-testid={testId ?? 'error'}>
      <p>{errorMessageOf(error)}</p>
      {onRetry !== undefined && !notFound ? (
        <button type="button" className="secondary" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** A mutation's failure under its form. */
export function FormError({ error, testId }: { error: unknown; testId: string }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="form-error" role="alert" data-testid={testId}>
      {errorMessageOf(error)}
    </p>
  );
}
