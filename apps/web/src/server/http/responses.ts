// JSON answers of the portal's plain route handlers (uploads, the webhook, the deploy log): the
// same codes and statuses as everywhere (ERROR_CODE_MAP), `{ code, message }` in the body.
import { isAppError } from '@stoa/errors';

export interface ErrorAnswer {
  readonly code: string;
  readonly message: string;
}

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { 'cache-control': 'no-store', ...headers } });
}

/** The answer for what a route handler threw: an AppError by its code, anything else a logged 500. */
export function errorResponse(error: unknown, route: string): Response {
  if (isAppError(error)) {
    const headers: Record<string, string> = error.code === 'UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer' } : {};
    return jsonResponse({ code: error.code, message: error.message } satisfies ErrorAnswer, error.httpStatus, headers);
  }
  console.error(`${route} failed:`, error);
  return jsonResponse({ code: 'INTERNAL', message: 'internal error' } satisfies ErrorAnswer, 500);
}
