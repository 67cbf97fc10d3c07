import { describe, expect, it } from 'vitest';
import {
  appNameSchema,
  emailSchema,
  gitBranchSchema,
  newOrgSlugSchema,
  nodeUrlSchema,
  orgSlugSchema,
  repoUrlSchema,
} from './validation';

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

describe('deploy-side input rules', () => {
  it('repository URLs: the schemes git fetches, a host and a path, no credentials, query or fragment', () => {
    for (const ok of [
      'https://github.com/acme/todo.git',
      'https://git.example.com:8443/acme/todo',
      'http://gitea.local/acme/todo.git',
      'ssh://git@github.com/acme/todo.git',
      'git://git.example.com/todo.git',
    ]) {
      expect(repoUrlSchema.safeParse(ok).success).toBe(true);
    }
    for (const bad of [
      'github.com/acme/todo',
      'git@github.com:acme/todo.git',
      'file:///srv/todo.git',
      'ftp://x.test/a.git',
      'https://user:pw@github.com/a/b.git',
      'https://token@github.com/a/b.git',
      'ssh://git:pw@github.com/a/b.git',
      'https://github.com',
      'https://github.com/a/b.git?ref=x',
      'https://github.com/a/b.git#x',
      `https://x.test/${'a'.repeat(2048)}`,
    ]) {
      expect(repoUrlSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('branches follow git ref rules (the common part)', () => {
    for (const ok of ['main', 'release/v1.2', 'feature_x-1']) expect(gitBranchSchema.parse(ok)).toBe(ok);
    for (const bad of ['', '-x', '/x', 'x/', 'a..b', 'a//b', 'x.lock', 'a/.b', 'a b', 'a~1', 'a^', 'x.']) {
      expect(gitBranchSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('engine node URLs are http(s) origins with an optional path, stored without a trailing slash', () => {
    expect(nodeUrlSchema.parse('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(nodeUrlSchema.parse(' https://e1.example.com/stoa/ ')).toBe('https://e1.example.com/stoa');
    for (const bad of ['ftp://x', 'http://u:p@x', 'http://x/?a=1', 'http://x/#y', 'x']) {
      expect(nodeUrlSchema.safeParse(bad).success, bad).toBe(false);
    }
  });
});
