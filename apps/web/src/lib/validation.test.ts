import { describe, expect, it } from 'vitest';
import { appNameSchema, emailSchema, newOrgSlugSchema, orgSlugSchema } from './validation';

describe('input rules', () => {
  it('org slugs follow the engine owner rule and skip reserved names', () => {
    for (const ok of ['acme', '0rg', 'a_b-c', 'a'.repeat(63)]) expect(newOrgSlugSchema.parse(ok)).toBe(ok);
    for (const bad of ['', 'Acme', '-a', '_a', 'a.b', 'a'.repeat(64), 'local', 'sys', 'new']) {
      expect(newOrgSlugSchema.safeParse(bad).success).toBe(false);
    }
    // Existing orgs are looked up by the plain rule (a reserved word is simply not found).
    expect(orgSlugSchema.parse('local')).toBe('local');
  });

  it('app names follow stoa.json', () => {
    for (const ok of ['todo', 'my-app', 'a1', 'a'.repeat(63)]) expect(appNameSchema.parse(ok)).toBe(ok);
    for (const bad of ['', '1app', 'My-app', 'my_app', '-a', 'a'.repeat(64)]) {
      expect(appNameSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('emails are trimmed and lower-cased', () => {
    expect(emailSchema.parse('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(emailSchema.safeParse('ada@').success).toBe(false);
  });
});
