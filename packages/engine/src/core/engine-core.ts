/**
 * createEngineCore: loads apps (bundle → storage, extensions, partitions recovered, app workspaces
 * initialised, async projectors and jobs started) and serves them to the edge. `close()` stops
 * jobs and projectors, drains every partition queue and writes checkpoints.
 */
import { createAclEvaluator } from '@stoa/auth';
import { AppError } from '@stoa/errors';
import { appKey, type AppBundle } from '../app/bundle.js';
import type { EngineResources } from '../resources.js';
import { AppStore } from '../store/app-store.js';
import { RuntimeAppService } from './app-service.js';
import { AppRuntime, resolveOptions, type EngineCoreOptions } from './app-runtime.js';
import { AsyncProjector } from './async-projector.js';
import { ExtensionRuntime } from './invoke.js';
import { startJobs, type JobHandle } from './jobs.js';
import { loadRevokedApiTokens } from './membership/api-tokens.js';
import { createEngineMetrics } from './metrics.js';
import { createNotificationBroker } from './notifications.js';
import { Partition } from './partition.js';
import type { AppService, EngineCore } from './service.js';
import { initAppWorkspaces } from './workspaces.js';

export interface CloseOptions {
  /** Skip the final checkpoints (tests simulate a crash: recovery must replay the PLog). */
  readonly checkpoint?: boolean;
}

export interface EngineCoreHandle extends EngineCore {
  loadApp(bundle: AppBundle): Promise<AppService>;
  close(options?: CloseOptions): Promise<void>;
}

interface LoadedApp {
  readonly service: RuntimeAppService;
  readonly runtime: AppRuntime;
  readonly projectors: AsyncProjector[];
  readonly jobs: JobHandle;
}

export function createEngineCore(
  resources: EngineResources,
  options: EngineCoreOptions = {},
): Promise<EngineCoreHandle> {
  const opts = resolveOptions(options);
  const metrics = createEngineMetrics(resources.metrics);
  const notifications = createNotificationBroker();
  const apps = new Map<string, LoadedApp>();
  const loading = new Set<string>();
  let closed = false;

  const loadApp = async (bundle: AppBundle): Promise<AppService> => {
    if (closed) throw new AppError('UNAVAILABLE', 'the engine is closing');
    const key = appKey(bundle.owner, bundle.manifest.name);
    if (apps.has(key) || loading.has(key)) throw new AppError('CONFLICT', `app ${key} is already loaded`);
    const partitions = bundle.manifest.partitions;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 65_535) {
      throw new AppError('BAD_REQUEST', `app ${key}: partitions must be an integer 1..65535, found ${partitions}`);
    }
    loading.add(key);
    const logger = resources.logger.child({ app: key });
    let extensions: ExtensionRuntime | undefined;
    try {
      const storage = await resources.storage.openApp(key);
      extensions = await ExtensionRuntime.load(bundle, resources.extensionHosts, opts.extensionTimeoutMs);
      const runtime = new AppRuntime(
        bundle,
        resources,
        opts,
        new AppStore(storage),
        extensions,
        createAclEvaluator(bundle.appdef),
        metrics,
        notifications,
        logger,
      );
      await runtime.assignSingletonIds();
      for (let p = 0; p < partitions; p++) runtime.partitions.push(new Partition(runtime, p));
      await Promise.all(runtime.partitions.map((p) => p.start()));
      await initAppWorkspaces(runtime);
      await loadRevokedApiTokens(runtime);
      const projectors = opts.asyncProjectors
        ? runtime.partitions.flatMap((p) => runtime.projectors.async.map((def) => new AsyncProjector(runtime, p, def)))
        : [];
      for (const pr of projectors) pr.start();
      const jobs = opts.jobs ? startJobs(runtime) : { stop: () => undefined };
      const service = new RuntimeAppService(runtime);
      apps.set(key, { service, runtime, projectors, jobs });
      logger.info({ partitions, versionHash: bundle.versionHash }, 'app loaded');
      return service;
    } catch (error) {
      await extensions?.dispose();
      throw error;
    } finally {
      loading.delete(key);
    }
  };

  const closeApp = async (app: LoadedApp, o: CloseOptions): Promise<void> => {
    app.jobs.stop();
    await Promise.all(app.projectors.map((p) => p.stop()));
    await Promise.all(app.runtime.partitions.map((p) => p.close({ skipCheckpoint: o.checkpoint === false })));
    await app.runtime.extensions.dispose();
  };

  return Promise.resolve({
    notifications,
    getApp: (owner, name) => apps.get(appKey(owner, name))?.service,
    listApps: () => [...apps.values()].map((a) => a.service),
    isReady: () =>
      !closed && loading.size === 0 && [...apps.values()].every((a) => a.runtime.partitions.every((p) => p.ready)),
    loadApp,
    async close(o: CloseOptions = {}) {
      if (closed) return;
      closed = true;
      await Promise.all([...apps.values()].map((a) => closeApp(a, o)));
      apps.clear();
    },
  });
}
