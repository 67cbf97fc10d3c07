import { describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_URL, DEFAULT_QUEUE_PREFIX, DEFAULT_REDIS_URL, parseEnv } from './env';

const SECRET = 's'.repeat(32);

describe('parseEnv', () => {
  it('has defaults for development', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      nodeEnv: 'development',
      databaseUrl: DEFAULT_DATABASE_URL,
      redisUrl: DEFAULT_REDIS_URL,
      webPort: 3000,
      engineUrls: [],
      queuePrefix: DEFAULT_QUEUE_PREFIX,
      nextAuthUrl: undefined,
      nextAuthSecretGenerated: true,
    });
    expect(env.nextAuthSecret.length).toBeGreaterThanOrEqual(32);
    // One generated secret per process, whichever copy of the module asks.
    expect(parseEnv({ DATABASE_URL: '' }).nextAuthSecret).toBe(env.nextAuthSecret);
  });

  it('reads every variable', () => {
    const env = parseEnv({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://u@db:5432/portal',
      REDIS_URL: 'redis://cache:6380',
      NEXTAUTH_SECRET: SECRET,
      NEXTAUTH_URL: 'https://portal.example.com',
      STOA_WEB_PORT: '8081',
      STOA_ENGINE_URLS: ' http://e1:8080 , ,https://e2.example.com ',
      STOA_QUEUE_PREFIX: 'stoa-prod',
    });
    expect(env).toEqual({
      nodeEnv: 'production',
      databaseUrl: 'postgresql://u@db:5432/portal',
      redisUrl: 'redis://cache:6380',
      nextAuthSecret: SECRET,
      nextAuthSecretGenerated: false,
      nextAuthUrl: 'https://portal.example.com',
      webPort: 8081,
      engineUrls: ['http://e1:8080', 'https://e2.example.com'],
      queuePrefix: 'stoa-prod',
    });
  });

  it('requires NEXTAUTH_SECRET and NEXTAUTH_URL in production', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(
      /NEXTAUTH_SECRET: required when NODE_ENV=production[\s\S]*NEXTAUTH_URL: required/,
    );
    expect(() => parseEnv({ NODE_ENV: 'production', NEXTAUTH_SECRET: 'short', NEXTAUTH_URL: 'http://x' })).toThrow(
      /NEXTAUTH_SECRET: expected at least 32 characters/,
    );
  });

  it('names every bad variable', () => {
    expect(() =>
      parseEnv({
        DATABASE_URL: 'mysql://x',
        STOA_WEB_PORT: '70000',
        STOA_ENGINE_URLS: 'ftp://x',
        NEXTAUTH_URL: 'nope',
        STOA_QUEUE_PREFIX: 'a:b',
      }),
    ).toThrow(
      /DATABASE_URL[\s\S]*NEXTAUTH_URL[\s\S]*STOA_WEB_PORT[\s\S]*STOA_ENGINE_URLS: not an http\(s\) URL: ftp:\/\/x[\s\S]*STOA_QUEUE_PREFIX/,
    );
  });
});
