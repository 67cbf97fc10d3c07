import { AppError } from '@stoa/errors';
import type { AppDef, LimitDef, LimitOp, QName, RateScope } from '@stoa/vsql';

/**
 * VSQL `RATE`/`LIMIT` as token buckets, applied at the edge before the core runs (a limited call
 * costs no partition time). A bucket holds `count` tokens and refills `count` per `periodSeconds`;
 * a call takes one token from every bucket of every matching limit, or none when any is empty
 * (429 with `Retry-After` = seconds until the emptiest bucket has a token).
 *
 * Buckets are keyed by (limit, resource for `each` limits, scope values): `appPartition` = WSID mod
 * partitions, `workspace` = WSID, `ip`, `user` = token subject (the IP for anonymous callers).
 * Memory is bounded: a bucket that has refilled completely carries no information and is dropped
 * by a periodic sweep; above `maxBuckets` the oldest buckets are dropped as well (which can only
 * forgive a caller, never block one).
 */

export type LimitedKind = 'command' | 'query' | 'table' | 'view';

export interface RateOperation {
  readonly kind: LimitedKind;
  readonly qname: QName;
  readonly op: LimitOp;
  readonly wsid: number;
  readonly ip: string;
  /** Token subject; undefined for anonymous callers. */
  readonly subject: string | undefined;
}

export interface RateLimiterOptions {
  readonly now: () => number;
  readonly maxBuckets?: number;
  readonly sweepIntervalMs?: number;
}

interface CompiledLimit {
  readonly qname: QName;
  readonly each: boolean;
  readonly capacity: number;
  /** Tokens per millisecond. */
  readonly perMs: number;
  readonly scopes: readonly RateScope[];
}

interface Bucket {
  tokens: number;
  at: number;
  readonly capacity: number;
  readonly perMs: number;
}

const NO_LIMITS: readonly CompiledLimit[] = [];

function compileLimits(appdef: AppDef): Map<string, CompiledLimit[]> {
  const byResource = new Map<string, CompiledLimit[]>();
  for (const limit of Object.values(appdef.limits)) {
    const rate = appdef.rates[limit.rate];
    if (rate === undefined || rate.count <= 0 || rate.periodSeconds <= 0) continue;
    const compiled: CompiledLimit = {
      qname: limit.qname,
      each: limit.on.mode === 'each',
      capacity: rate.count,
      perMs: rate.count / (rate.periodSeconds * 1000),
      scopes: rate.scopes.length > 0 ? rate.scopes : ['appPartition'],
    };
    for (const key of resourceKeys(limit)) {
      const list = byResource.get(key);
      if (list === undefined) byResource.set(key, [compiled]);
      else list.push(compiled);
    }
  }
  return byResource;
}

function resourceKey(kind: LimitedKind, qname: QName, op: LimitOp): string {
  return `${kind} ${op} ${qname}`;
}

function resourceKeys(limit: LimitDef): string[] {
  const keys: string[] = [];
  for (const op of limit.ops) for (const q of limit.on.qnames) keys.push(resourceKey(limit.on.kind, q, op));
  return keys;
}

export class RateLimiter {
  private readonly limits: Map<string, CompiledLimit[]>;
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxBuckets: number;
  private readonly sweepIntervalMs: number;
  private lastSweep: number;

  constructor(
    appdef: AppDef,
    private readonly partitions: number,
    options: RateLimiterOptions,
  ) {
    this.limits = compileLimits(appdef);
    this.now = options.now;
    this.maxBuckets = options.maxBuckets ?? 100_000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    this.lastSweep = this.now();
  }

  /** True when some LIMIT names this resource (lets callers skip building an operation). */
  applies(kind: LimitedKind, qname: QName, op: LimitOp): boolean {
    return this.limits.has(resourceKey(kind, qname, op));
  }

  get bucketCount(): number {
    return this.buckets.size;
  }

  /** Takes a token from every matching bucket, or throws RATE_LIMITED (429) taking none. */
  check(op: RateOperation): void {
    const limits = this.limits.get(resourceKey(op.kind, op.qname, op.op)) ?? NO_LIMITS;
    if (limits.length === 0) return;
    const now = this.now();
    this.maybeSweep(now);
    const taken: Bucket[] = [];
    let waitMs = 0;
    let blocking: CompiledLimit | undefined;
    for (const limit of limits) {
      const bucket = this.bucketFor(this.bucketKey(limit, op), limit, now);
      if (bucket.tokens >= 1) {
        taken.push(bucket);
      } else {
        const wait = (1 - bucket.tokens) / limit.perMs;
        if (wait > waitMs) {
          waitMs = wait;
          blocking = limit;
        }
      }
    }
    if (blocking !== undefined) {
      throw new AppError('RATE_LIMITED', `rate limit exceeded: ${blocking.qname}`, {
        qname: op.qname,
        data: { limit: blocking.qname },
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      });
    }
    for (const b of taken) b.tokens -= 1;
  }

  private bucketKey(limit: CompiledLimit, op: RateOperation): string {
    let key = limit.each ? `${limit.qname}|${op.qname}` : `${limit.qname}|*`;
    for (const scope of limit.scopes) {
      switch (scope) {
        case 'appPartition':
          key += `|p${op.wsid % this.partitions}`;
          break;
        case 'workspace':
          key += `|w${op.wsid}`;
          break;
        case 'ip':
          key += `|i${op.ip}`;
          break;
        case 'user':
          key += op.subject === undefined ? `|a${op.ip}` : `|u${op.subject}`;
          break;
      }
    }
    return key;
  }

  /** The bucket refilled up to `now` (created full). */
  private bucketFor(key: string, limit: CompiledLimit, now: number): Bucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      // Sweep before inserting: the new bucket is full and would be swept right away.
      if (this.buckets.size >= this.maxBuckets) this.sweep(now);
      bucket = { tokens: limit.capacity, at: now, capacity: limit.capacity, perMs: limit.perMs };
      this.buckets.set(key, bucket);
      return bucket;
    }
    if (now > bucket.at) {
      bucket.tokens = Math.min(bucket.capacity, bucket.tokens + (now - bucket.at) * bucket.perMs);
      bucket.at = now;
    }
    return bucket;
  }

  private maybeSweep(now: number): void {
    if (now - this.lastSweep >= this.sweepIntervalMs) this.sweep(now);
  }

  /** Drops full buckets; then, if still above the cap, the oldest ones. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, b] of this.buckets) {
      if (b.tokens + Math.max(0, now - b.at) * b.perMs >= b.capacity) this.buckets.delete(key);
    }
    if (this.buckets.size < this.maxBuckets) return;
    const target = Math.floor(this.maxBuckets * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}
