// The engine for integration tests: built in-process by composeEngine (the code main.ts runs),
// served on a free port, called with fetch. Tokens come from the engine's own key ring.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing, issuePrincipalToken } from '@stoa/engine';
import type { EngineCoreOptions, EngineLimits, HttpServerHandle, WasmHostOptions } from '@stoa/engine';
import { pino } from 'pino';
import { expect } from 'vitest';
import { composeEngine } from '../../src/compose.js';
import type { ComposedEngine } from '../../src/compose.js';
import type { StorageSettings } from '../../src/storage-driver.js';

export type Backend = StorageSettings['storage'];

export const ROOT = join(import.meta.dirname, '../../../..');
export const TODO_DIR = join(ROOT, 'examples/todo');
/** examples/shop: WASM extensions (AssemblyScript) plus dev builtins for its BUILTIN ones. */
export const SHOP_DIR = join(ROOT, 'examples/shop');
export const LAB_DIR = join(import.meta.dirname, '../fixtures/lab');
export const EVIL_DIR = join(import.meta.dirname, '../fixtures/evil');

export interface StartOptions {
  readonly storage: Backend;
  readonly apps: readonly string[];
  /** Owner of the folder apps (default `local`). */
  readonly owner?: string;
  readonly limits?: Partial<EngineLimits>;
  readonly coreOptions?: EngineCoreOptions;
  readonly cassandra?: StorageSettings['cassandra'];
  readonly dynamodb?: StorageSettings['dynamodb'];
  /** Reuse this data dir (kept on close, for restarts); default a fresh temp dir removed on close. */
  readonly dataDir?: string;
  /** WASM host limits (fuel, memory); the host's defaults otherwise. */
  readonly wasm?: WasmHostOptions;
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON body ({} when empty). */
  readonly json: Record<string, unknown>;
  readonly text: string;
}

export interface CallOptions {
  readonly body?: unknown;
  /** Raw body text (sent as application/json unless a content-type header is given). */
  readonly rawBody?: string;
  /** undefined → the client's token; null → none. */
  readonly token?: string | null;
  readonly headers?: Record<string, string>;
}

/** Calls one app's API v2 (`/api/v2/apps/{owner}/{app}` + path) with a default token. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly appPath: string,
    readonly token: string | null,
  ) {}

  withToken(token: string | null): ApiClient {
    return new ApiClient(this.baseUrl, this.appPath, token);
  }

  call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    return callUrl(`${this.baseUrl}${this.appPath}${path}`, method, {
      ...options,
      token: options.token === undefined ? this.token : options.token,
    });
  }

  get(path: string, options?: CallOptions): Promise<Reply> {
    return this.call('GET', path, options);
  }

  post(path: string, body?: unknown, options: CallOptions = {}): Promise<Reply> {
    return this.call('POST', path, { ...options, ...(body === undefined ? {} : { body }) });
  }

  patch(path: string, body: unknown, options: CallOptions = {}): Promise<Reply> {
    return this.call('PATCH', path, { ...options, body });
  }

  delete(path: string, options?: CallOptions): Promise<Reply> {
    return this.call('DELETE', path, options);
  }

  /** Creates a workspace of `kind` and returns its id (asserting 201). */
  async createWorkspace(kind: string, descriptor: Record<string, unknown>, name = `ws-${unique()}`): Promise<number> {
    const res = await this.post('/workspaces', { kind, name, descriptor });
    if (res.status !== 201) throw new Error(`createWorkspace: ${res.status} ${res.text}`);
    return res.json['wsid'] as number;
  }
}

export async function callUrl(url: string, method: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined && options.token !== null) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  if (text !== '' && (res.headers.get('content-type') ?? '').includes('json')) {
    json = JSON.parse(text) as Record<string, unknown>;
  }
  return { status: res.status, headers: res.headers, json, text };
}

let counter = 0;
/** A name no other test of this run uses. */
export function unique(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36)}${(++counter).toString(36)}`;
}

export class TestEngine {
  constructor(
    readonly engine: ComposedEngine,
    readonly server: HttpServerHandle,
    readonly owner: string,
    readonly dataDir: string,
    private readonly removeDataDir: boolean,
  ) {}

  get baseUrl(): string {
    return this.server.url;
  }

  /** A one-hour user token for `subject`, valid for `owner/app`. */
  async token(app: string, subject: string, ttlSeconds = 3600): Promise<string> {
    const issued = await issuePrincipalToken(this.engine.ring, {
      app: `${this.owner}/${app}`,
      subject,
      kind: 'user',
      profileWSID: 0,
      ttlSeconds,
    });
    return issued.token;
  }

  /** A token signed by this node's key that expired an hour ago. */
  async expiredToken(app: string, subject: string): Promise<string> {
    const store = this.engine.sys.keyStore;
    const past = await KeyRing.open(
      { load: () => store.load(), save: () => Promise.resolve() },
      {
        now: () => Date.now() - 2 * 3600_000,
      },
    );
    const issued = await issuePrincipalToken(past, {
      app: `${this.owner}/${app}`,
      subject,
      kind: 'user',
      profileWSID: 0,
      ttlSeconds: 3600,
    });
    return issued.token;
  }

  /** A client of `owner/app` acting as `subject` (a fresh subject by default). */
  async client(app: string, subject = `u${unique()}`): Promise<ApiClient> {
    return new ApiClient(this.baseUrl, `/api/v2/apps/${this.owner}/${app}`, await this.token(app, subject));
  }

  async close(): Promise<void> {
    await this.engine.close();
    if (this.removeDataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export async function startTestEngine(options: StartOptions): Promise<TestEngine> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), `stoa-engine-${options.storage}-`));
  const removeDataDir = options.dataDir === undefined;
  const engine = await composeEngine({
    storage: options.storage,
    dataDir,
    ...(options.cassandra === undefined ? {} : { cassandra: options.cassandra }),
    ...(options.dynamodb === undefined ? {} : { dynamodb: options.dynamodb }),
    apps: options.apps,
    owner: options.owner ?? 'local',
    dev: true,
    logger: pino({ level: 'silent' }),
    defaultMetrics: false,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.wasm === undefined ? {} : { wasm: options.wasm }),
    coreOptions: { jobs: false, ...options.coreOptions },
  });
  try {
    const server = await engine.listen({ port: 0 });
    return new TestEngine(engine, server, options.owner ?? 'local', dataDir, removeDataDir);
  } catch (error) {
    await engine.close();
    if (removeDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Polls `read` until `done` holds or `timeoutMs` passes; returns the last value. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ExpectedError {
  /** Substring or pattern of `message`. */
  readonly message?: string | RegExp;
  /** `data.field` (400s name the offending field). */
  readonly field?: string;
  readonly qname?: string;
}

/** Asserts the status and the documented error body `{status, message, qname?, data?}` (and nothing else). */
export function expectError(reply: Reply, status: number, expected: ExpectedError = {}): void {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers.get('content-type')).toContain('application/json');
  expect(Object.keys(reply.json).filter((k) => !['status', 'message', 'qname', 'data'].includes(k))).toEqual([]);
  expect(reply.json['status']).toBe(status);
  expect(typeof reply.json['message']).toBe('string');
  const message = reply.json['message'] as string;
  expect(message).not.toBe('');
  if (typeof expected.message === 'string') expect(message).toContain(expected.message);
  else if (expected.message !== undefined) expect(message).toMatch(expected.message);
  if (expected.field !== undefined) {
    expect((reply.json['data'] as Record<string, unknown> | undefined)?.['field'], reply.text).toBe(expected.field);
  }
  if (expected.qname !== undefined) expect(reply.json['qname']).toBe(expected.qname);
}

/** The newIDs of a command result, as a list in raw-id order. */
export function newIds(reply: Reply): number[] {
  const ids = reply.json['newIDs'] as Record<string, number> | undefined;
  return Object.entries(ids ?? {})
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([, id]) => id);
}
