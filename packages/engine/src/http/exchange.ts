import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { isAppError, toAppError } from '@stoa/errors';
import type { Logger } from 'pino';
import type { HttpMetrics } from './http-metrics.js';
import { endAtTurnEnd } from './turn-end-writer.js';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * One request/response pair with what the edge knows about it: request id, route template (the
 * metrics label), app and wsid (for the log). Every answer goes through `send*` or `fail`, which
 * record the metrics exactly once. The per-request pino child logger is created on first use only:
 * most requests log nothing, and a child per request would cost on the hot path.
 */
export class Exchange {
  readonly started = performance.now();
  route = 'unmatched';
  app: string | undefined;
  wsid: number | undefined;
  private log: Logger | undefined;
  private recorded = false;
  /** An answer is queued (ended at the end of this turn, turn-end-writer.ts). */
  private answered = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly requestId: string,
    readonly path: string,
    readonly queryString: string,
    private readonly baseLogger: Logger,
    private readonly metrics: HttpMetrics,
  ) {}

  get method(): string {
    return this.req.method ?? 'GET';
  }

  get ip(): string {
    return this.req.socket.remoteAddress ?? 'unknown';
  }

  logger(): Logger {
    this.log ??= this.baseLogger.child({ requestId: this.requestId, app: this.app, wsid: this.wsid });
    return this.log;
  }

  sendJson(status: number, body: unknown): void {
    this.sendText(status, JSON_CONTENT_TYPE, JSON.stringify(body));
  }

  sendText(status: number, contentType: string, text: string): void {
    const res = this.res;
    res.statusCode = status;
    res.setHeader('content-type', contentType);
    res.setHeader('content-length', Buffer.byteLength(text));
    this.answered = true;
    endAtTurnEnd(res, text);
    this.record(status);
  }

  sendEmpty(status: number): void {
    this.res.statusCode = status;
    this.answered = true;
    endAtTurnEnd(this.res);
    this.record(status);
  }

  /** Records the metrics for a response answered elsewhere (an SSE stream once it is open). */
  record(status: number): void {
    if (this.recorded) return;
    this.recorded = true;
    this.metrics.observe(this.route, this.method, status, (performance.now() - this.started) / 1000);
  }

  /**
   * Answers any failure: an AppError with its status and body (+ `Retry-After`); anything else as
   * 500 `internal error`, logged with the request id. Expected AppErrors are logged at debug only.
   */
  fail(error: unknown): void {
    const e = toAppError(error);
    if (!isAppError(error)) {
      this.logger().error({ err: error }, 'unexpected error');
    } else if (!e.expected) {
      this.logger().error({ err: error }, e.message);
    } else if (this.baseLogger.isLevelEnabled('debug')) {
      this.logger().debug({ status: e.httpStatus, code: e.code }, e.message);
    }
    const res = this.res;
    if (this.answered) {
      // Already answered (the answer goes out at the end of the turn): a failure after that is
      // our bug, not the client's, so it is logged as an error (unexpected ones were, above) and
      // the answer stands.
      if (e.expected) this.logger().error({ err: error }, 'failure after the response was queued');
      return;
    }
    if (res.headersSent) {
      // Mid-stream (SSE): the status is gone; cutting the connection is the only honest signal.
      res.destroy();
      this.record(e.httpStatus);
      return;
    }
    if (e.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(Math.ceil(e.retryAfterSeconds)));
    // The unread rest of an oversized body is not drained: the connection is closed instead.
    if (e.code === 'PAYLOAD_TOO_LARGE') res.setHeader('connection', 'close');
    this.sendJson(e.httpStatus, e.toBody());
  }
}
