/**
 * createEngineCore: loads apps (bundle → storage, extensions, partitions recovered, app workspaces
 * initialised, async projectors and jobs started), serves them to the edge, and swaps an app's
 * version atomically (`activateApp`) or stops serving it (`unloadApp`). `close()` stops jobs and
 * projectors, drains every partition queue and writes checkpoints.
 *
 * Atomic activation (docs/admin-api.md): each app lives in a slot. The edge takes a lease on the
 * slot's current version for the duration of one request (`acquireApp`). A swap first prepares the
 * new version's extensions while the old one serves (the slow part: WASM instrumentation), then
 * closes the gate — new requests wait — drains the old version's leases and partition queues,
 * closes it (checkpoints written), starts the new one on the same storage (recovery from the fresh
 * checkpoint is short) and opens the gate. Two versions never write at once, so each partition
 * keeps its single writer, and no request sees a mix of versions. If the new version cannot
 * start, the old one is started again and the error is rethrown.
 */
import { createAclEvaluator } from '@stoa/auth';
import { AppError } from '@stoa/errors';
import { appKey, type AppBundle } from '../app/bundle.js';
import type { EngineResources } from '../resources.js';
import { AppStore } from '../store/app-store.js';
import { RuntimeAppService } from './app-service.js';
import { AppRuntime, resolveOptions, type EngineCoreOptions, type ResolvedOptions } from './app-runtime.js';
import { AsyncProjector } from './async-projector.js';
import { ExtensionRuntime } from './invoke.js';
import { startJobs, type JobHandle } from './jobs.js';
import { loadRevokedApiTokens } from './membership/api-tokens.js';
import { createEngineMetrics, type EngineMetrics } from './metrics.js';
import { createNotificationBroker } from './notifications.js';
import { Partition } from './partition.js';
import type { AppLease, AppService, EngineCore, NotificationBroker } from './service.js';
import { initAppWorkspaces } from './workspaces.js';

export interface CloseOptions {
  /** Skip the final checkpoints (tests simulate a crash: recovery must replay the PLog). */
  readonly checkpoint?: boolean;
}

export interface ActivationResult {
  readonly service: AppService;
  /** How long new requests were held while the versions were swapped (0 for a first load). */
  readonly activationMs: number;
}

export interface EngineCoreHandle extends EngineCore {
  /** First load of an app (CONFLICT when it is already loaded). */
  loadApp(bundle: AppBundle): Promise<AppService>;
  /** Loads the app, or atomically replaces the version it serves with this bundle's. */
  activateApp(bundle: AppBundle): Promise<ActivationResult>;
  /** Stops serving the app (its data stays); false when it was not loaded. */
  unloadApp(owner: string, name: string): Promise<boolean>;
  close(options?: CloseOptions): Promise<void>;
}

/** How long a swap waits for running requests of the old version before closing it anyway. */
const DRAIN_TIMEOUT_MS = 10_000;

interface LoadedApp {
  readonly bundle: AppBundle;
  readonly service: RuntimeAppService;
  readonly runtime: AppRuntime;
  readonly projectors: AsyncProjector[];
  readonly jobs: JobHandle;
  /** Requests holding a lease on this version. */
  inflight: number;
  onIdle: (() => void) | undefined;
}

interface AppSlot {
  current: LoadedApp | undefined;
  /** Set while the slot's version is being swapped or unloaded: new leases wait for it. */
  gate: Promise<void> | undefined;
  /** Serialises loads, swaps and unloads of this app. */
  tail: Promise<unknown>;
}

interface CoreContext {
  readonly resources: EngineResources;
  readonly opts: ResolvedOptions;
  readonly metrics: EngineMetrics;
  readonly notifications: NotificationBroker;
}

function checkPartitions(bundle: AppBundle): void {
  const partitions = bundle.manifest.partitions;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 65_535) {
    const key = appKey(bundle.owner, bundle.manifest.name);
    throw new AppError('BAD_REQUEST', `app ${key}: partitions must be an integer 1..65535, found ${partitions}`);
  }
}

/** Starts a version whose extensions are loaded: storage, partitions (recovery), workspaces, projectors, jobs. */
async function startApp(ctx: CoreContext, bundle: AppBundle, extensions: ExtensionRuntime): Promise<LoadedApp> {
  const key = appKey(bundle.owner, bundle.manifest.name);
  const { resources, opts } = ctx;
  const logger = resources.logger.child({ app: key });
  const storage = await resources.storage.openApp(key);
  const runtime = new AppRuntime(
    bundle,
    resources,
    opts,
    new AppStore(storage),
    extensions,
    createAclEvaluator(bundle.appdef),
    ctx.metrics,
    ctx.notifications,
    logger,
  );
  try {
    await runtime.assignSingletonIds();
    for (let p = 0; p < bundle.manifest.partitions; p++) runtime.partitions.push(new Partition(runtime, p));
    await Promise.all(runtime.partitions.map((p) => p.start()));
    await initAppWorkspaces(runtime);
    await loadRevokedApiTokens(runtime);
  } catch (error) {
    // Partitions that started hold timers; close them without a checkpoint (nothing new applied).
    await Promise.allSettled(runtime.partitions.map((p) => p.close({ skipCheckpoint: true })));
    throw error;
  }
  const projectors = opts.asyncProjectors
    ? runtime.partitions.flatMap((p) => runtime.projectors.async.map((def) => new AsyncProjector(runtime, p, def)))
    : [];
  for (const pr of projectors) pr.start();
  const jobs = opts.jobs ? startJobs(runtime) : { stop: () => undefined };
  logger.info({ partitions: bundle.manifest.partitions, versionHash: bundle.versionHash }, 'app loaded');
  return {
    bundle,
    service: new RuntimeAppService(runtime),
    runtime,
    projectors,
    jobs,
    inflight: 0,
    onIdle: undefined,
  };
}

async function loadVersion(ctx: CoreContext, bundle: AppBundle): Promise<LoadedApp> {
  const extensions = await ExtensionRuntime.load(bundle, ctx.resources.extensionHosts, ctx.opts.extensionTimeoutMs);
  try {
    return await startApp(ctx, bundle, extensions);
  } catch (error) {
    await extensions.dispose();
    throw error;
  }
}

async function closeVersion(app: LoadedApp, o: CloseOptions): Promise<void> {
  app.jobs.stop();
  await Promise.all(app.projectors.map((p) => p.stop()));
  await Promise.all(app.runtime.partitions.map((p) => p.close({ skipCheckpoint: o.checkpoint === false })));
  await app.runtime.extensions.dispose();
}

/** Resolves when no request holds a lease on `app`, or after `timeoutMs`. */
function drainLeases(app: LoadedApp, timeoutMs: number): Promise<boolean> {
  if (app.inflight === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      app.onIdle = undefined;
      resolve(false);
    }, timeoutMs);
    timer.unref();
    app.onIdle = () => {
      clearTimeout(timer);
      app.onIdle = undefined;
      resolve(true);
    };
  });
}

export function createEngineCore(
  resources: EngineResources,
  options: EngineCoreOptions = {},
): Promise<EngineCoreHandle> {
  const ctx: CoreContext = {
    resources,
    opts: resolveOptions(options),
    metrics: createEngineMetrics(resources.metrics),
    notifications: createNotificationBroker(),
  };
  const slots = new Map<string, AppSlot>();
  /** First loads in progress: the node is not ready while an app it was asked to serve is starting. */
  let firstLoads = 0;
  let closed = false;

  const loadFirstVersion = async (slot: AppSlot, bundle: AppBundle): Promise<LoadedApp> => {
    firstLoads++;
    try {
      slot.current = await loadVersion(ctx, bundle);
      return slot.current;
    } finally {
      firstLoads--;
    }
  };

  const slotOf = (key: string): AppSlot => {
    let slot = slots.get(key);
    if (slot === undefined) {
      slot = { current: undefined, gate: undefined, tail: Promise.resolve() };
      slots.set(key, slot);
    }
    return slot;
  };

  /** Runs `step` after the slot's previous load/swap/unload, whatever its outcome. */
  const serialize = <T>(slot: AppSlot, step: () => Promise<T>): Promise<T> => {
    const run = slot.tail.then(step, step);
    slot.tail = run.catch(() => undefined);
    return run;
  };

  /** Holds new leases on the slot while `swap` runs; `swap` gets the drained old version. */
  const withGate = async <T>(slot: AppSlot, swap: (old: LoadedApp) => Promise<T>): Promise<T> => {
    const old = slot.current;
    if (old === undefined) throw new Error('withGate needs a loaded version');
    let open!: () => void;
    slot.gate = new Promise<void>((r) => (open = r));
    try {
      const drained = await drainLeases(old, DRAIN_TIMEOUT_MS);
      if (!drained) {
        resources.logger.warn(
          { app: appKey(old.bundle.owner, old.bundle.manifest.name), inflight: old.inflight },
          'requests still running on the old version after the drain timeout; closing it anyway',
        );
      }
      return await swap(old);
    } finally {
      slot.gate = undefined;
      open();
    }
  };

  const loadApp = (bundle: AppBundle): Promise<AppService> => {
    if (closed) return Promise.reject(new AppError('UNAVAILABLE', 'the engine is closing'));
    const key = appKey(bundle.owner, bundle.manifest.name);
    checkPartitions(bundle);
    const slot = slotOf(key);
    if (slot.current !== undefined) return Promise.reject(new AppError('CONFLICT', `app ${key} is already loaded`));
    return serialize(slot, async () => {
      if (slot.current !== undefined) throw new AppError('CONFLICT', `app ${key} is already loaded`);
      if (closed) throw new AppError('UNAVAILABLE', 'the engine is closing');
      return (await loadFirstVersion(slot, bundle)).service;
    });
  };

  const activateApp = (bundle: AppBundle): Promise<ActivationResult> => {
    if (closed) return Promise.reject(new AppError('UNAVAILABLE', 'the engine is closing'));
    checkPartitions(bundle);
    const key = appKey(bundle.owner, bundle.manifest.name);
    const slot = slotOf(key);
    return serialize(slot, async () => {
      if (closed) throw new AppError('UNAVAILABLE', 'the engine is closing');
      const live = slot.current;
      if (live === undefined) {
        return { service: (await loadFirstVersion(slot, bundle)).service, activationMs: 0 };
      }
      if (live.bundle.manifest.partitions !== bundle.manifest.partitions) {
        throw new AppError(
          'CONFLICT',
          `app ${key}: the partition count is fixed at ${live.bundle.manifest.partitions}, found ${bundle.manifest.partitions}`,
        );
      }
      // The slow part (WASM preparation) happens while the old version still serves.
      const extensions = await ExtensionRuntime.load(bundle, resources.extensionHosts, ctx.opts.extensionTimeoutMs);
      const started = performance.now();
      return withGate(slot, async (old) => {
        await closeVersion(old, {});
        slot.current = undefined;
        try {
          slot.current = await startApp(ctx, bundle, extensions);
        } catch (error) {
          await extensions.dispose();
          resources.logger.error({ app: key, err: error }, 'new version failed to start; restoring the previous one');
          slot.current = await loadVersion(ctx, old.bundle);
          throw error;
        }
        return { service: slot.current.service, activationMs: performance.now() - started };
      });
    });
  };

  const unloadApp = (owner: string, name: string): Promise<boolean> => {
    const key = appKey(owner, name);
    const slot = slots.get(key);
    if (slot === undefined) return Promise.resolve(false);
    return serialize(slot, async () => {
      if (slot.current === undefined) return false;
      await withGate(slot, async (old) => {
        slot.current = undefined;
        await closeVersion(old, {});
      });
      resources.logger.info({ app: key }, 'app unloaded');
      return true;
    });
  };

  const acquireApp = async (owner: string, name: string): Promise<AppLease | undefined> => {
    const slot = slots.get(appKey(owner, name));
    if (slot === undefined) return undefined;
    while (slot.gate !== undefined) await slot.gate;
    const app = slot.current;
    if (app === undefined) return undefined;
    app.inflight++;
    let released = false;
    return {
      service: app.service,
      release: () => {
        if (released) return;
        released = true;
        if (--app.inflight === 0) app.onIdle?.();
      },
    };
  };

  const loaded = (): LoadedApp[] => [...slots.values()].flatMap((s) => (s.current === undefined ? [] : [s.current]));

  return Promise.resolve({
    notifications: ctx.notifications,
    getApp: (owner, name) => slots.get(appKey(owner, name))?.current?.service,
    acquireApp,
    listApps: () => loaded().map((a) => a.service),
    isReady: () =>
      !closed &&
      firstLoads === 0 &&
      [...slots.values()].every((s) => s.gate === undefined) &&
      loaded().every((a) => a.runtime.partitions.every((p) => p.ready)),
    loadApp,
    activateApp,
    unloadApp,
    async close(o: CloseOptions = {}) {
      if (closed) return;
      closed = true;
      // Let a running load or swap finish first, so nothing starts after the close.
      await Promise.all([...slots.values()].map((s) => s.tail));
      await Promise.all(loaded().map((a) => closeVersion(a, o)));
      slots.clear();
    },
  });
}
