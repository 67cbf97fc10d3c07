/** The per-request check of an API-token principal (called by access.ts; kept free of access.ts imports). */
import type { Principal } from '@stoa/auth';
import { AppError } from '@stoa/errors';
import type { AppRuntime } from '../app-runtime.js';
import { uniqueTupleKey } from '../cud-resolve.js';
import { API_TOKEN_TABLE } from './indexes.js';

/**
 * An API-token principal in workspace `wsid`: 403 when the token is bound to another workspace,
 * 401 when its record is gone or deactivated (revoked — also on nodes that did not revoke it).
 */
export async function checkApiToken(app: AppRuntime, principal: Principal, wsid: number): Promise<void> {
  if (principal.wsid !== wsid) {
    throw new AppError('FORBIDDEN', `this API token is bound to workspace ${principal.wsid ?? 0}, not ${wsid}`);
  }
  const def = app.appdef.tables[API_TOKEN_TABLE];
  const unique = def?.uniques.find((u) => u.fields.length === 1 && u.fields[0] === 'TokenID');
  if (def === undefined || unique === undefined) return;
  const key = uniqueTupleKey(def, wsid, unique, { TokenID: principal.subject });
  const id = key === undefined ? undefined : await app.store.getUnique(key.key);
  const record = id === undefined ? undefined : await app.store.getRecord(wsid, id);
  if (record === undefined || record['sys.IsActive'] === false) {
    if (record !== undefined && principal.tokenId !== undefined)
      app.resources.revocations?.revoke(principal.tokenId, principal.expiresAt);
    throw new AppError('UNAUTHENTICATED', 'token revoked');
  }
}
