import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { AppError } from '@stoa/errors';
import type { QName } from '@stoa/vsql';
import type { NotificationBroker } from '../core/service.js';
import { MAX_SUBSCRIPTIONS } from './validation.js';

/**
 * SSE notification channels (`POST /notifications`). Wire format, one frame per blank-line-ended
 * block (https://html.spec.whatwg.org/multipage/server-sent-events.html):
 *
 *   event: channelId            first frame: the channel's id, for PUT/DELETE of subscriptions
 *   data: 6f1c…-uuid
 *
 *   event: update               one per view change the channel subscribed to
 *   data: {"view":"todo.TaskStats","wsid":140737488355328,"offset":42}
 *
 *   : heartbeat                 a comment every ~25 s so proxies keep the stream open
 *
 * `offset` is the PLog offset of the event that changed the view (the broker's value); a channel
 * never repeats or goes back for one (view, wsid). A client that falls too far behind (more than
 * MAX_BUFFERED_BYTES unsent) is disconnected rather than buffered without bound; it reconnects and
 * re-reads. The stream ends when the channel expires (`expiresIn`, default and max one day).
 */

export const MAX_BUFFERED_BYTES = 256 * 1024;
export const DEFAULT_HEARTBEAT_MS = 25_000;

export interface SubscriptionKey {
  readonly view: QName;
  readonly wsid: number;
}

export interface ChannelOwner {
  /** `owner/app` */
  readonly app: string;
  /** Token subject; undefined for an anonymous channel. */
  readonly subject: string | undefined;
}

export interface NotificationChannelsOptions {
  readonly heartbeatMs?: number;
  readonly maxChannels?: number;
}

export class NotificationChannel {
  readonly id = randomUUID();
  private readonly subs = new Map<string, { unwatch: () => void; last: number }>();
  private closed = false;
  private expiry: NodeJS.Timeout | undefined;

  constructor(
    readonly owner: ChannelOwner,
    private readonly res: ServerResponse,
    private readonly broker: NotificationBroker,
    private readonly onClose: (channel: NotificationChannel) => void,
  ) {}

  /** Sends the SSE headers and the channelId frame; the stream ends after `expiresInSeconds`. */
  start(expiresInSeconds: number): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.write(`event: channelId\ndata: ${this.id}\n\n`);
    this.res.on('close', () => this.close());
    this.expiry = setTimeout(() => this.close(), expiresInSeconds * 1000);
    this.expiry.unref();
  }

  get subscriptionCount(): number {
    return this.subs.size;
  }

  add(key: SubscriptionKey): void {
    if (this.closed) return;
    const k = `${key.view} ${key.wsid}`;
    if (this.subs.has(k)) return;
    if (this.subs.size >= MAX_SUBSCRIPTIONS) {
      throw new AppError('BAD_REQUEST', `at most ${MAX_SUBSCRIPTIONS} subscriptions per channel`);
    }
    const sub = { unwatch: () => undefined as void, last: -1 };
    this.subs.set(k, sub);
    // watch() may call back synchronously with the latest offset, so the entry exists first.
    sub.unwatch = this.broker.watch({ app: this.owner.app, view: key.view, wsid: key.wsid }, (offset) => {
      if (offset <= sub.last || this.closed) return;
      sub.last = offset;
      this.write(`event: update\ndata: ${JSON.stringify({ view: key.view, wsid: key.wsid, offset })}\n\n`);
    });
    if (this.closed) sub.unwatch();
  }

  /** True when the subscription existed. */
  remove(key: SubscriptionKey): boolean {
    const k = `${key.view} ${key.wsid}`;
    const sub = this.subs.get(k);
    if (sub === undefined) return false;
    this.subs.delete(k);
    sub.unwatch();
    return true;
  }

  heartbeat(): void {
    this.write(': heartbeat\n\n');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.expiry !== undefined) clearTimeout(this.expiry);
    for (const sub of this.subs.values()) sub.unwatch();
    this.subs.clear();
    if (!this.res.writableEnded) this.res.end();
    this.onClose(this);
  }

  private write(frame: string): void {
    if (this.closed || this.res.writableEnded) return;
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.res.destroy();
      this.close();
      return;
    }
    this.res.write(frame);
  }
}

/** Every open channel of one handler, with one shared heartbeat timer. */
export class NotificationChannels {
  private readonly channels = new Map<string, NotificationChannel>();
  private readonly heartbeatMs: number;
  private readonly maxChannels: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly broker: NotificationBroker,
    options: NotificationChannelsOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.maxChannels = options.maxChannels ?? 10_000;
  }

  get size(): number {
    return this.channels.size;
  }

  /** Opens the stream on `res` and subscribes; subscriptions must be authorised already. */
  open(
    res: ServerResponse,
    owner: ChannelOwner,
    subscriptions: readonly SubscriptionKey[],
    expiresInSeconds: number,
  ): NotificationChannel {
    if (this.channels.size >= this.maxChannels) {
      throw new AppError('UNAVAILABLE', 'too many notification channels', { retryAfterSeconds: 5 });
    }
    const channel = new NotificationChannel(owner, res, this.broker, (c) => this.forget(c));
    this.channels.set(channel.id, channel);
    channel.start(expiresInSeconds);
    for (const s of subscriptions) channel.add(s);
    if (this.timer === undefined) {
      this.timer = setInterval(() => {
        for (const c of this.channels.values()) c.heartbeat();
      }, this.heartbeatMs);
      this.timer.unref();
    }
    return channel;
  }

  /** The channel if it exists and belongs to this caller (others are indistinguishable from none). */
  find(id: string, owner: ChannelOwner): NotificationChannel | undefined {
    const c = this.channels.get(id);
    if (c === undefined || c.owner.app !== owner.app || c.owner.subject !== owner.subject) return undefined;
    return c;
  }

  closeAll(): void {
    for (const c of [...this.channels.values()]) c.close();
  }

  private forget(channel: NotificationChannel): void {
    this.channels.delete(channel.id);
    if (this.channels.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
