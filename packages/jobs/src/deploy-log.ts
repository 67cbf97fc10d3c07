// The deploy log contract between the worker (writer, apps/worker/src/logs/deploy-log.ts) and the
// portal (reader): event shapes, Redis key and channel names, and a follower that merges the
// stored backlog with live pub/sub messages so a late subscriber misses nothing.
//
// Layout per deployment: `stoa:deploy-log:<id>` is the pub/sub channel; `…:lines` a capped list of
// the same JSON events (the backlog, with a TTL); `…:seq` the counter that numbers them. The writer
// numbers, stores and publishes each event in one Lua call, so the list and the channel always agree
// and `seq` orders events across processes (the build and the rollout may run on different workers).
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const DEPLOY_STAGES = ['queued', 'fetch', 'unpack', 'build', 'upload', 'activate', 'done'] as const;
export type DeployStage = (typeof DEPLOY_STAGES)[number];

/** Longest text of one event; longer text is cut (a build error with many frames stays readable). */
export const MAX_DEPLOY_LOG_TEXT = 16 * 1024;

const base = { seq: z.number().int().positive(), at: z.number().int().nonnegative() };

export const deployLogEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('line'), level: z.enum(['info', 'warn', 'error']), text: z.string() }),
  z.object({
    ...base,
    type: z.literal('progress'),
    stage: z.enum(DEPLOY_STAGES),
    pct: z.number().min(0).max(100).optional(),
  }),
  /** The deployment reached a final state: followers stop here. */
  z.object({ ...base, type: z.literal('end'), status: z.enum(['live', 'failed']), text: z.string().optional() }),
]);

export type DeployLogEvent = z.infer<typeof deployLogEventSchema>;
/** An event before the writer numbers it. */
export type DeployLogEventInput = DistributiveOmit<DeployLogEvent, 'seq'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface DeployLogKeys {
  readonly channel: string;
  readonly list: string;
  readonly seq: string;
}

/** The pub/sub channel of a deployment's progress and log lines. */
export function deployLogChannel(deploymentId: string): string {
  return `stoa:deploy-log:${deploymentId}`;
}

export function deployLogKeys(deploymentId: string): DeployLogKeys {
  const channel = deployLogChannel(deploymentId);
  return { channel, list: `${channel}:lines`, seq: `${channel}:seq` };
}

/** Parses one stored or published event; undefined for anything that is not one (never trusted). */
export function parseDeployLogEvent(json: string): DeployLogEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const parsed = deployLogEventSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The stored backlog (oldest first), events after `afterSeq` only. */
export async function readDeployLog(redis: Redis, deploymentId: string, afterSeq = 0): Promise<DeployLogEvent[]> {
  const raw = await redis.lrange(deployLogKeys(deploymentId).list, 0, -1);
  const events: DeployLogEvent[] = [];
  for (const item of raw) {
    const event = parseDeployLogEvent(item);
    if (event !== undefined && event.seq > afterSeq) events.push(event);
  }
  return events;
}

export interface FollowDeployLogOptions {
  /** Resume after this sequence number (an SSE `Last-Event-ID`). */
  readonly afterSeq?: number;
  /** Ends the iteration (the subscriber connection is closed). */
  readonly signal?: AbortSignal;
}

/**
 * The backlog, then live events, in `seq` order without duplicates, until an `end` event or the
 * signal aborts. Subscribes (on a duplicate of `redis`: a subscribed connection can do nothing
 * else) before reading the backlog, so an event written in between arrives through one of the two
 * and is deduplicated by `seq`.
 */
export async function* followDeployLog(
  redis: Redis,
  deploymentId: string,
  options: FollowDeployLogOptions = {},
): AsyncGenerator<DeployLogEvent> {
  const { channel } = deployLogKeys(deploymentId);
  const subscriber = redis.duplicate();
  const pending: DeployLogEvent[] = [];
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const event = parseDeployLogEvent(message);
    if (event === undefined) return;
    pending.push(event);
    notify();
  });
  options.signal?.addEventListener('abort', notify, { once: true });
  try {
    await subscriber.subscribe(channel);
    let last = options.afterSeq ?? 0;
    for (const event of await readDeployLog(redis, deploymentId, last)) {
      last = event.seq;
      yield event;
      if (event.type === 'end') return;
    }
    while (options.signal?.aborted !== true) {
      const event = pending.shift();
      if (event === undefined) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (event.seq <= last) continue;
      last = event.seq;
      yield event;
      if (event.type === 'end') return;
    }
  } finally {
    options.signal?.removeEventListener('abort', notify);
    subscriber.disconnect();
  }
}
