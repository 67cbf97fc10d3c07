import { describe, expect, it } from 'vitest';
import { FailureThrottle, checkThrottles } from './throttle.js';

describe('FailureThrottle', () => {
  it('refuses after `limit` failures within the window and frees up as they age out', () => {
    let now = 1_000_000;
    const t = new FailureThrottle({ limit: 3, windowMs: 60_000 }, () => now);
    for (let i = 0; i < 3; i++) {
      expect(t.retryAfterSeconds('alice')).toBe(0);
      t.fail('alice');
      now += 10_000;
    }
    // Failures at 0 s, 10 s, 20 s; now 30 s: the oldest leaves the window at 60 s.
    expect(t.retryAfterSeconds('alice')).toBe(30);
    expect(t.retryAfterSeconds('bob')).toBe(0);
    now += 30_001;
    expect(t.retryAfterSeconds('alice')).toBe(0);
    t.fail('alice');
    // Counted now: 10 s, 20 s, 60 s → the one at 10 s leaves the window in just under 10 s.
    expect(t.retryAfterSeconds('alice')).toBe(10);
  });

  it('is a sliding window: the wait is set by the oldest failure still counted', () => {
    let now = 0;
    const t = new FailureThrottle({ limit: 2, windowMs: 10_000 }, () => now);
    t.fail('k');
    now = 9000;
    t.fail('k');
    expect(t.retryAfterSeconds('k')).toBe(1);
    now = 10_001;
    expect(t.retryAfterSeconds('k')).toBe(0);
    t.fail('k');
    expect(t.retryAfterSeconds('k')).toBe(9);
  });

  it('reset forgets a key; memory is bounded by maxKeys', () => {
    const t = new FailureThrottle({ limit: 1, windowMs: 60_000 }, () => 0, 100);
    t.fail('a');
    expect(t.retryAfterSeconds('a')).toBeGreaterThan(0);
    t.reset('a');
    expect(t.retryAfterSeconds('a')).toBe(0);
    for (let i = 0; i < 1000; i++) t.fail(`ip${i}`);
    expect(t.size).toBe(100);
  });

  it('checkThrottles throws 429 with the longest wait', () => {
    let now = 0;
    const a = new FailureThrottle({ limit: 1, windowMs: 5000 }, () => now);
    const b = new FailureThrottle({ limit: 1, windowMs: 20_000 }, () => now);
    a.fail('x');
    b.fail('y');
    now = 1000;
    expect(() => checkThrottles('slow down', [[a, 'other']])).not.toThrow();
    try {
      checkThrottles('slow down', [
        [a, 'x'],
        [b, 'y'],
      ]);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'RATE_LIMITED', httpStatus: 429, retryAfterSeconds: 19, message: 'slow down' });
    }
  });
});
