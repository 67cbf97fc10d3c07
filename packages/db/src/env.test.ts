import { describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_URL, parseDbEnv, prismaChildEnv } from './env.js';

describe('parseDbEnv', () => {
  it('reads DATABASE_URL, treating empty as unset', () => {
    expect(parseDbEnv({ DATABASE_URL: 'postgresql://u@h/d' }).databaseUrl).toBe('postgresql://u@h/d');
    expect(parseDbEnv({ DATABASE_URL: '  ' }).databaseUrl).toBe(DEFAULT_DATABASE_URL);
    expect(parseDbEnv({}).databaseUrl).toBe('postgresql://postgres@127.0.0.1:5432/stoa');
  });
});

describe('prismaChildEnv', () => {
  it('turns off Prisma update checks and applies overrides last', () => {
    const env = prismaChildEnv({ DATABASE_URL: 'postgresql://u@h/d', CHECKPOINT_DISABLE: '1' });
    expect(env).toMatchObject({ DATABASE_URL: 'postgresql://u@h/d', CHECKPOINT_DISABLE: '1' });
    expect(env.PRISMA_HIDE_UPDATE_MESSAGE).toBe('1');
    // The parent's environment is passed on (PATH, HOME, proxies …).
    expect(env.PATH).toEqual(expect.any(String));
  });
});
