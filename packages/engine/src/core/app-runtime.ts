/**
 * Everything one loaded app shares across its partitions and service methods: AppDef, storage,
 * extension runtime, ACL evaluator, workspace registry cache, WSID arithmetic, singleton ids.
 *
 * WSIDs (all below 2^53, partition = WSID mod partitions):
 *   - app workspace of partition p: APP_WS_BASE + p, APP_WS_BASE = the first multiple of
 *     `partitions` ≥ 65536 (so they sit where Voedger keeps app workspaces);
 *   - new workspaces: USER_WS_BASE + n·partitions + p, USER_WS_BASE = the first multiple of
 *     `partitions` ≥ 2^17, where p is picked by a hash of (owner, name) — spreading workspaces over
 *     partitions — and n is the next value of partition p's counter. The counter is owned by p's
 *     single writer (so allocation is atomic without storage locks), checkpointed with the
 *     partition and rebuilt from the creation events in the PLog on recovery. The new workspace
 *     lives in the same partition that allocated it, so creation is one event.
 */
import type { AclEvaluator } from '@stoa/auth';
import type { ExtensionDef, QName, AppDef } from '@stoa/vsql';
import type { Logger } from 'pino';
import type { AppBundle } from '../app/bundle.js';
import type { EngineResources } from '../resources.js';
import type { AppStore } from '../store/app-store.js';
import type { IdentityOptions } from './identity/types.js';
import type { ExtensionRuntime } from './invoke.js';
import type { EngineMetrics } from './metrics.js';
import type { Partition } from './partition.js';
import type { NotificationBroker } from './service.js';
import type { StoredEvent, WorkspaceMeta } from './types.js';
import { FIRST_SINGLETON_ID, MAX_SINGLETON_ID } from './types.js';
import type { WriteSet } from './write-set.js';

export interface EngineCoreOptions {
  /** Deadline of one extension invocation (default 10 s). */
  readonly extensionTimeoutMs?: number;
  /** Checkpoint after this many events (default 1000)… */
  readonly checkpointEveryEvents?: number;
  /** …or this often when events were applied (default 5 s). */
  readonly checkpointIntervalMs?: number;
  /** Async projectors: events per flush (default 100). */
  readonly projectorBatchEvents?: number;
  /** Async projectors: retry backoff after a failure, doubling up to the max (default 100 ms … 30 s). */
  readonly projectorBackoffMs?: { readonly initial: number; readonly max: number };
  /** Start cron jobs (default true). */
  readonly jobs?: boolean;
  /** Start async projectors (default true; tests and tools may run without them). */
  readonly asyncProjectors?: boolean;
  /** Logins and tokens: scrypt cost, token lifetime, failure throttles (core/identity). */
  readonly identity?: IdentityOptions;
}

export type ResolvedOptions = Required<Omit<EngineCoreOptions, 'projectorBackoffMs' | 'identity'>> & {
  readonly identity: IdentityOptions;
  readonly projectorBackoffMs: { readonly initial: number; readonly max: number };
};

export function resolveOptions(o: EngineCoreOptions = {}): ResolvedOptions {
  return {
    extensionTimeoutMs: o.extensionTimeoutMs ?? 10_000,
    checkpointEveryEvents: o.checkpointEveryEvents ?? 1000,
    checkpointIntervalMs: o.checkpointIntervalMs ?? 5000,
    projectorBatchEvents: o.projectorBatchEvents ?? 100,
    projectorBackoffMs: o.projectorBackoffMs ?? { initial: 100, max: 30_000 },
    jobs: o.jobs ?? true,
    asyncProjectors: o.asyncProjectors ?? true,
    identity: o.identity ?? {},
  };
}

const APP_WS_FLOOR = 65_536;
const USER_WS_FLOOR = 131_072;

function firstMultipleAtLeast(floor: number, n: number): number {
  return Math.ceil(floor / n) * n;
}

export class WorkspaceCache {
  private readonly known = new Map<number, WorkspaceMeta>();

  constructor(private readonly store: AppStore) {}

  async get(wsid: number): Promise<WorkspaceMeta | undefined> {
    const hit = this.known.get(wsid);
    if (hit !== undefined) return hit;
    const meta = await this.store.loadWorkspace(wsid);
    if (meta !== undefined) this.known.set(wsid, meta);
    return meta;
  }

  set(meta: WorkspaceMeta): void {
    this.known.set(meta.wsid, meta);
  }
}

export class AppRuntime {
  readonly key: string;
  readonly appdef: AppDef;
  readonly partitionCount: number;
  readonly appWsBase: number;
  readonly userWsBase: number;
  readonly workspaces: WorkspaceCache;
  readonly singletonIds = new Map<QName, number>();
  readonly partitions: Partition[] = [];
  readonly projectors: { sync: ExtensionDef[]; async: ExtensionDef[] };

  constructor(
    readonly bundle: AppBundle,
    readonly resources: EngineResources,
    readonly options: ResolvedOptions,
    readonly store: AppStore,
    readonly extensions: ExtensionRuntime,
    readonly acl: AclEvaluator,
    readonly metrics: EngineMetrics,
    readonly notifications: NotificationBroker,
    readonly logger: Logger,
  ) {
    this.key = `${bundle.owner}/${bundle.manifest.name}`;
    this.appdef = bundle.appdef;
    this.partitionCount = bundle.manifest.partitions;
    this.appWsBase = firstMultipleAtLeast(APP_WS_FLOOR, this.partitionCount);
    this.userWsBase = firstMultipleAtLeast(USER_WS_FLOOR, this.partitionCount);
    this.workspaces = new WorkspaceCache(store);
    const all = Object.values(this.appdef.extensions).filter((e) => e.kind === 'projector');
    this.projectors = { sync: all.filter((p) => p.sync === true), async: all.filter((p) => p.sync !== true) };
  }

  partitionOf(wsid: number): number {
    return wsid % this.partitionCount;
  }

  partitionFor(wsid: number): Partition {
    return this.partitions[this.partitionOf(wsid)]!;
  }

  appWorkspaceWSID(partition: number): number {
    return this.appWsBase + partition;
  }

  isAppWorkspace(wsid: number): boolean {
    return wsid >= this.appWsBase && wsid < this.appWsBase + this.partitionCount;
  }

  userWSID(number: number, partition: number): number {
    return this.userWsBase + number * this.partitionCount + partition;
  }

  getSecret(name: string): Promise<string | undefined> {
    return this.resources.secrets.get(this.key, name);
  }

  singletonId(table: QName): number | undefined {
    return this.singletonIds.get(table);
  }

  /** Fixed ids of singletons, assigned once per app and persisted so they never change. */
  async assignSingletonIds(): Promise<void> {
    // Ids held by singletons of every version ever loaded, not only this AppDef's: after a
    // rollback to a version without a singleton, a newer singleton must not get its id.
    let next = FIRST_SINGLETON_ID;
    for (const stored of await this.store.listAppMeta<{ id: number }>('singleton'))
      next = Math.max(next, stored.id + 1);
    const missing: QName[] = [];
    for (const t of Object.values(this.appdef.tables)) {
      if (!t.singleton || t.abstract) continue;
      const stored = await this.store.getAppMeta<{ id: number }>('singleton', t.qname);
      if (stored === undefined) missing.push(t.qname);
      else {
        this.singletonIds.set(t.qname, stored.id);
        next = Math.max(next, stored.id + 1);
      }
    }
    for (const q of missing) {
      if (next > MAX_SINGLETON_ID)
        throw new Error(`too many singletons (max ${MAX_SINGLETON_ID - FIRST_SINGLETON_ID + 1})`);
      await this.store.putAppMeta('singleton', q, { id: next });
      this.singletonIds.set(q, next++);
    }
  }

  /** Notifies watchers of the views and WLogs a flushed batch changed. */
  publishWrites(writes: WriteSet, events: readonly StoredEvent[]): void {
    const latest = new Map<string, { view: QName; wsid: number; offset: number }>();
    for (const w of writes.views.values()) {
      const id = `${w.view} ${w.wsid}`;
      const cur = latest.get(id);
      if (cur === undefined || cur.offset < w.value.offset)
        latest.set(id, { view: w.view, wsid: w.wsid, offset: w.value.offset });
    }
    for (const e of events) latest.set(`sys.WLog ${e.wsid}`, { view: 'sys.WLog', wsid: e.wsid, offset: e.wlogOffset });
    for (const { view, wsid, offset } of latest.values())
      this.notifications.publish({ app: this.key, view, wsid }, offset);
  }
}
