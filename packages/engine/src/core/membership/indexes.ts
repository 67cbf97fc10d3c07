/**
 * Indexes of membership data by login, derived from `sys.Subject`, `sys.Invite` and `sys.ApiToken`
 * records by `applyEvent` (so recovery rebuilds them with the records):
 *
 *   member index  [20][login]  [wsid]   {roles, active}        — the caller's workspaces (GET /workspaces)
 *   invite index  [21][login]  [wsid]   {inviteId, state, roles} — the LATEST invite of the login there
 *   revoked       [22]         [jti]    {jti, exp}                 — revoked API tokens (loaded at app load)
 *
 * Only one invite per (login, workspace) can be pending at a time and only a pending invite ever
 * changes, so the latest invite is all the invite index needs: `GET /invites` lists the entries in
 * state "created", and the pending-invite check of a new invite is a point read that sees the
 * writes of the current batch.
 */
import { KeyWriter } from '../../store/key-codec.js';
import { decodeU64, type StorageKey } from '../../store/keys.js';
import type { AppStore } from '../../store/app-store.js';
import { decodeValue, encodeValue } from '../../store/value-codec.js';
import type { StoredRecord } from '../types.js';
import type { WriteSet } from '../write-set.js';

export const SUBJECT_TABLE = 'sys.Subject';
export const INVITE_TABLE = 'sys.Invite';
export const API_TOKEN_TABLE = 'sys.ApiToken';

const MEMBER_INDEX = 0x20;
const INVITE_INDEX = 0x21;
const REVOKED_TOKENS = 0x22;

export interface MemberIndexEntry {
  readonly roles: string;
  readonly active: boolean;
}

export interface InviteIndexEntry {
  readonly inviteId: number;
  readonly state: number;
  readonly roles: string;
}

function loginPk(kind: number, login: string): Uint8Array {
  return new KeyWriter(32).u8(kind).str(login).finish();
}

function wsidCk(wsid: number): Uint8Array {
  return new KeyWriter(8).u64(wsid).finish();
}

export function memberIndexKey(login: string, wsid: number): StorageKey {
  return { pk: loginPk(MEMBER_INDEX, login), ck: wsidCk(wsid) };
}

export function inviteIndexKey(login: string, wsid: number): StorageKey {
  return { pk: loginPk(INVITE_INDEX, login), ck: wsidCk(wsid) };
}

const REVOKED_PK = new Uint8Array([REVOKED_TOKENS]);

export function revokedTokenKey(jti: string): StorageKey {
  return { pk: REVOKED_PK, ck: new KeyWriter(32).str(jti).finish() };
}

/** Called by applyEvent for every record an event writes. */
export function indexMembershipRecord(writes: WriteSet, wsid: number, record: StoredRecord): void {
  const table = record['sys.QName'];
  if (table === SUBJECT_TABLE && typeof record.Login === 'string') {
    const entry: MemberIndexEntry = {
      roles: typeof record.Roles === 'string' ? record.Roles : '',
      active: record['sys.IsActive'] !== false,
    };
    writes.put(memberIndexKey(record.Login, wsid), encodeValue(entry));
  } else if (table === INVITE_TABLE && typeof record.Login === 'string') {
    const entry: InviteIndexEntry = {
      inviteId: Number(record['sys.ID']),
      state: Number(record.State),
      roles: typeof record.Roles === 'string' ? record.Roles : '',
    };
    writes.put(inviteIndexKey(record.Login, wsid), encodeValue(entry));
  } else if (table === API_TOKEN_TABLE && record['sys.IsActive'] === false && typeof record.Jti === 'string') {
    const entry = { jti: record.Jti, exp: Math.ceil(Number(record.ExpiresAt) / 1000) };
    writes.put(revokedTokenKey(record.Jti), encodeValue(entry));
  }
}

/** A point read through the pending writes of a batch (when given) to storage. */
export async function readIndex<T>(store: AppStore, key: StorageKey, writes?: WriteSet): Promise<T | undefined> {
  const pending = writes?.getPut(key);
  if (pending !== undefined) return decodeValue<T>(pending);
  return store.getJson<T>(key);
}

async function listByLogin<T>(store: AppStore, kind: number, login: string): Promise<{ wsid: number; entry: T }[]> {
  const out: { wsid: number; entry: T }[] = [];
  for await (const e of store.storage.read(loginPk(kind, login))) {
    out.push({ wsid: decodeU64(e.ck), entry: decodeValue<T>(e.value) });
  }
  return out;
}

export function listMemberEntries(
  store: AppStore,
  login: string,
): Promise<{ wsid: number; entry: MemberIndexEntry }[]> {
  return listByLogin<MemberIndexEntry>(store, MEMBER_INDEX, login);
}

export function listInviteEntries(
  store: AppStore,
  login: string,
): Promise<{ wsid: number; entry: InviteIndexEntry }[]> {
  return listByLogin<InviteIndexEntry>(store, INVITE_INDEX, login);
}

export async function listRevokedTokens(store: AppStore): Promise<{ jti: string; exp: number }[]> {
  const out: { jti: string; exp: number }[] = [];
  for await (const e of store.storage.read(REVOKED_PK)) out.push(decodeValue<{ jti: string; exp: number }>(e.value));
  return out;
}

/** Workspaces the principal belongs to besides those it owns: active memberships; an API token's own. */
export async function listMemberWorkspaces(
  store: AppStore,
  principal: { readonly kind: string; readonly subject: string; readonly wsid?: number },
): Promise<number[]> {
  if (principal.kind === 'apiToken') return principal.wsid === undefined ? [] : [principal.wsid];
  if (principal.kind !== 'user' && principal.kind !== 'device') return [];
  return (await listMemberEntries(store, principal.subject)).filter((e) => e.entry.active).map((e) => e.wsid);
}
