import { readFileSync } from 'node:fs';
import type { Authenticator, Principal } from '@stoa/auth';
import { AppError } from '@stoa/errors';
import type { StorageProvider } from '@stoa/storage';
import { type AppDef, compile } from '@stoa/vsql';
import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import type {
  AppLease,
  AppService,
  CallContext,
  EngineCore,
  NotificationBroker,
  NotificationKey,
} from '../core/service.js';
import { DEFAULT_LIMITS, type EngineLimits, type EngineResources } from '../resources.js';
import { type HttpHandlerOptions, createHttpHandler } from './handler.js';
import { type HttpServerHandle, startHttpServer } from './server.js';

/**
 * Test doubles for the edge's unit tests: a fake EngineCore/AppService (our own interface, so a
 * fake is honest here; real-core integration tests live with the core), a broker, a token scheme
 * (`Bearer ok:<subject>` is valid, `Bearer expired` is not) and a server on port 0.
 */

export function loadExampleAppDef(name: 'todo' | 'shop'): AppDef {
  const url = new URL(`../../../../examples/${name}/schema/${name}.vsql`, import.meta.url);
  const result = compile([{ path: `${name}.vsql`, source: readFileSync(url, 'utf8') }]);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.appdef;
}

export interface RecordedCall {
  readonly method: string;
  readonly ctx: CallContext;
  readonly args: readonly unknown[];
}

type Impl = (...args: never[]) => Promise<unknown>;

/** Records every call; `impl[method]` overrides a method's answer for one test. */
export class FakeApp implements AppService {
  readonly calls: RecordedCall[] = [];
  readonly impl: Partial<Record<keyof AppService, Impl>> = {};
  readonly versionHash = 'test-hash';

  constructor(
    readonly owner: string,
    readonly name: string,
    readonly appdef: AppDef,
    readonly partitions = 4,
  ) {}

  lastCall(): RecordedCall | undefined {
    return this.calls.at(-1);
  }

  private async run<T>(method: keyof AppService, ctx: CallContext, args: unknown[], fallback: T): Promise<T> {
    this.calls.push({ method, ctx, args });
    const impl = this.impl[method] as ((...a: unknown[]) => Promise<T>) | undefined;
    return impl === undefined ? fallback : impl(ctx, ...args);
  }

  createWorkspace(ctx: CallContext, input: unknown): Promise<{ wsid: number }> {
    return this.run('createWorkspace', ctx, [input], { wsid: 1001 });
  }
  listWorkspaces(ctx: CallContext): Promise<never[]> {
    return this.run('listWorkspaces', ctx, [], []);
  }
  executeCommand(ctx: CallContext, wsid: number, command: string, input: unknown) {
    return this.run('executeCommand', ctx, [wsid, command, input], { currentWLogOffset: 7, result: { ok: true } });
  }
  insertDoc(ctx: CallContext, wsid: number, table: string, fields: unknown) {
    return this.run('insertDoc', ctx, [wsid, table, fields], { currentWLogOffset: 8, newIDs: { '1': 200001 } });
  }
  updateDoc(ctx: CallContext, wsid: number, table: string, id: number, fields: unknown) {
    return this.run('updateDoc', ctx, [wsid, table, id, fields], { currentWLogOffset: 9 });
  }
  deactivateDoc(ctx: CallContext, wsid: number, table: string, id: number) {
    return this.run('deactivateDoc', ctx, [wsid, table, id], { currentWLogOffset: 10 });
  }
  getDoc(ctx: CallContext, wsid: number, table: string, id: number, query: unknown) {
    return this.run('getDoc', ctx, [wsid, table, id, query], { 'sys.ID': id, 'sys.QName': table });
  }
  listCDocs(ctx: CallContext, wsid: number, table: string, query: unknown) {
    return this.run('listCDocs', ctx, [wsid, table, query], { results: [{ 'sys.ID': 1 }] });
  }
  runQuery(ctx: CallContext, wsid: number, query: string, args: unknown, read: unknown) {
    return this.run('runQuery', ctx, [wsid, query, args, read], { results: [{ Day: 1, Total: 5 }] });
  }
  readView(ctx: CallContext, wsid: number, view: string, query: unknown) {
    return this.run('readView', ctx, [wsid, view, query], { results: [] });
  }
  authorizeSubscription(ctx: CallContext, wsid: number, view: string): Promise<void> {
    return this.run('authorizeSubscription', ctx, [wsid, view], undefined);
  }
}

/** The broker contract: `watch` replays the latest offset, then every publish. */
export class FakeBroker implements NotificationBroker {
  private readonly latest = new Map<string, number>();
  private readonly listeners = new Map<string, Set<(offset: number) => void>>();

  private static key(k: NotificationKey): string {
    return `${k.app} ${k.view} ${k.wsid}`;
  }

  publish(key: NotificationKey, offset: number): void {
    const k = FakeBroker.key(key);
    this.latest.set(k, offset);
    for (const l of this.listeners.get(k) ?? []) l(offset);
  }

  watch(key: NotificationKey, listener: (offset: number) => void): () => void {
    const k = FakeBroker.key(key);
    let set = this.listeners.get(k);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(k, set);
    }
    set.add(listener);
    const last = this.latest.get(k);
    if (last !== undefined) listener(last);
    return () => set.delete(listener);
  }

  watcherCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}

export class FakeCore implements EngineCore {
  ready = true;
  readonly notifications = new FakeBroker();
  private readonly apps = new Map<string, AppService>();

  constructor(apps: AppService[]) {
    for (const a of apps) this.apps.set(`${a.owner}/${a.name}`, a);
  }
  getApp(owner: string, app: string): AppService | undefined {
    return this.apps.get(`${owner}/${app}`);
  }
  acquireApp(owner: string, app: string): Promise<AppLease | undefined> {
    const service = this.apps.get(`${owner}/${app}`);
    return Promise.resolve(service === undefined ? undefined : { service, release: () => undefined });
  }
  listApps(): readonly AppService[] {
    return [...this.apps.values()];
  }
  isReady(): boolean {
    return this.ready;
  }
}

export const fakeAuthenticator: Authenticator = {
  authenticate(app: string, token: string): Promise<Principal> {
    if (token.startsWith('ok:')) {
      return Promise.resolve({ kind: 'user', subject: token.slice(3), app, profileWSID: 1, expiresAt: 2e9 });
    }
    return Promise.reject(new AppError('UNAUTHENTICATED', token === 'expired' ? 'token expired' : 'invalid token'));
  },
};

export function createTestResources(
  overrides: { limits?: Partial<EngineLimits>; now?: () => number; logger?: Logger } = {},
): EngineResources {
  return {
    storage: {} as StorageProvider,
    logger: overrides.logger ?? pino({ level: 'silent' }),
    metrics: new Registry(),
    authenticator: fakeAuthenticator,
    jwks: () => Promise.resolve({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' }] }),
    extensionHosts: [],
    secrets: { get: () => Promise.resolve(undefined) },
    now: overrides.now ?? Date.now,
    limits: { ...DEFAULT_LIMITS, ...overrides.limits },
  };
}

export interface TestServer extends HttpServerHandle {
  readonly core: FakeCore;
  readonly resources: EngineResources;
  /** fetch relative to the server; JSON bodies are stringified with content-type set. */
  call(
    method: string,
    path: string,
    init?: { body?: unknown; token?: string; headers?: Record<string, string> },
  ): Promise<Response>;
}

export async function startTestServer(
  core: FakeCore,
  resources: EngineResources = createTestResources(),
  options: HttpHandlerOptions = {},
): Promise<TestServer> {
  const handle = await startHttpServer(createHttpHandler(core, resources, options), { port: 0, host: '127.0.0.1' });
  return {
    ...handle,
    core,
    resources,
    call(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(`${handle.url}${path}`, { method, headers, body });
    },
  };
}
