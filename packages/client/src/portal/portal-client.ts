import { AppError } from '@stoa/errors';
import { readSseEvents } from '../admin/sse.js';
import { fail, ok, type Result } from '../result.js';
import { Transport, isRecord, type FetchLike } from '../transport.js';
import type { CreatedDeployment, DeployLogEvent } from './types.js';

/**
 * Client of the portal's tool API (`/api/v1`): deploy a project archive with a portal access
 * token and follow the deployment's build and rollout log. Failures are values (`Result`), as in
 * the engine clients; a broken log stream is resumed from the last event seen.
 */

export interface PortalClientOptions {
  /** Portal URL, e.g. `https://portal.example.com` (a trailing slash is ignored). */
  readonly baseUrl: string;
  /** A portal access token (`stoa_pat_…`) of the org. */
  readonly token: string;
  readonly fetch?: FetchLike;
  /** Per-request deadline of the upload; not applied to the log stream. */
  readonly timeoutMs?: number;
}

export interface FollowOptions {
  readonly signal?: AbortSignal;
  /** Resume after this event (the last `seq` seen). */
  readonly afterSeq?: number;
  /** Reconnections after a dropped stream before giving up (default 5). */
  readonly maxReconnects?: number;
  /** Waited before each reconnection (default 1000 ms). */
  readonly reconnectDelayMs?: number;
}

const PREFIX = '/api/v1';

export class PortalClient {
  private readonly transport: Transport;

  constructor(readonly options: PortalClientOptions) {
    this.transport = new Transport({
      baseUrl: options.baseUrl,
      token: options.token,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
  }

  /** Uploads a project archive (zip) as a new deployment of `org/app`; the worker builds it. */
  createDeployment(org: string, app: string, archive: Uint8Array): Promise<Result<CreatedDeployment>> {
    return this.transport.request({
      method: 'POST',
      path: `${appPath(org, app)}/deployments`,
      bytes: { data: archive, contentType: 'application/zip' },
    });
  }

  /**
   * The deployment's log: the backlog, then live events, ending after the `end` event. Resolves
   * to a failure when the first connection is refused (401, 404, network); a stream that breaks
   * later is reopened after the last event seen, up to `maxReconnects` times in a row, then the
   * iterator throws AppError('UNAVAILABLE').
   */
  async followDeployment(
    org: string,
    app: string,
    deploymentId: string,
    options: FollowOptions = {},
  ): Promise<Result<AsyncIterable<DeployLogEvent>>> {
    const first = await this.openLog(org, app, deploymentId, options.afterSeq ?? 0, options.signal);
    if (!first.ok) return first;
    return ok(this.iterateWithResume(first.value, org, app, deploymentId, options));
  }

  private async openLog(
    org: string,
    app: string,
    id: string,
    afterSeq: number,
    signal: AbortSignal | undefined,
  ): Promise<Result<ReadableStream<Uint8Array>>> {
    const res = await this.transport.open(
      {
        method: 'GET',
        path: `${appPath(org, app)}/deployments/${encodeURIComponent(id)}/logs`,
        headers: { accept: 'text/event-stream', ...(afterSeq > 0 ? { 'last-event-id': String(afterSeq) } : {}) },
      },
      signal,
    );
    if (!res.ok) return res;
    const body = res.value.body;
    if (body === null)
      return fail({ kind: 'invalid-response', status: res.value.status, message: 'the log stream has no body' });
    return ok(body);
  }

  private async *iterateWithResume(
    firstBody: ReadableStream<Uint8Array>,
    org: string,
    app: string,
    id: string,
    options: FollowOptions,
  ): AsyncGenerator<DeployLogEvent> {
    const maxReconnects = options.maxReconnects ?? 5;
    const delayMs = options.reconnectDelayMs ?? 1_000;
    let lastSeq = options.afterSeq ?? 0;
    let body: ReadableStream<Uint8Array> | undefined = firstBody;
    let failures = 0;
    let lastProblem = 'the stream ended before the deployment did';
    for (;;) {
      if (body !== undefined) {
        try {
          for await (const sse of readSseEvents(body)) {
            if (sse.event !== 'message') continue;
            const event = parseDeployLogEvent(sse.data);
            // The resume point is the SSE id (the event's seq), as EventSource's Last-Event-ID. An
            // event without an id line (the portal's closing event) has no seq of the log: the
            // parser's `id` is then the previous event's (ids persist), so ours does not move.
            const seq = sse.id === undefined || !/^\d{1,15}$/.test(sse.id) ? undefined : Number(sse.id);
            if (seq !== undefined) lastSeq = Math.max(lastSeq, seq);
            failures = 0;
            yield event;
            if (event.type === 'end') return;
          }
          lastProblem = 'the stream ended before the deployment did';
        } catch (error) {
          if (options.signal?.aborted === true) return;
          if (error instanceof AppError && error.code === 'INTERNAL') throw error;
          lastProblem = error instanceof Error ? error.message : String(error);
        }
      }
      if (options.signal?.aborted === true) return;
      failures += 1;
      if (failures > maxReconnects) {
        throw new AppError(
          'UNAVAILABLE',
          `deploy log of ${id}: ${lastProblem} (gave up after ${maxReconnects} reconnects)`,
        );
      }
      await sleep(delayMs, options.signal);
      const again = await this.openLog(org, app, id, lastSeq, options.signal);
      if (again.ok) body = again.value;
      else {
        body = undefined;
        lastProblem = again.error.message;
        // The portal refusing us now (token revoked, deployment gone) will not get better.
        if (again.error.kind === 'http' && again.error.status < 500) {
          throw new AppError(again.error.code, `deploy log of ${id}: ${again.error.message}`);
        }
      }
    }
  }
}

export function createPortalClient(options: PortalClientOptions): PortalClient {
  return new PortalClient(options);
}

function appPath(org: string, app: string): string {
  return `${PREFIX}/orgs/${encodeURIComponent(org)}/apps/${encodeURIComponent(app)}`;
}

/** Resolves after `ms`, or at once when `signal` aborts; removes its listener either way. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    // Removed when the timer fires: a long follow with many reconnects must not pile up listeners
    // on the caller's signal (Node warns past 10).
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const LEVELS = new Set(['info', 'warn', 'error']);
const STAGES = new Set(['queued', 'fetch', 'unpack', 'build', 'upload', 'activate', 'done']);

/** One event of the stream, checked: a portal that sends something else is a bug, not a log line. */
export function parseDeployLogEvent(data: string): DeployLogEvent {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    value = undefined;
  }
  if (isDeployLogEvent(value)) return value;
  const preview = data.length > 80 ? `${data.slice(0, 80)}…` : data;
  throw new AppError('INTERNAL', `deploy log: an event is not a deploy log event: ${JSON.stringify(preview)}`);
}

function isDeployLogEvent(value: unknown): value is DeployLogEvent {
  if (!isRecord(value) || typeof value['seq'] !== 'number' || typeof value['at'] !== 'number') return false;
  const text = value['text'];
  switch (value['type']) {
    case 'line':
      return typeof text === 'string' && LEVELS.has(value['level'] as string);
    case 'progress':
      return STAGES.has(value['stage'] as string) && (value['pct'] === undefined || typeof value['pct'] === 'number');
    case 'end':
      return (
        (value['status'] === 'live' || value['status'] === 'failed') && (text === undefined || typeof text === 'string')
      );
    default:
      return false;
  }
}
