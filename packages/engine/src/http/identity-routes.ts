import { AppError } from '@stoa/errors';
import type { Principal } from '@stoa/auth';
import { z } from 'zod';
import type { AppService, CallContext } from '../core/service.js';
import { readJsonBody } from './body.js';
import type { Exchange } from './exchange.js';
import { NO_PARAMS, parseReadParams } from './read-params.js';
import type { RouteId, RouteMatch } from './router.js';
import { parseOrThrow } from './validation.js';

/**
 * Identity routes of one app (core/identity): `POST /users` 201 `{login, profileWSID}`,
 * `POST /devices` 201 `{login, password}`, `POST /auth/login` 200 `{principalToken,
 * expiresInSeconds, profileWSID}`, `POST /auth/refresh` 200 (same shape), `POST
 * /users/change-password` 204, `POST /users/deactivate` 204. The first four without a token
 * (`/auth/refresh` and `/users/deactivate` need one). Bodies are strict JSON objects; a 400 names
 * the field. Credential failures are 401 `login or password is incorrect`, 429 + Retry-After
 * when throttled.
 */

export const IDENTITY_ROUTES: ReadonlySet<RouteId> = new Set<RouteId>([
  'users',
  'devices',
  'login',
  'refresh',
  'changePassword',
  'deactivateLogin',
]);

const LOGIN_CHARS = /^[A-Za-z0-9._@+-]+$/;
const str = (what: string): z.ZodString => z.string({ error: `expected ${what}` });

const newLogin = str('a string')
  .min(1, { error: 'expected 1..100 characters' })
  .max(100, { error: 'expected 1..100 characters' })
  .regex(LOGIN_CHARS, { error: 'only A-Z a-z 0-9 . _ @ + - are allowed' });
const newPassword = str('a string')
  .min(8, { error: 'expected 8..128 characters' })
  .max(128, { error: 'expected 8..128 characters' });
const displayName = str('a string')
  .min(1, { error: 'expected 1..100 characters' })
  .max(100, { error: 'expected 1..100 characters' });
/** Credentials presented for checking: any shape problem beyond "a string" is a plain 401. */
const presentedLogin = str('a string').max(256, { error: 'at most 256 characters' });
const presentedPassword = str('a string').max(1024, { error: 'at most 1024 characters' });

export const signUpBody = z.strictObject({ login: newLogin, password: newPassword, displayName });
export const deviceBody = z.strictObject({ displayName: displayName.optional() });
export const loginBody = z.strictObject({ login: presentedLogin, password: presentedPassword });
export const changePasswordBody = z.strictObject({
  login: presentedLogin,
  oldPassword: presentedPassword,
  newPassword,
});
export const deactivateBody = z.strictObject({ login: presentedLogin.optional() });

export async function handleIdentityRoute(
  ex: Exchange,
  match: RouteMatch,
  app: AppService,
  principal: Principal | null,
  maxBody: number,
): Promise<void> {
  const identity = app.identity;
  if (identity === undefined) throw new AppError('NOT_FOUND', 'route not found');
  parseReadParams(ex.queryString, NO_PARAMS, undefined);
  const ctx: CallContext = { requestId: ex.requestId, principal, ip: ex.ip };
  const body = async (): Promise<unknown> => (await readJsonBody(ex.req, maxBody)) ?? {};
  // Credentials and tokens must never be cached by an intermediary.
  ex.res.setHeader('cache-control', 'no-store');

  switch (match.route.id) {
    case 'users': {
      const input = parseOrThrow(signUpBody, await body(), '');
      ex.sendJson(201, await identity.signUp(ctx, input));
      return;
    }
    case 'devices': {
      const input = parseOrThrow(deviceBody, await body(), '');
      ex.sendJson(201, await identity.createDevice(ctx, input));
      return;
    }
    case 'login': {
      const input = parseOrThrow(loginBody, await body(), '');
      ex.sendJson(200, await identity.login(ctx, input));
      return;
    }
    case 'refresh': {
      const raw = await readJsonBody(ex.req, maxBody);
      if (!(raw === undefined || (isPlainObject(raw) && Object.keys(raw).length === 0))) {
        throw new AppError('BAD_REQUEST', 'unexpected body: send none or {}');
      }
      const token = bearerOf(ex);
      if (principal === null || token === undefined)
        throw new AppError('UNAUTHENTICATED', 'a bearer token is required');
      ex.sendJson(200, await identity.refresh(ctx, token));
      return;
    }
    case 'changePassword': {
      const input = parseOrThrow(changePasswordBody, await body(), '');
      await identity.changePassword(ctx, input);
      ex.sendEmpty(204);
      return;
    }
    case 'deactivateLogin': {
      const input = parseOrThrow(deactivateBody, await body(), '');
      if (principal === null) throw new AppError('UNAUTHENTICATED', 'a bearer token is required');
      await identity.deactivate(ctx, input.login);
      ex.sendEmpty(204);
      return;
    }
    default:
      throw new AppError('NOT_FOUND', 'route not found');
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bearerOf(ex: Exchange): string | undefined {
  const header = ex.req.headers.authorization;
  if (header === undefined || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  return header.slice(7).trim();
}
