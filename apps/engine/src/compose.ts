/**
 * Builds one engine node in-process: storage driver → provider → the node's `sys/engine` storage
 * (signing keys) → resources (logger, metrics, authenticator, JWKS, builtin and WASM extension hosts,
 * secrets, limits) → processing core → apps loaded from their folders → (on `listen`) the HTTP
 * API v2 edge. `main.ts` runs it with what the environment says; the integration tests run the
 * very same code with their own storage, apps and limits, so what they check is what ships.
 */
import { resolve } from 'node:path';
import {
  DEFAULT_LIMITS,
  KeyRing,
  createAuthenticator,
  createBuiltinHost,
  createEngineCore,
  createHttpHandler,
  createTokenRevocations,
  createWasmHost,
  issuePrincipalToken,
  loadAppFromFolder,
  startHttpServer,
} from '@stoa/engine';
import type {
  AppService,
  EngineCoreHandle,
  EngineCoreOptions,
  EngineLimits,
  EngineResources,
  HttpHandlerOptions,
  HttpServerHandle,
  WasmHostOptions,
} from '@stoa/engine';
import { createStorageProvider } from '@stoa/storage';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createFileSecretStore } from './secrets.js';
import { createStorageDriver, describeStorage } from './storage-driver.js';
import type { StorageSettings } from './storage-driver.js';
import { openSysStore } from './sys-store.js';
import type { SysStore } from './sys-store.js';

export interface ComposeEngineOptions extends StorageSettings {
  /** App folders (`stoa.json` + `schema/`), loaded in this order. */
  readonly apps: readonly string[];
  /** Owner the folder apps are served under (default `local`, docs/ARCHITECTURE.md §12). */
  readonly owner?: string;
  /** Folder apps may run their own `extensions/builtin.ts`. */
  readonly dev: boolean;
  readonly logger: Logger;
  /** Overrides of DEFAULT_LIMITS (tests shrink the queue bound or the body cap). */
  readonly limits?: Partial<EngineLimits>;
  readonly coreOptions?: EngineCoreOptions;
  readonly httpOptions?: HttpHandlerOptions;
  /** prom-client's process metrics in the registry (default true; tests with many engines turn it off). */
  readonly defaultMetrics?: boolean;
  /** Clock of the engine and the HTTP edge (default Date.now). */
  readonly now?: () => number;
  /** Limits of WASM extensions (fuel per call, memory per instance); the host's defaults otherwise. */
  readonly wasm?: WasmHostOptions;
}

export interface ComposedEngine {
  readonly core: EngineCoreHandle;
  readonly resources: EngineResources;
  /** The node's signing keys: tokens issued with it verify on this node. */
  readonly ring: KeyRing;
  readonly sys: SysStore;
  /** The loaded folder apps, in `apps` order. */
  readonly services: readonly AppService[];
  /** Starts the HTTP edge (port 0 = any free port); closed with the engine. */
  listen(options: { port: number; host?: string }): Promise<HttpServerHandle>;
  /** Closes everything opened (HTTP server, core, storage), last first; false if a step failed. */
  close(): Promise<boolean>;
}

/** Closes what was opened, last first; every step runs even if an earlier one fails. */
export class Closers {
  readonly #steps: { name: string; close: () => Promise<void> }[] = [];

  add(name: string, close: () => Promise<void>): void {
    this.#steps.push({ name, close });
  }

  async closeAll(logger: Logger): Promise<boolean> {
    let clean = true;
    for (const step of this.#steps.splice(0).reverse()) {
      try {
        await step.close();
        logger.info({ step: step.name }, 'closed');
      } catch (error) {
        clean = false;
        logger.error({ err: error, step: step.name }, 'close failed');
      }
    }
    return clean;
  }
}

/**
 * Composes the engine; every opened part is registered in `closers` (main's, so a signal during
 * startup closes what exists). If a step fails, what was opened so far is closed and the error
 * rethrown.
 */
export async function composeEngine(options: ComposeEngineOptions, closers = new Closers()): Promise<ComposedEngine> {
  const { logger } = options;
  try {
    const driver = await createStorageDriver(options);
    const provider = createStorageProvider(driver);
    closers.add('storage', () => provider.close());
    logger.info(describeStorage(options), 'storage opened');

    const metrics = new Registry();
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: metrics });

    const sys = await openSysStore(provider);
    const ring = await KeyRing.open(sys.keyStore);
    logger.info({ kid: ring.signingKey().kid }, 'node signing key loaded');

    const revocations = createTokenRevocations();
    const resources: EngineResources = {
      storage: provider,
      logger,
      metrics,
      // Revoked API tokens (core/membership) are refused by the authenticator, cache hits included.
      authenticator: createAuthenticator(ring, { isRevoked: (jti) => revocations.isRevoked(jti) }),
      revocations,
      issueToken: (input) => issuePrincipalToken(ring, input),
      jwks: () => Promise.resolve({ keys: ring.jwks().keys.map((key) => ({ ...key })) }),
      extensionHosts: [createBuiltinHost(), createWasmHost({ ...options.wasm, logger })],
      secrets: createFileSecretStore(resolve(options.dataDir)),
      now: options.now ?? Date.now,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
    };

    const core = await createEngineCore(resources, options.coreOptions);
    closers.add('engine core', () => core.close());

    const services: AppService[] = [];
    for (const dir of options.apps) {
      const bundle = await loadAppFromFolder(resolve(dir), { owner: options.owner ?? 'local', dev: options.dev });
      const service = await core.loadApp(bundle);
      services.push(service);
      logger.info(
        {
          app: `${service.owner}/${service.name}`,
          dir: resolve(dir),
          partitions: service.partitions,
          versionHash: service.versionHash,
          devBuiltins: Object.keys(bundle.devBuiltins ?? {}).length,
        },
        'app folder loaded',
      );
    }

    return {
      core,
      resources,
      ring,
      sys,
      services,
      async listen({ port, host }) {
        const handler = createHttpHandler(core, resources, options.httpOptions);
        const server = await startHttpServer(handler, { port, ...(host === undefined ? {} : { host }) });
        closers.add('http server', () => server.close());
        return server;
      },
      close: () => closers.closeAll(logger),
    };
  } catch (error) {
    await closers.closeAll(logger);
    throw error;
  }
}
