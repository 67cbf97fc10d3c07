import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateAdminKeyPair, type AdminPrivateJwk } from '@stoa/client/admin';
import { AppError } from '@stoa/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from './build/git-repo.test-util.js';
import { parseEnv, resolveAdminKey, type WorkerEnv } from './env.js';

const REQUIRED = {
  DATABASE_URL: 'postgres://stoa@127.0.0.1:5432/stoa',
  STOA_ADMIN_PRIVATE_KEY: '@/etc/stoa/admin.jwk',
};
const temp = makeTempDir('env');
let key: AdminPrivateJwk;
beforeAll(async () => {
  key = (await generateAdminKeyPair()).privateJwk;
});
afterAll(() => temp.cleanup());

function env(source: Record<string, string | undefined>): WorkerEnv {
  const result = parseEnv(source);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.env;
}

describe('parseEnv', () => {
  it('applies the defaults', () => {
    expect(env(REQUIRED)).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      databaseUrl: REQUIRED.DATABASE_URL,
      adminPrivateKey: '@/etc/stoa/admin.jwk',
      engineUrls: [],
      logLevel: 'info',
      build: { timeoutMs: 300_000, cpuSeconds: 120, memoryMb: 2048, cacheDir: undefined, prlimit: '/usr/bin/prlimit' },
      git: {
        timeoutMs: 120_000,
        maxBytes: 256 * 1024 * 1024,
        maxFiles: 20_000,
        allow: { schemes: ['https'], allowLoopback: false, allowPrivate: false },
      },
      upload: { maxBytes: 64 * 1024 * 1024, maxEntries: 10_000 },
      rollout: { timeoutMs: 60_000 },
      jobs: {
        prefix: 'stoa-jobs',
        buildConcurrency: 1,
        rolloutConcurrency: 4,
        lockMs: 60_000,
        stalledIntervalMs: 30_000,
      },
      reconcile: { intervalMs: 30_000, missingAfterMs: 15_000, staleAfterMs: 600_000 },
      shutdownTimeoutMs: 60_000,
    });
  });

  it('reads every setting, empty strings meaning "default"', () => {
    const parsed = env({
      ...REQUIRED,
      REDIS_URL: 'rediss://cache:6380/2',
      STOA_ENGINE_URLS: 'http://10.0.0.5:8080, https://engine-2.example.com ,',
      STOA_LOG_LEVEL: 'debug',
      STOA_BUILD_TIMEOUT_MS: '60000',
      STOA_BUILD_CPU_SECONDS: '30',
      STOA_BUILD_MEMORY_MB: '1024',
      STOA_BUILD_CACHE_DIR: '/var/cache/stoa-asc',
      STOA_GIT_TIMEOUT_MS: '',
      STOA_GIT_MAX_MB: '16',
      STOA_GIT_ALLOWED_SCHEMES: 'https, file',
      STOA_GIT_ALLOW_LOOPBACK: 'yes',
      STOA_GIT_ALLOW_PRIVATE: 'off',
      STOA_UPLOAD_MAX_MB: '8',
      STOA_ROLLOUT_TIMEOUT_MS: '5000',
      STOA_QUEUE_PREFIX: 'stoa-test_1',
      STOA_BUILD_CONCURRENCY: '2',
      STOA_ROLLOUT_CONCURRENCY: '8',
      STOA_JOB_LOCK_MS: '2000',
      STOA_JOB_STALLED_INTERVAL_MS: '1000',
      STOA_RECONCILE_INTERVAL_MS: '500',
      STOA_RECONCILE_MISSING_MS: '0',
      STOA_RECONCILE_STALE_MS: '5000',
      STOA_SHUTDOWN_TIMEOUT_MS: '0',
    });
    expect(parsed.redisUrl).toBe('rediss://cache:6380/2');
    expect(parsed.engineUrls).toEqual(['http://10.0.0.5:8080', 'https://engine-2.example.com']);
    expect(parsed.build).toEqual({
      timeoutMs: 60_000,
      cpuSeconds: 30,
      memoryMb: 1024,
      cacheDir: '/var/cache/stoa-asc',
      prlimit: '/usr/bin/prlimit',
    });
    expect(parsed.git).toEqual({
      timeoutMs: 120_000,
      maxBytes: 16 * 1024 * 1024,
      maxFiles: 20_000,
      allow: { schemes: ['https', 'file'], allowLoopback: true, allowPrivate: false },
    });
    expect(parsed.upload.maxBytes).toBe(8 * 1024 * 1024);
    expect(parsed.rollout.timeoutMs).toBe(5000);
    expect(parsed.jobs).toEqual({
      prefix: 'stoa-test_1',
      buildConcurrency: 2,
      rolloutConcurrency: 8,
      lockMs: 2000,
      stalledIntervalMs: 1000,
    });
    expect(parsed.reconcile).toEqual({ intervalMs: 500, missingAfterMs: 0, staleAfterMs: 5000 });
    expect(parsed.shutdownTimeoutMs).toBe(0);
  });

  it('reports every bad or missing variable at once, without echoing secrets', () => {
    const result = parseEnv({
      DATABASE_URL: 'mysql://root:hunter2@db/stoa',
      REDIS_URL: 'http://127.0.0.1:6379',
      STOA_ENGINE_URLS: 'http://ok:8080,ftp://nope',
      STOA_BUILD_CPU_SECONDS: 'lots',
      STOA_BUILD_MEMORY_MB: '64',
      STOA_GIT_ALLOWED_SCHEMES: 'https,gopher',
      STOA_GIT_ALLOW_LOOPBACK: 'maybe',
      STOA_QUEUE_PREFIX: 'stoa:jobs',
      STOA_BUILD_CONCURRENCY: '0',
    });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toEqual([
      'REDIS_URL: expected a redis: or rediss: URL, e.g. redis://127.0.0.1:6379',
      'DATABASE_URL: expected a postgres: or postgresql: URL, e.g. postgres://stoa@127.0.0.1:5432/stoa',
      'STOA_ADMIN_PRIVATE_KEY: required: the private JWK the engine nodes trust (inline JSON, @/path or a path)',
      'STOA_ENGINE_URLS: expected a http: or https: URL, e.g. http://127.0.0.1:8080',
      'STOA_BUILD_CPU_SECONDS: expected CPU seconds (got "lots")',
      'STOA_BUILD_MEMORY_MB: expected 256..65536 (got "64")',
      'STOA_GIT_ALLOWED_SCHEMES: expected a comma-separated list of https, http, ssh, git, file (got "https,gopher")',
      'STOA_GIT_ALLOW_LOOPBACK: expected one of 1, true, yes, on, 0, false, no, off (got "maybe")',
      'STOA_QUEUE_PREFIX: expected 1-64 letters, digits, _ . or - (got "stoa:jobs")',
      'STOA_BUILD_CONCURRENCY: expected 1..64 (got "0")',
    ]);
    expect(errors.join('\n')).not.toContain('hunter2');
    const missing = parseEnv({});
    expect(missing.ok ? [] : missing.errors.map((e) => e.split(':')[0])).toEqual([
      'DATABASE_URL',
      'STOA_ADMIN_PRIVATE_KEY',
    ]);
  });
});

describe('resolveAdminKey', () => {
  it('takes the key inline, from @/path or from a plain path', () => {
    const file = join(temp.dir, 'admin.jwk');
    writeFileSync(file, JSON.stringify(key));
    expect(resolveAdminKey(JSON.stringify(key))).toEqual(key);
    expect(resolveAdminKey(`@${file}`)).toEqual(key);
    expect(resolveAdminKey(file)).toEqual(key);
  });

  it('says why a key is not usable', () => {
    const { d: _d, ...publicOnly } = key;
    expect(() => resolveAdminKey(JSON.stringify(publicOnly))).toThrow(AppError);
    expect(() => resolveAdminKey('{not json')).toThrow(/JSON/i);
    expect(() => resolveAdminKey(join(temp.dir, 'missing.jwk'))).toThrow(/ENOENT/);
  });
});
