/**
 * Failure throttling for credential checks: a sliding-window log per key (a login name or a client
 * IP). `check` refuses (429 + Retry-After) while `limit` failures lie within the last `windowMs`;
 * `fail` records one; `reset` forgets a key (a successful login resets its login counter, never
 * the IP's). Keys are counted whether or not a login exists, so a 429 reveals nothing about it.
 * Memory is bounded: at most `maxKeys` keys (oldest-touched dropped first), each holding at most
 * `limit` timestamps; empty windows are swept on access.
 */
import { AppError } from '@stoa/errors';

export interface ThrottleLimit {
  /** Failures allowed within the window. */
  readonly limit: number;
  readonly windowMs: number;
}

export class FailureThrottle {
  readonly #log = new Map<string, number[]>();
  readonly #limit: number;
  readonly #windowMs: number;

  constructor(
    limit: ThrottleLimit,
    private readonly now: () => number,
    private readonly maxKeys = 100_000,
  ) {
    if (!Number.isInteger(limit.limit) || limit.limit < 1) throw new Error('throttle: limit must be ≥ 1');
    if (!(limit.windowMs > 0)) throw new Error('throttle: windowMs must be > 0');
    this.#limit = limit.limit;
    this.#windowMs = limit.windowMs;
  }

  /** Seconds until the next attempt is allowed (0 = allowed now). */
  retryAfterSeconds(key: string): number {
    const entries = this.#live(key);
    if (entries === undefined || entries.length < this.#limit) return 0;
    const oldest = entries[entries.length - this.#limit]!;
    return Math.max(1, Math.ceil((oldest + this.#windowMs - this.now()) / 1000));
  }

  fail(key: string): void {
    const entries = this.#live(key) ?? [];
    entries.push(this.now());
    if (entries.length > this.#limit) entries.splice(0, entries.length - this.#limit);
    this.#log.delete(key);
    this.#log.set(key, entries);
    if (this.#log.size > this.maxKeys) this.#log.delete(this.#log.keys().next().value as string);
  }

  reset(key: string): void {
    this.#log.delete(key);
  }

  get size(): number {
    return this.#log.size;
  }

  #live(key: string): number[] | undefined {
    const entries = this.#log.get(key);
    if (entries === undefined) return undefined;
    const from = this.now() - this.#windowMs;
    let drop = 0;
    while (drop < entries.length && entries[drop]! <= from) drop++;
    if (drop > 0) entries.splice(0, drop);
    if (entries.length === 0) {
      this.#log.delete(key);
      return undefined;
    }
    return entries;
  }
}

/** Throws 429 with Retry-After when any of the throttles refuses its key. */
export function checkThrottles(message: string, checks: readonly (readonly [FailureThrottle, string])[]): void {
  let wait = 0;
  for (const [throttle, key] of checks) wait = Math.max(wait, throttle.retryAfterSeconds(key));
  if (wait > 0) throw new AppError('RATE_LIMITED', message, { retryAfterSeconds: wait });
}
