'use client';

/** The route-level error boundary: something failed while rendering on the server or client. */
export default function RouteError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="narrow" data-testid="route-error">
      <div className="notice error" role="alert">
        <h1>Something went wrong</h1>
        <p>The page could not be shown{error.digest === undefined ? '' : ` (reference ${error.digest})`}.</p>
        <button type="button" onClick={reset}>
          Try again
        </button>
      </div>
    </main>
  );
}
