import { AppError } from '@stoa/errors';
import type { AppDef, RateScope } from '@stoa/vsql';
import { describe, expect, it } from 'vitest';
import { type RateOperation, RateLimiter } from './rate-limiter.js';
import { loadExampleAppDef } from './test-support.js';

/** An AppDef with one rate/limit pair (other maps empty: the limiter reads only these). */
function appdefWith(count: number, periodSeconds: number, scopes: RateScope[], mode: 'each' | 'all' = 'each'): AppDef {
  const base = loadExampleAppDef('shop');
  return {
    ...base,
    rates: { 't.R': { qname: 't.R', count, periodSeconds, scopes, workspace: null } },
    limits: {
      't.L': {
        qname: 't.L',
        ops: ['execute'],
        on: { kind: 'command', mode, qnames: ['t.A', 't.B'] },
        rate: 't.R',
        workspace: null,
      },
    },
  };
}

const op = (over: Partial<RateOperation> = {}): RateOperation => ({
  kind: 'command',
  qname: 't.A',
  op: 'execute',
  wsid: 10,
  ip: '10.0.0.1',
  subject: 'alice',
  ...over,
});

function retryAfter(fn: () => void): number | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (!(e instanceof AppError) || e.code !== 'RATE_LIMITED') throw e;
    return e.retryAfterSeconds;
  }
}

describe('RateLimiter (token buckets with an injected clock)', () => {
  it('allows `count` calls per period, then 429 with seconds until the next token', () => {
    let now = 0;
    const limiter = new RateLimiter(appdefWith(3, 60, ['workspace']), 4, { now: () => now });
    for (let i = 0; i < 3; i++) expect(retryAfter(() => limiter.check(op()))).toBeUndefined();
    expect(retryAfter(() => limiter.check(op()))).toBe(20); // one token per 20 s
    now += 19_000;
    expect(retryAfter(() => limiter.check(op()))).toBe(1);
    now += 1_000;
    expect(retryAfter(() => limiter.check(op()))).toBeUndefined();
    expect(retryAfter(() => limiter.check(op()))).toBe(20);
  });

  it('never refills above capacity', () => {
    let now = 0;
    const limiter = new RateLimiter(appdefWith(2, 10, ['workspace']), 4, { now: () => now });
    now += 1_000_000;
    for (let i = 0; i < 2; i++) limiter.check(op());
    expect(retryAfter(() => limiter.check(op()))).toBe(5);
  });

  it('keys buckets by scope values', () => {
    const now = 0;
    const perWs = new RateLimiter(appdefWith(1, 60, ['workspace']), 4, { now: () => now });
    perWs.check(op({ wsid: 1 }));
    expect(retryAfter(() => perWs.check(op({ wsid: 1 })))).toBe(60);
    expect(retryAfter(() => perWs.check(op({ wsid: 2 })))).toBeUndefined();

    const perPartition = new RateLimiter(appdefWith(1, 60, ['appPartition']), 4, { now: () => now });
    perPartition.check(op({ wsid: 1 }));
    expect(retryAfter(() => perPartition.check(op({ wsid: 5 })))).toBe(60); // 5 mod 4 = 1
    expect(retryAfter(() => perPartition.check(op({ wsid: 2 })))).toBeUndefined();

    const perIp = new RateLimiter(appdefWith(1, 60, ['appPartition', 'ip']), 4, { now: () => now });
    perIp.check(op({ ip: 'a' }));
    expect(retryAfter(() => perIp.check(op({ ip: 'a' })))).toBe(60);
    expect(retryAfter(() => perIp.check(op({ ip: 'b' })))).toBeUndefined();

    const perUser = new RateLimiter(appdefWith(1, 60, ['workspace', 'user']), 4, { now: () => now });
    perUser.check(op({ subject: 'alice' }));
    expect(retryAfter(() => perUser.check(op({ subject: 'alice', ip: 'other' })))).toBe(60);
    expect(retryAfter(() => perUser.check(op({ subject: 'bob' })))).toBeUndefined();
    perUser.check(op({ subject: undefined, ip: 'x' })); // anonymous: keyed by IP
    expect(retryAfter(() => perUser.check(op({ subject: undefined, ip: 'x' })))).toBe(60);
    expect(retryAfter(() => perUser.check(op({ subject: undefined, ip: 'y' })))).toBeUndefined();
  });

  it('`each` gives every resource its bucket; `all` shares one', () => {
    const each = new RateLimiter(appdefWith(1, 60, ['workspace'], 'each'), 4, { now: () => 0 });
    each.check(op({ qname: 't.A' }));
    expect(retryAfter(() => each.check(op({ qname: 't.B' })))).toBeUndefined();
    const all = new RateLimiter(appdefWith(1, 60, ['workspace'], 'all'), 4, { now: () => 0 });
    all.check(op({ qname: 't.A' }));
    expect(retryAfter(() => all.check(op({ qname: 't.B' })))).toBe(60);
  });

  it('ignores resources and operations no LIMIT names', () => {
    const limiter = new RateLimiter(appdefWith(1, 60, ['workspace']), 4, { now: () => 0 });
    expect(limiter.applies('command', 't.C', 'execute')).toBe(false);
    expect(limiter.applies('query', 't.A', 'execute')).toBe(false);
    for (let i = 0; i < 5; i++) limiter.check(op({ qname: 't.C' }));
    expect(limiter.bucketCount).toBe(0);
  });

  it('takes a token from every matching limit or from none (shop: two limits on SalesReport)', () => {
    let now = 0;
    const limiter = new RateLimiter(loadExampleAppDef('shop'), 4, { now: () => now });
    const report = op({ kind: 'query', qname: 'shop.SalesReport' });
    for (let i = 0; i < 10; i++) limiter.check(report);
    const err = (() => {
      try {
        limiter.check(report);
      } catch (e) {
        return e as AppError;
      }
      return undefined;
    })();
    expect(err?.httpStatus).toBe(429);
    expect(err?.data).toEqual({ limit: 'shop.ReportLimit' });
    now += 30_000;
    limiter.check(report);
    expect(retryAfter(() => limiter.check(report))).toBe(30);
  });

  it('keeps memory bounded: full buckets are swept, the oldest dropped above the cap', () => {
    let now = 0;
    const limiter = new RateLimiter(appdefWith(5, 1, ['workspace']), 4, {
      now: () => now,
      maxBuckets: 100,
      sweepIntervalMs: 1000,
    });
    for (let w = 1; w <= 1000; w++) limiter.check(op({ wsid: w }));
    expect(limiter.bucketCount).toBeLessThanOrEqual(100);
    now += 2_000; // every bucket refilled → dropped by the next sweep
    limiter.check(op({ wsid: 5000 }));
    expect(limiter.bucketCount).toBe(1);
  });
});
