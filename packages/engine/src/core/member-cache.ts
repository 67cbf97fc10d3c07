/**
 * Per-app cache of the roles a login holds through its `sys.Subject` record in a workspace
 * (ARCHITECTURE: roles are "cached, invalidated on change"), so a request does not pay a unique
 * index get plus a record get. Every record write goes through a partition's write set, and the
 * partition calls `invalidateSubjects` after flushing a batch (and after each recovery replay row)
 * and before any command of the batch is acknowledged, so a removed member is refused on the very
 * next request. A per-workspace version guards against a lookup that read the store before the
 * flush and finishes after it: such a result is returned but not cached.
 * Single node only: another node's writes would not invalidate this cache.
 */
import type { StoredEvent } from './types.js';

const SUBJECT_TABLE = 'sys.Subject';
/** Bound on cached (workspace, login) entries; the whole map is dropped when it is full. */
const MAX_ENTRIES = 10_000;

interface Entry {
  readonly version: number;
  readonly roles: readonly string[];
}

export interface MemberRolesCache {
  get(wsid: number, login: string, load: () => Promise<readonly string[]>): Promise<readonly string[]>;
  invalidate(wsid: number): void;
}

const caches = new WeakMap<object, MemberRolesCache>();

/** The cache of one app (keyed by its runtime object, so it lives and dies with the app). */
export function memberRolesCache(app: object): MemberRolesCache {
  let cache = caches.get(app);
  if (cache === undefined) caches.set(app, (cache = createMemberRolesCache()));
  return cache;
}

/** Drops the cached roles of every workspace in which the events wrote a `sys.Subject` record. */
export function invalidateSubjects(app: object, events: readonly StoredEvent[]): void {
  const cache = caches.get(app);
  if (cache === undefined) return;
  for (const e of events) {
    if (e.ws !== undefined || e.cuds.some((c) => c.table === SUBJECT_TABLE)) cache.invalidate(e.wsid);
  }
}

function createMemberRolesCache(): MemberRolesCache {
  const versions = new Map<number, number>();
  const entries = new Map<string, Entry>();
  return {
    async get(wsid, login, load) {
      const key = `${wsid}\u0000${login}`;
      const version = versions.get(wsid) ?? 0;
      const hit = entries.get(key);
      if (hit !== undefined && hit.version === version) return hit.roles;
      const roles = await load();
      if ((versions.get(wsid) ?? 0) === version) {
        if (entries.size >= MAX_ENTRIES) entries.clear();
        entries.set(key, { version, roles });
      }
      return roles;
    },
    invalidate(wsid) {
      versions.set(wsid, (versions.get(wsid) ?? 0) + 1);
    },
  };
}
