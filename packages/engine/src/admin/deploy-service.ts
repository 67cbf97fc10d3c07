/**
 * The engine admin API's behaviour (docs/admin-api.md): verified, stored bundles; deploys checked
 * for compatibility against the live version and activated atomically through the engine core;
 * rollback, undeploy, history; sealed app secrets; node info. Its state lives in the node's
 * `sys/engine` storage (deploy-store.ts), so a restarted node serves the same versions
 * (`restoreDeployedApps`).
 *
 * Order of a deploy: verify → compatibility (409 changes nothing) → activate on the node → record
 * the version. A crash between activation and the record leaves the previous version recorded: the
 * restarted node serves it and the caller, who got no answer, deploys again.
 */
import { hostname } from 'node:os';
import { openBundle, type VerifiedBundle } from '@stoa/bundle/bundle';
import { AppError } from '@stoa/errors';
import { checkCompatibility, diffAppDefs } from '@stoa/vsql';
import type { Logger } from 'pino';
import { appKey, type AppBundle } from '../app/bundle.js';
import type { EngineCoreHandle } from '../core/engine-core.js';
import type { SecretStore } from '../resources.js';
import type { AppRecord, DeployStore } from './deploy-store.js';
import { secretAad, type SecretBox } from './secret-box.js';
import type {
  AdminApi,
  AdminCaller,
  AppDetail,
  AppInfo,
  BundleInfo,
  DeployBreakingChange,
  DeployResult,
  Deployment,
  IncompatibleDeployData,
  NodeInfo,
  RollbackTarget,
} from './types.js';

export interface DeployServiceOptions {
  readonly core: EngineCoreHandle;
  readonly store: DeployStore;
  readonly box: SecretBox;
  readonly logger: Logger;
  /** `owner/app` of the apps loaded from folders: listed, never managed here. */
  readonly folderApps: ReadonlySet<string>;
  readonly node: { readonly id: string; readonly storage: string; readonly engineVersion: string };
  readonly now?: () => number;
}

export interface DeployService extends AdminApi {
  /** Loads every app whose record says active (node start). Failures are logged, not thrown. */
  restoreDeployedApps(): Promise<{ restored: string[]; failed: string[] }>;
  /** `sys.AppSecret` values for extensions: sealed admin secrets. */
  readonly secrets: SecretStore;
}

const EMPTY_DIFF = { entries: [], text: '' } as const;
/** Opened bundles kept in memory (opening recompiles the AppDef from the sources). */
const OPENED_CACHE_SIZE = 16;

/** The bundle-shaped interface the core loads (docs/ARCHITECTURE.md §9): a bundle's id is its version hash. */
export function toAppBundle(owner: string, bundle: VerifiedBundle): AppBundle {
  return {
    owner,
    manifest: { name: bundle.manifest.name, partitions: bundle.manifest.partitions },
    appdef: bundle.appdef,
    modules: bundle.modules,
    versionHash: bundle.id,
  };
}

export function createDeployService(options: DeployServiceOptions): DeployService {
  const { core, store, box, logger, folderApps } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  /** Opened bundles with their zip's size (so GET /bundles/{id} reads nothing a second time). */
  const opened = new Map<string, { readonly bundle: VerifiedBundle; readonly size: number }>();
  const tails = new Map<string, Promise<unknown>>();

  /** One admin operation per app at a time: each reads and rewrites the app's record. */
  const serialize = <T>(key: string, step: () => Promise<T>): Promise<T> => {
    const run = (tails.get(key) ?? Promise.resolve()).then(step, step);
    const tail = run.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return run;
  };

  const openStored = async (id: string): Promise<VerifiedBundle> => (await openStoredSized(id)).bundle;

  const openStoredSized = async (id: string): Promise<{ bundle: VerifiedBundle; size: number }> => {
    const hit = opened.get(id);
    if (hit !== undefined) return hit;
    const bytes = await store.getBundle(id);
    if (bytes === undefined) {
      throw new AppError('NOT_FOUND', `bundle ${id} is not uploaded to this node (PUT /admin/v1/bundles/${id} first)`, {
        data: { field: 'bundle' },
      });
    }
    const bundle = openBundle(bytes, { expectedId: id });
    remember(bundle, bytes.length);
    return { bundle, size: bytes.length };
  };

  const remember = (bundle: VerifiedBundle, size: number): void => {
    opened.delete(bundle.id);
    opened.set(bundle.id, { bundle, size });
    if (opened.size > OPENED_CACHE_SIZE) opened.delete(opened.keys().next().value!);
  };

  const refuseFolderApp = (key: string): void => {
    if (folderApps.has(key)) {
      throw new AppError(
        'CONFLICT',
        `app ${key} is served from a folder (STOA_APPS) on this node; it cannot be deployed, rolled back or undeployed through the admin API`,
        { data: { reason: 'folder-app' } },
      );
    }
  };

  const activeDeployment = (record: AppRecord): Deployment | null =>
    record.activeVersion === null ? null : (record.history.find((d) => d.version === record.activeVersion) ?? null);

  /** The version a redeploy is checked against: the active one, or the last one that was active. */
  const baselineOf = (record: AppRecord): Deployment | undefined =>
    activeDeployment(record) ?? [...record.history].reverse().find((d) => d.kind !== 'undeploy');

  const infoOf = (record: AppRecord): AppInfo => {
    const active = activeDeployment(record);
    return {
      owner: record.owner,
      name: record.name,
      partitions: record.partitions,
      status: record.status,
      source: 'admin',
      versionHash: (active ?? baselineOf(record))?.bundle ?? '',
      active,
    };
  };

  const appendDeployment = async (
    record: AppRecord | undefined,
    owner: string,
    name: string,
    partitions: number,
    entry: Omit<Deployment, 'version'>,
  ): Promise<Deployment> => {
    const version = (record?.history.at(-1)?.version ?? 0) + 1;
    const deployment: Deployment = { version, ...entry };
    const undeploy = entry.kind === 'undeploy';
    await store.putAppRecord({
      owner,
      name,
      partitions: record?.partitions ?? partitions,
      status: undeploy ? 'undeployed' : 'active',
      activeVersion: undeploy ? null : version,
      history: [...(record?.history ?? []), deployment],
    });
    return deployment;
  };

  /** Activates `bundle` and records it; the caller has done every check. */
  const activate = async (
    caller: AdminCaller,
    owner: string,
    record: AppRecord | undefined,
    bundle: VerifiedBundle,
    kind: 'deploy' | 'rollback',
    diff: DeployResult['diff'],
  ): Promise<DeployResult> => {
    const key = appKey(owner, bundle.manifest.name);
    const { activationMs } = await core.activateApp(toAppBundle(owner, bundle));
    const deployment = await appendDeployment(record, owner, bundle.manifest.name, bundle.manifest.partitions, {
      bundle: bundle.id,
      kind,
      at: new Date(now()).toISOString(),
      by: caller.subject,
      diff: diff.text,
    });
    logger.info(
      { app: key, version: deployment.version, bundle: bundle.id, kind, by: caller.subject, activationMs },
      `app ${kind === 'deploy' ? 'deployed' : 'rolled back'}`,
    );
    return { app: key, deployment, unchanged: false, dryRun: false, diff, activationMs };
  };

  const compatibility = (
    key: string,
    live: VerifiedBundle,
    next: VerifiedBundle,
  ): { breaking: DeployBreakingChange[]; diff: DeployResult['diff'] } => {
    const breaking: DeployBreakingChange[] = checkCompatibility(live.appdef, next.appdef);
    if (live.manifest.partitions !== next.manifest.partitions) {
      breaking.push({
        code: 'partitions-changed',
        qname: key,
        message: `partitions changed from ${live.manifest.partitions} to ${next.manifest.partitions}: the partition count is fixed at the first deploy`,
      });
    }
    const { entries, text } = diffAppDefs(live.appdef, next.appdef);
    return { breaking, diff: { entries, text } };
  };

  const requireRecord = async (key: string): Promise<AppRecord> => {
    const record = await store.getAppRecord(key);
    if (record === undefined) throw new AppError('NOT_FOUND', `app ${key} was never deployed to this node`);
    return record;
  };

  const api: DeployService = {
    secrets: {
      async get(app, name) {
        const sealed = await store.getSecret(app, name);
        return sealed === undefined ? undefined : box.open(secretAad(app, name), sealed);
      },
    },

    async putBundle(_caller, id, bytes) {
      const bundle = openBundle(bytes, { expectedId: id });
      const created = await store.putBundle(id, bytes);
      remember(bundle, bytes.length);
      logger.info({ bundle: id, bytes: bytes.length, created, app: bundle.manifest.name }, 'bundle uploaded');
      return { id, bytes: bytes.length, manifest: bundle.manifest, created } satisfies BundleInfo;
    },

    async getBundle(_caller, id) {
      const { bundle, size } = await openStoredSized(id);
      return { id, bytes: size, manifest: bundle.manifest, created: false };
    },

    deploy(caller, owner, name, input) {
      const key = appKey(owner, name);
      return serialize(key, async () => {
        refuseFolderApp(key);
        const next = await openStored(input.bundle);
        if (next.manifest.name !== name) {
          throw new AppError(
            'BAD_REQUEST',
            `bundle ${input.bundle} is app ${JSON.stringify(next.manifest.name)}, not ${JSON.stringify(name)}`,
            { data: { field: 'bundle' } },
          );
        }
        const record = await store.getAppRecord(key);
        const baseline = record === undefined ? undefined : baselineOf(record);
        if (record?.status === 'active' && baseline?.bundle === next.id) {
          return {
            app: key,
            deployment: null,
            unchanged: true,
            dryRun: input.dryRun,
            diff: EMPTY_DIFF,
            activationMs: 0,
          };
        }
        let diff: DeployResult['diff'] = EMPTY_DIFF;
        if (baseline !== undefined) {
          const checked = compatibility(key, await openStored(baseline.bundle), next);
          diff = checked.diff;
          if (checked.breaking.length > 0) {
            const data: IncompatibleDeployData = { reason: 'incompatible', breaking: checked.breaking, diff };
            throw new AppError(
              'CONFLICT',
              [
                `deploy of ${key} refused: ${checked.breaking.length} breaking change(s) against version ${baseline.version}:`,
                ...checked.breaking.map((b) => `  - ${b.message}`),
              ].join('\n'),
              { data: { ...data } },
            );
          }
        }
        if (input.dryRun) return { app: key, deployment: null, unchanged: false, dryRun: true, diff, activationMs: 0 };
        return activate(caller, owner, record, next, 'deploy', diff);
      });
    },

    rollback(caller, owner, name, target: RollbackTarget) {
      const key = appKey(owner, name);
      return serialize(key, async () => {
        refuseFolderApp(key);
        const record = await requireRecord(key);
        const candidates = record.history.filter((d) => d.kind !== 'undeploy');
        const entry =
          'version' in target
            ? candidates.find((d) => d.version === target.version)
            : [...candidates].reverse().find((d) => d.bundle === target.bundle);
        if (entry === undefined) {
          const what = 'version' in target ? `version ${target.version}` : `bundle ${target.bundle}`;
          throw new AppError('NOT_FOUND', `app ${key} has no ${what} in its history`, {
            data: { field: 'version' in target ? 'version' : 'bundle' },
          });
        }
        const current = activeDeployment(record);
        if (record.status === 'active' && current?.bundle === entry.bundle) {
          return { app: key, deployment: null, unchanged: true, dryRun: false, diff: EMPTY_DIFF, activationMs: 0 };
        }
        const bundle = await openStored(entry.bundle);
        // No compatibility check (an explicit operator action); the diff is for the record.
        const baseline = baselineOf(record);
        const diff =
          baseline === undefined ? EMPTY_DIFF : diffAppDefs((await openStored(baseline.bundle)).appdef, bundle.appdef);
        return activate(caller, owner, record, bundle, 'rollback', { entries: diff.entries, text: diff.text });
      });
    },

    undeploy(caller, owner, name) {
      const key = appKey(owner, name);
      return serialize(key, async () => {
        refuseFolderApp(key);
        const record = await requireRecord(key);
        const current = activeDeployment(record);
        if (record.status === 'undeployed' || current === null) return infoOf(record);
        await core.unloadApp(owner, name);
        await appendDeployment(record, owner, name, record.partitions, {
          bundle: current.bundle,
          kind: 'undeploy',
          at: new Date(now()).toISOString(),
          by: caller.subject,
          diff: '',
        });
        logger.info({ app: key, by: caller.subject }, 'app undeployed');
        return infoOf(await requireRecord(key));
      });
    },

    async listApps() {
      const records = await store.listAppRecords();
      const infos: AppInfo[] = records.map(infoOf);
      const known = new Set(records.map((r) => appKey(r.owner, r.name)));
      for (const service of core.listApps()) {
        const key = appKey(service.owner, service.name);
        if (known.has(key)) continue;
        infos.push({
          owner: service.owner,
          name: service.name,
          partitions: service.partitions,
          status: 'active',
          source: 'folder',
          versionHash: service.versionHash,
          active: null,
        });
      }
      return infos.sort((a, b) => appKey(a.owner, a.name).localeCompare(appKey(b.owner, b.name)));
    },

    async getApp(_caller, owner, name) {
      const key = appKey(owner, name);
      const record = await store.getAppRecord(key);
      if (record !== undefined)
        return { ...infoOf(record), history: [...record.history].reverse() } satisfies AppDetail;
      const service = core.getApp(owner, name);
      if (service === undefined || !folderApps.has(key)) throw new AppError('NOT_FOUND', `app ${key} not found`);
      return {
        owner,
        name,
        partitions: service.partitions,
        status: 'active',
        source: 'folder',
        versionHash: service.versionHash,
        active: null,
        history: [],
      };
    },

    listSecrets(_caller, owner, name) {
      return store.listSecretNames(appKey(owner, name));
    },

    async putSecret(caller, owner, name, secret, value) {
      const key = appKey(owner, name);
      await store.putSecret(key, secret, box.seal(secretAad(key, secret), value));
      // The name and who set it, never the value.
      logger.info({ app: key, secret, by: caller.subject }, 'app secret set');
    },

    async deleteSecret(caller, owner, name, secret) {
      const key = appKey(owner, name);
      if (!(await store.deleteSecret(key, secret))) {
        throw new AppError('NOT_FOUND', `app ${key} has no secret ${secret}`, { data: { field: 'name' } });
      }
      logger.info({ app: key, secret, by: caller.subject }, 'app secret deleted');
    },

    listNodes() {
      const node: NodeInfo = {
        id: options.node.id,
        hostname: hostname(),
        engineVersion: options.node.engineVersion,
        startedAt: new Date(startedAt).toISOString(),
        uptimeSeconds: Math.floor((now() - startedAt) / 1000),
        storage: options.node.storage,
        ready: core.isReady(),
        apps: core.listApps().length,
      };
      return Promise.resolve([node]);
    },

    async restoreDeployedApps() {
      const restored: string[] = [];
      const failed: string[] = [];
      for (const record of await store.listAppRecords()) {
        const key = appKey(record.owner, record.name);
        const active = activeDeployment(record);
        if (record.status !== 'active' || active === null) continue;
        if (folderApps.has(key)) {
          logger.warn({ app: key }, 'a deployed app has the name of a folder app; the folder wins on this node');
          continue;
        }
        try {
          await core.loadApp(toAppBundle(record.owner, await openStored(active.bundle)));
          restored.push(key);
        } catch (error) {
          failed.push(key);
          logger.error({ app: key, bundle: active.bundle, err: error }, 'deployed app failed to load');
        }
      }
      return { restored, failed };
    },
  };
  return api;
}
