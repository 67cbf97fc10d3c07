// The portal's test harness (apps/web/test: `next build`/`next start`, the engine and worker
// children) and its webhook signer, loaded at run time for the git-push bench. apps/web is
// typechecked by its own tsconfig (Bundler resolution: extensionless relative imports); a static
// import would pull those files into the root NodeNext program, which rejects them (TS2835). So
// they are imported by computed URL (tsx resolves them) under the types below, which mirror the
// exported signatures — keep them in step with apps/web/test/setup-*.ts.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../engine/children.js';

export interface RunningPortal {
  readonly origin: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

export interface HarnessChild {
  readonly url?: string;
  output(): string;
  stop(): Promise<void>;
}

export interface WorkerChildOptions {
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
  adminPrivateKey: object;
  engineUrls: readonly string[];
}

export interface PortalHarness {
  /** `next build --webpack` of apps/web (setup-web.ts). */
  buildPortal(timeoutMs?: number): Promise<{ ms: number }>;
  /** `next start` on 127.0.0.1:`port`, healthy (setup-web.ts). */
  startPortal(port: number, env: Readonly<Record<string, string>>): Promise<RunningPortal>;
  findFreePort(): Promise<number>;
  /** An engine node on the mem backend trusting `adminPublicKey` (setup-deploy-children.ts). */
  startEngineChild(adminPublicKey: object): Promise<HarnessChild & { url: string }>;
  /** The deploy worker as a child process (setup-deploy-children.ts). */
  startWorkerChild(options: WorkerChildOptions, extraEnv?: Readonly<Record<string, string>>): HarnessChild;
  /** `sha256=<hex HMAC>` as a repository host signs a webhook (src/server/domain/webhooks.ts). */
  signWebhookBody(secret: string, body: Uint8Array | string): string;
}

const load = (path: string): Promise<unknown> => import(pathToFileURL(join(ROOT, 'apps/web', path)).href);

export async function loadPortalHarness(): Promise<PortalHarness> {
  const [web, children, webhooks] = (await Promise.all([
    load('test/setup-web.ts'),
    load('test/setup-deploy-children.ts'),
    load('src/server/domain/webhooks.ts'),
  ])) as [
    Pick<PortalHarness, 'buildPortal' | 'startPortal' | 'findFreePort'>,
    Pick<PortalHarness, 'startEngineChild' | 'startWorkerChild'>,
    Pick<PortalHarness, 'signWebhookBody'>,
  ];
  return {
    buildPortal: web.buildPortal,
    startPortal: web.startPortal,
    findFreePort: web.findFreePort,
    startEngineChild: children.startEngineChild,
    startWorkerChild: children.startWorkerChild,
    signWebhookBody: webhooks.signWebhookBody,
  };
}
