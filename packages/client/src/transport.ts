import { codeOfStatus, fail, ok, type ClientError, type Result } from './result.js';

/**
 * One HTTP exchange with the engine: URL and query string, bearer token, JSON body, timeout, and
 * the translation of every outcome into a `Result`. Only the global `fetch` API (or the one
 * injected), so it runs in browsers, workers and Node alike. Nothing is retried: a command is not
 * idempotent, and only the caller knows whether repeating one is safe.
 */

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** Engine node URL, e.g. `http://127.0.0.1:8080` (a trailing slash is ignored). */
  readonly baseUrl: string;
  /** Bearer token (principal, device or API token); none = anonymous. */
  readonly token?: string;
  /**
   * Called before every request for the bearer token; wins over `token`. For short-lived tokens
   * (the admin API's system JWTs) that must be fresh whenever a request leaves. Its rejection
   * rejects the request (a local failure, not an HTTP or network one).
   */
  readonly getToken?: () => Promise<string>;
  /** Defaults to the global `fetch`. */
  readonly fetch?: FetchLike;
  /** Per-request deadline (AbortSignal.timeout); none by default. */
  readonly timeoutMs?: number;
  /** Extra headers on every request (e.g. `x-request-id`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a route answers on success: a JSON body, or nothing (204). */
export type Expect = 'json' | 'empty';

export interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  /** Already encoded path, starting with `/`. */
  readonly path: string;
  readonly query?: URLSearchParams;
  readonly body?: unknown;
  /** A raw body instead of JSON (e.g. a bundle zip); wins over `body`. */
  readonly bytes?: { readonly data: Uint8Array; readonly contentType: string };
  /** Extra headers for this request (e.g. `accept: text/event-stream`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly expect?: Expect;
}

export class Transport {
  private readonly baseUrl: string;

  constructor(readonly options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** The same options with this static token (a `getToken` provider is dropped). */
  withToken(token: string | undefined): Transport {
    const { token: _old, getToken: _provider, ...rest } = this.options;
    return new Transport(token === undefined ? rest : { ...rest, token });
  }

  async request<T>(spec: RequestSpec): Promise<Result<T>> {
    const { url, init } = await this.prepare(spec);
    const timeoutMs = this.options.timeoutMs;
    if (timeoutMs !== undefined) init.signal = AbortSignal.timeout(timeoutMs);
    const doFetch = this.options.fetch ?? globalThis.fetch;

    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, init);
      text = await res.text();
    } catch (cause) {
      return fail(networkError(spec.method, url, cause, timeoutMs));
    }
    if (res.status >= 200 && res.status < 300) return readSuccess<T>(res.status, text, spec.expect ?? 'json');
    return fail(httpError(res, text));
  }

  /**
   * For streamed answers (SSE): a 2xx response is returned with its body unread; anything else
   * becomes a failure as in `request`. `timeoutMs` does not apply (a stream lives as long as the
   * caller wants); `signal` ends the request and the stream.
   */
  async open(spec: RequestSpec, signal?: AbortSignal): Promise<Result<Response>> {
    const { url, init } = await this.prepare(spec);
    if (signal !== undefined) init.signal = signal;
    const doFetch = this.options.fetch ?? globalThis.fetch;
    let res: Response;
    try {
      res = await doFetch(url, init);
      if (res.status >= 200 && res.status < 300) return ok(res);
      return fail(httpError(res, await res.text()));
    } catch (cause) {
      return fail(networkError(spec.method, url, cause, undefined));
    }
  }

  private async prepare(spec: RequestSpec): Promise<{ url: string; init: RequestInit }> {
    const query = spec.query?.toString() ?? '';
    const url = `${this.baseUrl}${spec.path}${query === '' ? '' : `?${query}`}`;
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers, ...spec.headers };
    const token = this.options.getToken === undefined ? this.options.token : await this.options.getToken();
    if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
    const init: RequestInit = { method: spec.method, headers };
    if (spec.bytes !== undefined) {
      headers['content-type'] = spec.bytes.contentType;
      const data = spec.bytes.data;
      // fetch takes views of ArrayBuffers only (the DOM typing refuses SharedArrayBuffer-backed
      // ones): copy only in that rare case.
      init.body = data.buffer instanceof ArrayBuffer ? (data as Uint8Array<ArrayBuffer>) : new Uint8Array(data);
    } else if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(spec.body);
    }
    return { url, init };
  }
}

function networkError(method: string, url: string, cause: unknown, timeoutMs: number | undefined): ClientError {
  const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
  const reason = timedOut ? `timed out after ${timeoutMs ?? 0} ms` : describe(cause);
  return { kind: 'network', message: `${method} ${url}: ${reason}`, timedOut, cause };
}

/** Node's fetch says only `fetch failed`; the useful part (ECONNREFUSED …) is in its cause. */
function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner: unknown = cause.cause;
  if (inner instanceof Error) {
    const code = (inner as { code?: unknown }).code;
    return `${cause.message} (${typeof code === 'string' ? code : inner.message})`;
  }
  return cause.message;
}

function readSuccess<T>(status: number, text: string, expect: Expect): Result<T> {
  if (expect === 'empty') return ok(undefined as T);
  try {
    return ok(JSON.parse(text) as T);
  } catch {
    return fail({ kind: 'invalid-response', status, message: `expected a JSON body, got ${preview(text)}` });
  }
}

function preview(text: string): string {
  if (text === '') return 'an empty body';
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/** `{status, message, qname?, data?}` when the body is the engine's; else the status line. */
function httpError(res: Response, text: string): ClientError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const b = isRecord(body) ? body : {};
  const message =
    typeof b['message'] === 'string' ? b['message'] : `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  const data = isRecord(b['data']) ? b['data'] : undefined;
  const field = data?.['field'];
  const retryAfter = Number(res.headers.get('retry-after') ?? Number.NaN);
  return {
    kind: 'http',
    status: res.status,
    code: codeOfStatus(res.status),
    message,
    ...(typeof b['qname'] === 'string' ? { qname: b['qname'] } : {}),
    ...(typeof field === 'string' ? { field } : {}),
    ...(data === undefined ? {} : { data }),
    ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}),
  };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
