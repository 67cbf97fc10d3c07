import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT, PasswordHasher, parsePasswordHash } from './passwords.js';

// Low cost keeps the unit tests fast; the default parameters are exercised over HTTP.
const fast = new PasswordHasher({ params: { N: 2 ** 10, r: 8, p: 1 } });

describe('PasswordHasher', () => {
  it('stores scrypt$N$r$p$salt$hash and verifies only the right password', async () => {
    const stored = await fast.hash('correct horse');
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await fast.verify('correct horse', stored)).toBe(true);
    expect(await fast.verify('correct horsE', stored)).toBe(false);
    expect(await fast.verify('', stored)).toBe(false);
    // Salted: the same password hashes differently.
    expect(await fast.hash('correct horse')).not.toBe(stored);
  });

  it('verifies with the parameters stored in the hash, not the current ones', async () => {
    const old = await new PasswordHasher({ params: { N: 2 ** 11, r: 4, p: 1 } }).hash('pw 12345');
    expect(await fast.verify('pw 12345', old)).toBe(true);
  });

  it('is false for an unknown login (dummy hash) and for a malformed stored hash', async () => {
    expect(await fast.verify('anything', undefined)).toBe(false);
    for (const bad of [
      '',
      'bcrypt$x',
      'scrypt$1000$8$1$c2FsdHNhbHQ$aGFzaA',
      'scrypt$1024$8$1$$',
      'scrypt$2097152$8$1$a$b',
    ]) {
      expect(parsePasswordHash(bad), bad).toBeUndefined();
      expect(await fast.verify('anything', bad)).toBe(false);
    }
  });

  it('normalizes Unicode (NFC) so composed and decomposed input match', async () => {
    const stored = await fast.hash('caf\u00e9 password');
    expect(await fast.verify('cafe\u0301 password', stored)).toBe(true);
  });

  it('bounds the queue of waiting hashes (503 beyond)', async () => {
    const tight = new PasswordHasher({ params: { N: 2 ** 10, r: 8, p: 1 }, maxConcurrent: 1, maxQueued: 2 });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => tight.hash(`pw ${i}`)));
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected.length).toBe(2);
    expect(String((rejected[0] as PromiseRejectedResult).reason)).toContain('too many password checks');
  });

  it('defaults to N=2^15, r=8, p=1 and refuses unsafe parameters', () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 32768, r: 8, p: 1 });
    expect(() => new PasswordHasher({ params: { N: 1000, r: 8, p: 1 } })).toThrow(/power of two/);
    expect(() => new PasswordHasher({ params: { N: 1024, r: 0, p: 1 } })).toThrow(/r must/);
  });
});
