import type { JsonSchema } from './openapi-schemas.js';
import { errorRefs, jsonAnswer, jsonBody, schemaRef } from './openapi-schemas.js';

/**
 * OpenAPI paths and schemas of the identity routes (identity-routes.ts): sign-up, devices, login,
 * refresh, password change, deactivation. Merged into the app document by openapi.ts.
 */

type Operation = Record<string, unknown>;

const errors = errorRefs;
const body = jsonBody;
const answer = jsonAnswer;

export function addIdentityPaths(add: (path: string, method: string, op: Operation, sec?: unknown[]) => void): void {
  const open: unknown[] = [];
  const tags = ['identity'];
  add(
    '/users',
    'post',
    {
      operationId: 'signUp',
      tags,
      summary: 'Create a user login and its profile workspace (answered once both exist)',
      requestBody: body('SignUpRequest'),
      responses: {
        ...answer('201', 'created', schemaRef('SignUpResult')),
        ...errors(['400', '409', '413', '429', '503']),
      },
    },
    open,
  );
  add(
    '/devices',
    'post',
    {
      operationId: 'createDevice',
      tags,
      summary: 'Create a device login with generated credentials (the password is shown once)',
      requestBody: {
        required: false,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { displayName: { type: 'string', minLength: 1, maxLength: 100 } },
              additionalProperties: false,
            },
          },
        },
      },
      responses: {
        ...answer('201', 'created', schemaRef('Credentials')),
        ...errors(['400', '413', '429', '503']),
      },
    },
    open,
  );
  add(
    '/auth/login',
    'post',
    {
      operationId: 'login',
      tags,
      summary: 'Exchange login and password for a principal token',
      description:
        'Every failure (unknown login, wrong password, deactivated login) answers 401 ' +
        '`login or password is incorrect`. Repeated failures per login and per IP answer 429 + Retry-After.',
      requestBody: body('Credentials'),
      responses: { ...answer('200', 'token', schemaRef('PrincipalToken')), ...errors(['400', '401', '429', '503']) },
    },
    open,
  );
  add('/auth/refresh', 'post', {
    operationId: 'refreshToken',
    tags,
    summary: 'A new token with the same lifetime as the presented one (login tokens only)',
    responses: { ...answer('200', 'token', schemaRef('PrincipalToken')), ...errors(['400', '401', '403']) },
  });
  add(
    '/users/change-password',
    'post',
    {
      operationId: 'changePassword',
      tags,
      summary: 'Change a password; the old password is the credential (throttled like login)',
      requestBody: body('ChangePasswordRequest'),
      responses: { '204': { description: 'changed' }, ...errors(['400', '401', '429', '503']) },
    },
    open,
  );
  add('/users/deactivate', 'post', {
    operationId: 'deactivateLogin',
    tags,
    summary: "Deactivate the caller's login (sys.System: any `login`); its tokens are refused from now on",
    requestBody: {
      required: false,
      content: {
        'application/json': {
          schema: { type: 'object', properties: { login: { type: 'string' } }, additionalProperties: false },
        },
      },
    },
    responses: { '204': { description: 'deactivated' }, ...errors(['400', '401', '403', '404']) },
  });
}

export function identitySchemas(): Record<string, JsonSchema> {
  const login: JsonSchema = { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._@+-]+$' };
  const password: JsonSchema = { type: 'string', minLength: 8, maxLength: 128 };
  const wsid: JsonSchema = { type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER };
  return {
    SignUpRequest: {
      type: 'object',
      properties: { login, password, displayName: { type: 'string', minLength: 1, maxLength: 100 } },
      required: ['login', 'password', 'displayName'],
      additionalProperties: false,
    },
    SignUpResult: {
      type: 'object',
      properties: { login: { type: 'string' }, profileWSID: wsid },
      required: ['login', 'profileWSID'],
    },
    Credentials: {
      type: 'object',
      properties: { login: { type: 'string' }, password: { type: 'string' } },
      required: ['login', 'password'],
      additionalProperties: false,
    },
    PrincipalToken: {
      type: 'object',
      properties: {
        principalToken: { type: 'string', description: 'EdDSA JWT (aud = owner/app, sub = login, pws = profile WSID)' },
        expiresInSeconds: { type: 'integer', minimum: 1 },
        profileWSID: wsid,
      },
      required: ['principalToken', 'expiresInSeconds', 'profileWSID'],
    },
    ChangePasswordRequest: {
      type: 'object',
      properties: { login: { type: 'string' }, oldPassword: { type: 'string' }, newPassword: password },
      required: ['login', 'oldPassword', 'newPassword'],
      additionalProperties: false,
    },
  };
}
