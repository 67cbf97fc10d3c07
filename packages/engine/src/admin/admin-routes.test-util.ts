// Fixtures of admin-routes.test.ts: a recording fake AdminApi, system JWTs signed with
// node:crypto, and a node:http server around the admin handler.
import { type KeyObject, createHash, generateKeyPairSync, sign } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BundleManifest } from '@stoa/bundle/bundle';
import { AppError } from '@stoa/errors';
import { pino } from 'pino';
import { Exchange } from '../http/exchange.js';
import type { HttpMetrics } from '../http/http-metrics.js';
import { type AdminHandler, type AdminHandlerDeps, createAdminHandler } from './admin-routes.js';
import type {
  AdminApi,
  AdminCaller,
  AppDetail,
  AppInfo,
  BundleInfo,
  DeployResult,
  Deployment,
  NodeInfo,
  RollbackTarget,
} from './types.js';

export const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
export const SHA = sha('bundle-a');
export const ACTIVE = sha('bundle-active');
export const APPS = '/admin/v1/apps';

export const manifest: BundleManifest = {
  format: 'stoa.bundle/1',
  name: 'shop',
  partitions: 4,
  appdefVersion: 1,
  compiler: { assemblyscript: '0.28.20', abi: 1 },
  sources: { 'schema/shop.vsql': sha('src') },
  modules: {},
  appdefSha256: sha('appdef'),
};
export const deployment = (version: number, by: string, kind: Deployment['kind'] = 'deploy'): Deployment => ({
  version,
  bundle: SHA,
  kind,
  at: '2030-01-01T00:00:00.000Z',
  by,
  diff: '+ table shop.X',
});
export const appInfo = (status: AppInfo['status']): AppInfo => ({
  owner: 'acme',
  name: 'shop',
  partitions: 4,
  status,
  source: 'admin',
  versionHash: SHA,
  active: deployment(2, 'cli:a'),
});
export const nodeInfo: NodeInfo = {
  id: 'node-1',
  hostname: 'h',
  engineVersion: '0.0.0',
  startedAt: '2030-01-01T00:00:00.000Z',
  uptimeSeconds: 5,
  storage: 'mem',
  ready: true,
  apps: 1,
};

export interface Call {
  readonly method: string;
  readonly subject: string;
  readonly args: readonly unknown[];
}

/** The AdminApi as the edge sees it: records calls, answers fixtures, fails on demand. */
export class FakeAdminApi implements AdminApi {
  readonly calls: Call[] = [];
  readonly failures = new Map<string, AppError>();
  private readonly stored = new Set<string>();

  private record(method: string, caller: AdminCaller, args: unknown[]): void {
    this.calls.push({ method, subject: caller.subject, args });
    const failure = this.failures.get(method);
    if (failure !== undefined) throw failure;
  }
  last(): Call | undefined {
    return this.calls.at(-1);
  }

  putBundle(caller: AdminCaller, id: string, bytes: Uint8Array): Promise<BundleInfo> {
    this.record('putBundle', caller, [id, bytes.length, sha(bytes)]);
    const created = !this.stored.has(id);
    this.stored.add(id);
    return Promise.resolve({ id, bytes: bytes.length, manifest, created });
  }
  getBundle(caller: AdminCaller, id: string): Promise<BundleInfo> {
    this.record('getBundle', caller, [id]);
    return Promise.resolve({ id, bytes: 10, manifest, created: false });
  }
  deploy(caller: AdminCaller, owner: string, app: string, input: { bundle: string; dryRun: boolean }) {
    this.record('deploy', caller, [owner, app, input]);
    const unchanged = input.bundle === ACTIVE;
    const made = !unchanged && !input.dryRun;
    const result: DeployResult = {
      app: `${owner}/${app}`,
      deployment: made ? deployment(3, caller.subject) : null,
      unchanged,
      dryRun: input.dryRun,
      diff: { entries: [], text: '' },
      activationMs: made ? 2 : 0,
    };
    return Promise.resolve(result);
  }
  rollback(caller: AdminCaller, owner: string, app: string, target: RollbackTarget): Promise<DeployResult> {
    this.record('rollback', caller, [owner, app, target]);
    return Promise.resolve({
      app: `${owner}/${app}`,
      deployment: deployment(4, caller.subject, 'rollback'),
      unchanged: false,
      dryRun: false,
      diff: { entries: [], text: '' },
      activationMs: 1,
    });
  }
  undeploy(caller: AdminCaller, owner: string, app: string): Promise<AppInfo> {
    this.record('undeploy', caller, [owner, app]);
    return Promise.resolve(appInfo('undeployed'));
  }
  listApps(caller: AdminCaller): Promise<readonly AppInfo[]> {
    this.record('listApps', caller, []);
    return Promise.resolve([appInfo('active')]);
  }
  getApp(caller: AdminCaller, owner: string, app: string): Promise<AppDetail> {
    this.record('getApp', caller, [owner, app]);
    return Promise.resolve({ ...appInfo('active'), history: [deployment(2, 'cli:a'), deployment(1, 'cli:a')] });
  }
  listSecrets(caller: AdminCaller, owner: string, app: string): Promise<readonly string[]> {
    this.record('listSecrets', caller, [owner, app]);
    return Promise.resolve(['A_KEY', 'B_KEY']);
  }
  putSecret(caller: AdminCaller, owner: string, app: string, name: string, value: string): Promise<void> {
    this.record('putSecret', caller, [owner, app, name, value]);
    return Promise.resolve();
  }
  deleteSecret(caller: AdminCaller, owner: string, app: string, name: string): Promise<void> {
    this.record('deleteSecret', caller, [owner, app, name]);
    if (name === 'MISSING') return Promise.reject(new AppError('NOT_FOUND', `secret ${name} not found`));
    return Promise.resolve();
  }
  listNodes(caller: AdminCaller): Promise<readonly NodeInfo[]> {
    this.record('listNodes', caller, []);
    return Promise.resolve([nodeInfo]);
  }
}

// --- system JWTs signed with node:crypto (the engine does not depend on jose) -------------------

export const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signToken(key: KeyObject, claims: Record<string, unknown>, kid = 'admin-1'): string {
  const input = `${b64({ alg: 'EdDSA', typ: 'JWT', kid })}.${b64(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

export const adminKey = generateKeyPairSync('ed25519');
export const otherKey = generateKeyPairSync('ed25519');
export const nowSec = (): number => Math.floor(Date.now() / 1000);
export const token = (sub = 'cli:alice@host', extra: Record<string, unknown> = {}): string =>
  signToken(adminKey.privateKey, { aud: 'stoa-admin', sub, iat: nowSec(), exp: nowSec() + 120, ...extra });

// --- a real node:http server around the handler -----------------------------------------------

export interface Observed {
  readonly route: string;
  readonly method: string;
  readonly status: number;
}

export interface AdminTestServer {
  readonly url: string;
  readonly observed: Observed[];
  readonly handler: AdminHandler;
  close(): Promise<void>;
}

export async function startAdminServer(deps: AdminHandlerDeps): Promise<AdminTestServer> {
  const observed: Observed[] = [];
  const metrics: HttpMetrics = { observe: (route, method, status) => observed.push({ route, method, status }) };
  const logger = pino({ level: 'silent' });
  const handler = createAdminHandler(deps);
  let n = 0;
  // The Exchange is built exactly as handler.ts builds it.
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const ex = new Exchange(req, res, `t-${++n}`, path, q === -1 ? '' : url.slice(q + 1), logger, metrics);
    void handler(ex);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    observed,
    handler,
    close: () =>
      new Promise<void>((resolve) => {
        handler.shutdown();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
