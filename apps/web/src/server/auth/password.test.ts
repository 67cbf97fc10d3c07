import { describe, expect, it } from 'vitest';
import { hashPassword, MAX_PASSWORD_LENGTH, verifyAgainstDummy, verifyPassword } from './password';

describe('password hashing (scrypt)', () => {
  it('round-trips, and refuses a wrong password', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
  });

  it('stores its parameters and a fresh salt in the hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).toMatch(/^scrypt\$15\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('verifies hashes made with other parameters (they can be raised later)', async () => {
    const cheap = await hashPassword('old password', { log2N: 10, r: 8, p: 1 });
    expect(cheap.startsWith('scrypt$10$8$1$')).toBe(true);
    expect(await verifyPassword('old password', cheap)).toBe(true);
  });

  it('treats unicode passwords in one normal form', async () => {
    const hash = await hashPassword('caf\u00e9-password');
    expect(await verifyPassword('cafe\u0301-password', hash)).toBe(true);
  });

  it('refuses unreadable or tampered hashes without hashing', async () => {
    const hash = await hashPassword('tamper test');
    const parts = hash.split('$');
    const tampered = [
      'plain-text',
      hash.replace(/^scrypt/, 'bcrypt'),
      ['scrypt', '30', ...parts.slice(2)].join('$'), // 2^30: gigabytes, must not be attempted
      ['scrypt', '15', '8', '1', '', parts[5]].join('$'),
      hash.slice(0, -4),
    ];
    for (const stored of tampered) expect(await verifyPassword('tamper test', stored)).toBe(false);
  });

  it('bounds the input length', async () => {
    await expect(hashPassword('x'.repeat(MAX_PASSWORD_LENGTH + 1))).rejects.toThrow(RangeError);
    const hash = await hashPassword('bounded');
    expect(await verifyPassword('x'.repeat(MAX_PASSWORD_LENGTH + 1), hash)).toBe(false);
  });

  it('spends a verification on unknown users and always says no', async () => {
    expect(await verifyAgainstDummy('anything at all')).toBe(false);
  });
});
