/**
 * Builds one engine node in-process from an already chosen storage driver: provider → the node's
 * `sys/engine` storage (signing keys, node id, admin records) → resources (logger, metrics,
 * authenticator, JWKS, builtin and WASM extension hosts, secrets, limits) → processing core →
 * apps loaded from their folders → apps deployed through the admin API restored → (on `listen`)
 * the HTTP edge with API v2 and the admin API.
 *
 * apps/engine's composition root picks the driver from the environment and calls this; the CLI's
 * `stoa dev` calls it with LMDB; the integration tests call it with their own storage, apps and
 * limits, so what they check is what ships.
 */
import { resolve } from 'node:path';
import {
  createAdminTokenVerifier,
  createAuthenticator,
  issuePrincipalToken,
  KeyRing,
  parseAdminPublicKeys,
} from '@stoa/auth';
import { createStorageProvider } from '@stoa/storage';
import type { StorageDriver } from '@stoa/storage';
import type { Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createAdminHandler } from '../admin/admin-routes.js';
import { createDeployService, type DeployService } from '../admin/deploy-service.js';
import { createDeployStore } from '../admin/deploy-store.js';
import { createSecretBox, loadOrCreateSecretsKey } from '../admin/secret-box.js';
import type { AdminCaller, LogSource } from '../admin/types.js';
import { loadAppFromFolder } from '../app/folder-loader.js';
import { createEngineCore, type EngineCoreHandle } from '../core/engine-core.js';
import type { EngineCoreOptions } from '../core/app-runtime.js';
import { createTokenRevocations } from '../core/membership/revocations.js';
import type { AppService } from '../core/service.js';
import { createBuiltinHost } from '../extensions/builtin-host.js';
import { preloadWasmInstrumentation } from '../extensions/wasm/binaryen-loader.js';
import { createWasmHost, type WasmHostOptions } from '../extensions/wasm/wasm-host.js';
import { createHttpHandler, startHttpServer, type HttpHandlerOptions, type HttpServerHandle } from '../http/index.js';
import { DEFAULT_LIMITS, type EngineLimits, type EngineResources, type SecretStore } from '../resources.js';
import { createFileSecretStore } from './file-secrets.js';
import { openSysStore, type SysStore } from './sys-store.js';

/** Reported by the admin API's node info. */
export const ENGINE_VERSION = '0.1.0';

export interface ComposeNodeOptions {
  readonly driver: StorageDriver;
  /** `lmdb`, `mem`, `cassandra`, `dynamodb`: for node info and logs. */
  readonly storageKind: string;
  /** Where the storage is, for the startup log (no credentials). */
  readonly storageDescription?: Readonly<Record<string, unknown>>;
  /** The node's data dir: folder-app secrets, the secrets key file. */
  readonly dataDir: string;
  /** App folders (`stoa.json` + `schema/`), loaded in this order. */
  readonly apps: readonly string[];
  /** Owner the folder apps are served under (default `local`, docs/ARCHITECTURE.md §12). */
  readonly owner?: string;
  /** Folder apps may run their own `extensions/builtin.ts`. */
  readonly dev: boolean;
  /** How folder apps' `extensions/builtin.ts` is imported (see LoadAppFromFolderOptions). */
  readonly importModule?: (path: string) => Promise<unknown>;
  readonly logger: Logger;
  readonly limits?: Partial<EngineLimits>;
  readonly coreOptions?: EngineCoreOptions;
  readonly httpOptions?: HttpHandlerOptions;
  /** prom-client's process metrics in the registry (default true; tests with many engines turn it off). */
  readonly defaultMetrics?: boolean;
  readonly now?: () => number;
  readonly wasm?: WasmHostOptions;
  readonly admin?: {
    /** STOA_ADMIN_PUBLIC_KEY's content (JWK, JWKS or PEM); none → the admin API answers 401. */
    readonly publicKeys?: string;
    /** STOA_SECRETS_KEY (base64, 32 bytes); none → `<dataDir>/secrets.key`. */
    readonly secretsKeyBase64?: string;
    /** The node's recent log lines for `GET /admin/v1/logs` (the logger's log buffer). */
    readonly logs?: LogSource;
  };
}

export interface ComposedNode {
  readonly core: EngineCoreHandle;
  readonly resources: EngineResources;
  /** The node's signing keys: tokens issued with it verify on this node. */
  readonly ring: KeyRing;
  readonly sys: SysStore;
  readonly admin: DeployService;
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

/** A log source with nothing in it, for nodes composed without a log buffer. */
const NO_LOGS: LogSource = {
  read: () => ({ entries: [], next: 0 }),
  subscribe: () => () => undefined,
};

/** Admin-sealed secrets first (`stoa secrets`), then the data dir's plain file for folder apps. */
function chainSecrets(first: SecretStore, fallback: SecretStore): SecretStore {
  return {
    async get(app, name) {
      return (await first.get(app, name)) ?? (await fallback.get(app, name));
    },
  };
}

/**
 * Composes the node; every opened part is registered in `closers` (the caller's, so a signal during
 * startup closes what exists). If a step fails, what was opened so far is closed and the error
 * rethrown.
 */
export async function composeNode(options: ComposeNodeOptions, closers = new Closers()): Promise<ComposedNode> {
  const { logger } = options;
  const dataDir = resolve(options.dataDir);
  try {
    const provider = createStorageProvider(options.driver);
    closers.add('storage', () => provider.close());
    logger.info(options.storageDescription ?? { storage: options.storageKind }, 'storage opened');

    const metrics = new Registry();
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: metrics });

    const sys = await openSysStore(provider);
    const ring = await KeyRing.open(sys.keyStore);
    logger.info({ kid: ring.signingKey().kid }, 'node signing key loaded');

    // Secrets are sealed with a key that is not in the storage it protects (docs/admin-api.md).
    const box = createSecretBox(
      await loadOrCreateSecretsKey({
        ...(options.admin?.secretsKeyBase64 === undefined ? {} : { keyBase64: options.admin.secretsKeyBase64 }),
        keyFile: resolve(dataDir, 'secrets.key'),
      }),
    );
    const store = createDeployStore(sys.storage);
    // Resolved before the service exists; filled in once the core is up.
    let deploySecrets: SecretStore = { get: () => Promise.resolve(undefined) };

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
      secrets: chainSecrets({ get: (app, name) => deploySecrets.get(app, name) }, createFileSecretStore(dataDir)),
      now: options.now ?? Date.now,
      limits: { ...DEFAULT_LIMITS, ...options.limits },
    };

    const core = await createEngineCore(resources, options.coreOptions);
    closers.add('engine core', () => core.close());

    const services: AppService[] = [];
    for (const dir of options.apps) {
      const bundle = await loadAppFromFolder(resolve(dir), {
        owner: options.owner ?? 'local',
        dev: options.dev,
        ...(options.importModule === undefined ? {} : { importModule: options.importModule }),
      });
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

    const admin = createDeployService({
      core,
      store,
      box,
      logger,
      folderApps: new Set(services.map((s) => `${s.owner}/${s.name}`)),
      node: { id: await sys.nodeId(), storage: options.storageKind, engineVersion: ENGINE_VERSION },
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    deploySecrets = admin.secrets;
    const { restored, failed } = await admin.restoreDeployedApps();
    if (restored.length + failed.length > 0) logger.info({ restored, failed }, 'deployed apps restored');

    const keys = options.admin?.publicKeys;
    const verifyToken = createAdminTokenVerifier(keys === undefined ? undefined : await parseAdminPublicKeys(keys));
    const verify = async (token: string): Promise<AdminCaller> => ({ subject: (await verifyToken(token)).subject });
    if (keys === undefined)
      logger.warn('no admin public key (STOA_ADMIN_PUBLIC_KEY): the admin API refuses every call');

    return {
      core,
      resources,
      ring,
      sys,
      admin,
      services,
      async listen({ port, host }) {
        const adminHandler = createAdminHandler({ api: admin, verify, logs: options.admin?.logs ?? NO_LOGS });
        const handler = createHttpHandler(core, resources, { ...options.httpOptions, admin: adminHandler });
        const server = await startHttpServer(handler, { port, ...(host === undefined ? {} : { host }) });
        closers.add('http server', () => server.close());
        // A node that takes deploys loads binaryen (WASM instrumentation, ~1.3 s) now, in the
        // background, instead of inside the first deploy's activation.
        if (keys !== undefined) void preloadWasmInstrumentation();
        return server;
      },
      close: () => closers.closeAll(logger),
    };
  } catch (error) {
    await closers.closeAll(logger);
    throw error;
  }
}
