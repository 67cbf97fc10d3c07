/**
 * App API tokens for machine clients: JWTs of kind `apiToken` signed by the node's key ring
 * (`resources.issueToken`) with the workspace (`wsid`) and roles (`rls`) claims, subject = the
 * token's `TokenID`. Each token has a `sys.ApiToken` record in its workspace (never the token
 * value); revoking deactivates the record (`sys.RevokeApiToken`), which also writes the revoked
 * index and adds the `jti` to this node's revocation set. Only `PUBLISHED ROLE`s may be carried
 * (they are the app's declared machine-facing roles). Every request with an API token checks its
 * record (access.ts → checkApiToken): bound to another workspace → 403, revoked/unknown → 401.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '@stoa/errors';
import type { QName } from '@stoa/vsql';
import type { AppRuntime } from '../app-runtime.js';
import type { CallContext } from '../service.js';
import type { StoredRecord } from '../types.js';
import type { ApiTokenInfo, CreatedApiToken } from './api.js';
import { checkRoles, requireOwner, splitRoles } from './common.js';
import { submitChange } from './events.js';
import { API_TOKEN_TABLE, listRevokedTokens } from './indexes.js';

export const MAX_API_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
const MAX_NAME = 255;

/** The `jti` of a JWT we just signed (payload = 2nd segment, base64url JSON). */
function jtiOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    jti?: unknown;
  };
  if (typeof payload.jti !== 'string') throw new AppError('INTERNAL', 'issued token has no jti');
  return payload.jti;
}

export async function createApiToken(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  input: { name: string; roles: readonly QName[]; expiresInSeconds?: number },
): Promise<CreatedApiToken> {
  const access = await requireOwner(app, ctx, wsid, 'create API tokens');
  if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > MAX_NAME) {
    throw new AppError('VALIDATION_FAILED', `name: expected 1..${MAX_NAME} characters`, { data: { field: 'name' } });
  }
  const roles = checkRoles(app, access.meta.kind, input.roles, true);
  const ttl = input.expiresInSeconds ?? MAX_API_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_API_TOKEN_TTL_SECONDS) {
    throw new AppError('VALIDATION_FAILED', `expiresInSeconds: expected an integer 1..${MAX_API_TOKEN_TTL_SECONDS}`, {
      data: { field: 'expiresInSeconds' },
    });
  }
  const issue = app.resources.issueToken;
  if (issue === undefined) throw new AppError('UNAVAILABLE', 'this engine cannot sign tokens (no key ring)');
  const tokenId = `at-${randomBytes(12).toString('base64url')}`;
  const issued = await issue({
    app: app.key,
    subject: tokenId,
    kind: 'apiToken',
    profileWSID: 0,
    wsid,
    roles,
    ttlSeconds: ttl,
  });
  const jti = jtiOf(issued.token);
  const by = ctx.principal?.subject ?? '';
  const expiresAt = (Math.floor(app.resources.now() / 1000) + issued.expiresInSeconds) * 1000;
  const id = await submitChange(app, wsid, 'sys.CreateApiToken', by, (tx, b) => {
    const recordId = b.insert(API_TOKEN_TABLE, {
      TokenID: tokenId,
      Jti: jti,
      Name: input.name,
      Roles: roles.join(','),
      ExpiresAt: expiresAt,
      CreatedBy: by,
      CreatedAt: tx.now,
    });
    return Promise.resolve({ result: recordId, arg: { name: input.name, roles: roles.join(',') } });
  });
  return { id, token: issued.token, expiresAt };
}

function toInfo(r: StoredRecord, now: number): ApiTokenInfo {
  const expiresAt = Number(r.ExpiresAt);
  return {
    id: Number(r['sys.ID']),
    name: String(r.Name),
    roles: splitRoles(r.Roles),
    expiresAt,
    ...(typeof r.CreatedAt === 'number' ? { createdAt: r.CreatedAt } : {}),
    ...(typeof r.CreatedBy === 'string' ? { createdBy: r.CreatedBy } : {}),
    revoked: r['sys.IsActive'] === false,
    expired: expiresAt <= now,
  };
}

export async function listApiTokens(app: AppRuntime, ctx: CallContext, wsid: number): Promise<ApiTokenInfo[]> {
  await requireOwner(app, ctx, wsid, 'list API tokens');
  const ids = await app.store.listCollection(wsid, API_TOKEN_TABLE);
  const now = app.resources.now();
  return (await app.store.getRecords(wsid, ids))
    .filter((r): r is StoredRecord => r !== undefined)
    .map((r) => toInfo(r, now));
}

export async function revokeApiToken(app: AppRuntime, ctx: CallContext, wsid: number, id: number): Promise<void> {
  await requireOwner(app, ctx, wsid, 'revoke API tokens');
  const revoked = await submitChange(app, wsid, 'sys.RevokeApiToken', ctx.principal?.subject ?? '', async (tx, b) => {
    const r = Number.isSafeInteger(id) && id > 0 ? await tx.state.getRecord(wsid, id) : undefined;
    if (r?.['sys.QName'] !== API_TOKEN_TABLE)
      throw new AppError('NOT_FOUND', `API token ${id} not found`, { data: { id } });
    b.update(r, { 'sys.IsActive': false });
    return { result: { jti: String(r.Jti), exp: Math.ceil(Number(r.ExpiresAt) / 1000) }, arg: { id } };
  });
  app.resources.revocations?.revoke(revoked.jti, revoked.exp);
}

/** At app load: the app's revoked tokens join this node's revocation set. */
export async function loadRevokedApiTokens(app: AppRuntime): Promise<void> {
  const set = app.resources.revocations;
  if (set === undefined) return;
  for (const { jti, exp } of await listRevokedTokens(app.store)) set.revoke(jti, exp);
}
