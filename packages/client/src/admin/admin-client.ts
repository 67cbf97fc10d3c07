import { AppError } from '@stoa/errors';
import { fail, mapResult, ok, type ClientError, type HttpError, type Result } from '../result.js';
import { Transport, isRecord, type FetchLike } from '../transport.js';
import {
  DEFAULT_ADMIN_TOKEN_TTL_SECONDS,
  importAdminKey,
  signAdminToken,
  type AdminPrivateJwk,
  type AdminSigningKey,
} from './keys.js';
import { readSseEvents } from './sse.js';
import type {
  AppDetail,
  AppInfo,
  BundleInfo,
  DeployResult,
  IncompatibleDeployData,
  LogEntry,
  LogPage,
  NodeInfo,
  RollbackTarget,
} from './types.js';

/**
 * Client of one engine node's admin API (`/admin/v1`, docs/admin-api.md). Every request carries a
 * system JWT signed with the caller's private key; the token is reused until 30 s before it
 * expires, then a new one is signed, so a long session never sends an expired token and never
 * keeps one longer than its TTL. Failures are values (`Result`), as in the API v2 client.
 */

export interface AdminClientOptions {
  /** Engine node URL, e.g. `http://127.0.0.1:8080`. */
  readonly baseUrl: string;
  /** The private JWK whose public half is in the node's STOA_ADMIN_PUBLIC_KEY. */
  readonly key: AdminPrivateJwk;
  /** The tokens' `sub`: who acts, recorded in the deploy history (`cli:alice@host`). */
  readonly subject: string;
  readonly fetch?: FetchLike;
  /** Per-request deadline; none by default. Not applied to `followLogs`. */
  readonly timeoutMs?: number;
  /** Token lifetime, 1…300 s (default 120). */
  readonly tokenTtlSeconds?: number;
  /** Milliseconds since epoch; injectable for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** A token is not reused when it has less than this left: clocks and slow uploads need slack. */
const TOKEN_REUSE_MARGIN_SECONDS = 30;

const PREFIX = '/admin/v1';

export class AdminClient {
  private readonly transport: Transport;
  private signingKey: Promise<AdminSigningKey> | undefined;
  private cached: { token: string; exp: number } | undefined;

  constructor(readonly options: AdminClientOptions) {
    this.transport = new Transport({
      baseUrl: options.baseUrl,
      getToken: () => this.currentToken(),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  /** Uploads a bundle zip; 201 `created: true` when new, 200 `created: false` when already stored. */
  putBundle(id: string, bytes: Uint8Array): Promise<Result<BundleInfo>> {
    return this.transport.request({
      method: 'PUT',
      path: `${PREFIX}/bundles/${seg(id)}`,
      bytes: { data: bytes, contentType: 'application/zip' },
    });
  }

  getBundle(id: string): Promise<Result<BundleInfo>> {
    return this.transport.request({ method: 'GET', path: `${PREFIX}/bundles/${seg(id)}` });
  }

  /**
   * Activates an uploaded bundle as the app's new version (or, with `dryRun`, only reports the
   * diff). An incompatible change is a 409 failure: test it with `isIncompatible`.
   */
  deploy(owner: string, app: string, input: { bundle: string; dryRun?: boolean }): Promise<Result<DeployResult>> {
    const body = input.dryRun === undefined ? { bundle: input.bundle } : { bundle: input.bundle, dryRun: input.dryRun };
    return this.transport.request({ method: 'POST', path: `${appPath(owner, app)}/deployments`, body });
  }

  /** Re-activates a version (or bundle) from the app's own history, without the compatibility check. */
  rollback(owner: string, app: string, target: RollbackTarget): Promise<Result<DeployResult>> {
    return this.transport.request({ method: 'POST', path: `${appPath(owner, app)}/rollback`, body: target });
  }

  /** Stops serving the app; data, history and secrets stay. */
  undeploy(owner: string, app: string): Promise<Result<AppInfo>> {
    return this.transport.request({ method: 'DELETE', path: appPath(owner, app) });
  }

  async listApps(): Promise<Result<readonly AppInfo[]>> {
    return arrayField(await this.transport.request({ method: 'GET', path: `${PREFIX}/apps` }), 'apps');
  }

  getApp(owner: string, app: string): Promise<Result<AppDetail>> {
    return this.transport.request({ method: 'GET', path: appPath(owner, app) });
  }

  /** Secret names, sorted (values never leave the node). */
  async listSecrets(owner: string, app: string): Promise<Result<readonly string[]>> {
    return arrayField(await this.transport.request({ method: 'GET', path: `${appPath(owner, app)}/secrets` }), 'names');
  }

  putSecret(owner: string, app: string, name: string, value: string): Promise<Result<void>> {
    return this.transport.request({
      method: 'PUT',
      path: `${appPath(owner, app)}/secrets/${seg(name)}`,
      body: { value },
      expect: 'empty',
    });
  }

  /** An http NOT_FOUND failure when the secret does not exist. */
  deleteSecret(owner: string, app: string, name: string): Promise<Result<void>> {
    return this.transport.request({
      method: 'DELETE',
      path: `${appPath(owner, app)}/secrets/${seg(name)}`,
      expect: 'empty',
    });
  }

  async listNodes(): Promise<Result<readonly NodeInfo[]>> {
    return arrayField(await this.transport.request({ method: 'GET', path: `${PREFIX}/nodes` }), 'nodes');
  }

  /** The node's recent log lines after `since` (exclusive), at most `limit` (default 200, max 1000). */
  async readLogs(options: { app?: string; since?: number; limit?: number } = {}): Promise<Result<LogPage>> {
    const res = await this.transport.request<LogPage>({
      method: 'GET',
      path: `${PREFIX}/logs`,
      query: logQuery(options),
    });
    if (res.ok && (!Array.isArray(res.value.entries) || typeof res.value.next !== 'number')) {
      return fail({ kind: 'invalid-response', status: 200, message: 'expected a body {entries: [...], next: n}' });
    }
    return res;
  }

  /**
   * The log stream (SSE): the backlog after `since`, then each new line as the node logs it. The
   * connection and the status are checked before this resolves, so 401/network failures are
   * values like everywhere else. Iterating ends when `signal` aborts or the node closes the
   * stream; a stream that breaks mid-way (connection reset, an event that is not a log entry)
   * throws an AppError (`UNAVAILABLE`, `INTERNAL`) from the iteration.
   */
  async followLogs(options: {
    app?: string;
    since?: number;
    signal?: AbortSignal;
  }): Promise<Result<AsyncIterable<LogEntry>>> {
    const query = logQuery(options);
    query.set('follow', '1');
    const res = await this.transport.open(
      { method: 'GET', path: `${PREFIX}/logs`, query, headers: { accept: 'text/event-stream' } },
      options.signal,
    );
    if (!res.ok) return res;
    const body = res.value.body;
    if (body === null)
      return fail({ kind: 'invalid-response', status: res.value.status, message: 'the log stream has no body' });
    return ok(iterateLogEntries(body, options.signal));
  }

  private async currentToken(): Promise<string> {
    const nowSeconds = Math.floor((this.options.now ?? Date.now)() / 1000);
    const cached = this.cached;
    if (cached !== undefined && nowSeconds < cached.exp - TOKEN_REUSE_MARGIN_SECONDS) return cached.token;
    this.signingKey ??= importAdminKey(this.options.key);
    const ttlSeconds = this.options.tokenTtlSeconds ?? DEFAULT_ADMIN_TOKEN_TTL_SECONDS;
    const token = await signAdminToken(await this.signingKey, {
      subject: this.options.subject,
      ttlSeconds,
      nowSeconds,
    });
    this.cached = { token, exp: nowSeconds + ttlSeconds };
    return token;
  }
}

export function createAdminClient(options: AdminClientOptions): AdminClient {
  return new AdminClient(options);
}

/** The 409 of a deploy refused because the new version would break stored data or clients. */
export function isIncompatible(error: ClientError): error is HttpError & { readonly data: IncompatibleDeployData } {
  return (
    error.kind === 'http' &&
    error.status === 409 &&
    error.data?.['reason'] === 'incompatible' &&
    Array.isArray(error.data['breaking'])
  );
}

async function* iterateLogEntries(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal | undefined,
): AsyncGenerator<LogEntry> {
  try {
    for await (const event of readSseEvents(body)) {
      if (event.event !== 'message') continue;
      yield parseLogEntry(event.data);
    }
  } catch (error) {
    // The caller ending the stream is the normal way out, not a failure.
    if (signal?.aborted === true) return;
    if (error instanceof AppError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new AppError('UNAVAILABLE', `log stream broken: ${reason}`, { cause: error });
  }
}

function parseLogEntry(data: string): LogEntry {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    value = undefined;
  }
  if (!isRecord(value) || typeof value['seq'] !== 'number' || typeof value['msg'] !== 'string') {
    const preview = data.length > 80 ? `${data.slice(0, 80)}…` : data;
    throw new AppError('INTERNAL', `log stream: an event is not a log entry: ${JSON.stringify(preview)}`);
  }
  return value as LogEntry;
}

function logQuery(options: { app?: string; since?: number; limit?: number }): URLSearchParams {
  const query = new URLSearchParams();
  if (options.app !== undefined) query.set('app', options.app);
  if (options.since !== undefined) query.set('since', String(options.since));
  if (options.limit !== undefined) query.set('limit', String(options.limit));
  return query;
}

function arrayField<T>(res: Result<unknown>, key: string): Result<readonly T[]> {
  if (res.ok && !(isRecord(res.value) && Array.isArray(res.value[key]))) {
    return fail({ kind: 'invalid-response', status: 200, message: `expected a body {${key}: [...]}` });
  }
  return mapResult(res, (v) => (v as Record<string, T[]>)[key] ?? []);
}

function appPath(owner: string, app: string): string {
  return `${PREFIX}/apps/${seg(owner)}/${seg(app)}`;
}

function seg(value: string): string {
  return encodeURIComponent(value);
}
