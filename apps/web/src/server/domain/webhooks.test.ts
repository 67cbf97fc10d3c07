import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pushEventSchema, reasonToIgnorePush, signWebhookBody, verifyWebhookSignature } from './webhooks';

describe('webhook signatures', () => {
  it('are sha256=<hex HMAC-SHA256(secret, raw body)>, as GitHub computes them', () => {
    const body = new TextEncoder().encode('{"a":1}');
    const expected = createHmac('sha256', 's3cret').update(body).digest('hex');
    expect(signWebhookBody('s3cret', body)).toBe(`sha256=${expected}`);
    expect(verifyWebhookSignature('s3cret', body, `sha256=${expected}`)).toBe(true);
    expect(verifyWebhookSignature('s3cret', body, `sha256=${expected.toUpperCase()}`)).toBe(true);
  });

  it('refuse another secret, another body, and every malformed header', () => {
    const body = new TextEncoder().encode('{"a":1}');
    const good = signWebhookBody('s3cret', body);
    expect(verifyWebhookSignature('other', body, good)).toBe(false);
    expect(verifyWebhookSignature('s3cret', new TextEncoder().encode('{"a":2}'), good)).toBe(false);
    for (const bad of [null, '', 'sha256=', good.slice(0, -2), `sha1=${good.slice(7)}`, `${good}00`, `x${good}`]) {
      expect(verifyWebhookSignature('s3cret', body, bad)).toBe(false);
    }
  });
});

describe('push events', () => {
  const push = (ref: string, after = 'a'.repeat(40), deleted?: boolean) =>
    pushEventSchema.parse({ ref, after, ...(deleted === undefined ? {} : { deleted }) });

  it('deploy only a push of the configured branch', () => {
    expect(reasonToIgnorePush(push('refs/heads/main'), 'main')).toBeUndefined();
    expect(reasonToIgnorePush(push('refs/heads/release/v1'), 'release/v1')).toBeUndefined();
    expect(reasonToIgnorePush(push('refs/heads/main-2'), 'main')).toMatch(/is not refs\/heads\/main/);
    expect(reasonToIgnorePush(push('refs/tags/main'), 'main')).toMatch(/is not/);
    expect(reasonToIgnorePush(push('refs/heads/main', '0'.repeat(40)), 'main')).toBe('the branch was deleted');
    expect(reasonToIgnorePush(push('refs/heads/main', 'a'.repeat(40), true), 'main')).toBe('the branch was deleted');
  });

  it('need a commit id (SHA-1 or SHA-256)', () => {
    expect(pushEventSchema.safeParse({ ref: 'refs/heads/main', after: 'b'.repeat(64) }).success).toBe(true);
    for (const after of ['', 'xyz', 'A'.repeat(40), 'a'.repeat(39)]) {
      expect(pushEventSchema.safeParse({ ref: 'refs/heads/main', after }).success).toBe(false);
    }
  });
});
