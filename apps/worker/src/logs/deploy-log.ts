// The deploy log writer: progress and log lines of one deployment, published on its Redis pub/sub
// channel for the portal's live view and appended to a capped list with a TTL, so a subscriber
// that comes late (or reconnects with Last-Event-ID) still gets the backlog — the reader is
// `followDeployLog` of @stoa/jobs, the key layout is there too. Each event is numbered, stored and
// published in one Lua call: the list and the channel agree, and `seq` orders events across
// processes. Writes are queued in call order and never throw into the job: a Redis hiccup must not
// fail a deployment (it goes to `onError`). Optionally mirrored into the BullMQ job's own log.
import { MAX_DEPLOY_LOG_TEXT, deployLogKeys, type DeployLogEventInput, type DeployStage } from '@stoa/jobs';
import type { Redis } from 'ioredis';

export interface DeployLog {
  line(text: string, level?: 'info' | 'warn' | 'error'): void;
  progress(stage: DeployStage, pct?: number): void;
  /** The final event: followers stop after it. */
  end(status: 'live' | 'failed', text?: string): void;
  /** Resolves when every event so far is stored and published. */
  flush(): Promise<void>;
  /** Flushes; later calls are ignored. */
  close(): Promise<void>;
}

/** The part of a BullMQ Job the log mirrors into (`job.log`, `job.updateProgress`). */
export interface JobLogSink {
  log(row: string): Promise<unknown>;
  updateProgress(progress: object): Promise<unknown>;
}

export interface DeployLogOptions {
  /** Events kept in the backlog list (oldest dropped first). Default 5000. */
  readonly maxEvents?: number;
  /** The backlog's TTL, renewed on every event. Default 7 days. */
  readonly ttlSeconds?: number;
  readonly now?: () => number;
  readonly job?: JobLogSink;
  /** Called when Redis (or the job log) refused a write; the default ignores it. */
  readonly onError?: (error: unknown) => void;
}

// KEYS: list, seq. ARGV: event JSON without seq (an object), maxEvents, ttlSeconds, channel.
const APPEND_SCRIPT = `
local seq = redis.call('INCR', KEYS[2])
local event = '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2)
redis.call('RPUSH', KEYS[1], event)
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], event)
return seq
`;

export function createDeployLog(redis: Redis, deploymentId: string, options: DeployLogOptions = {}): DeployLog {
  const keys = deployLogKeys(deploymentId);
  const maxEvents = options.maxEvents ?? 5000;
  const ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3600;
  const now = options.now ?? Date.now;
  const onError = options.onError ?? (() => undefined);
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const append = (event: DeployLogEventInput): void => {
    if (closed) return;
    const json = JSON.stringify(event);
    chain = chain.then(async () => {
      try {
        await redis.eval(APPEND_SCRIPT, 2, keys.list, keys.seq, json, maxEvents, ttlSeconds, keys.channel);
      } catch (error) {
        onError(error);
      }
      try {
        if (options.job !== undefined) {
          if (event.type === 'progress')
            await options.job.updateProgress({ stage: event.stage, pct: event.pct ?? null });
          else
            await options.job.log(event.type === 'end' ? `[${event.status}] ${event.text ?? ''}`.trim() : event.text);
        }
      } catch (error) {
        onError(error);
      }
    });
  };
  const cut = (text: string): string =>
    text.length <= MAX_DEPLOY_LOG_TEXT
      ? text
      : `${text.slice(0, MAX_DEPLOY_LOG_TEXT)}… (${text.length - MAX_DEPLOY_LOG_TEXT} more characters)`;

  return {
    line(text, level = 'info') {
      append({ at: now(), type: 'line', level, text: cut(text) });
    },
    progress(stage, pct) {
      const clamped = pct === undefined ? undefined : Math.min(100, Math.max(0, Math.round(pct)));
      append(
        clamped === undefined
          ? { at: now(), type: 'progress', stage }
          : { at: now(), type: 'progress', stage, pct: clamped },
      );
    },
    end(status, text) {
      append(
        text === undefined ? { at: now(), type: 'end', status } : { at: now(), type: 'end', status, text: cut(text) },
      );
    },
    flush: () => chain,
    async close() {
      closed = true;
      await chain;
    },
  };
}
