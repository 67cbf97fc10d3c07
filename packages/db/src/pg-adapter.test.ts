import { describe, expect, it } from 'vitest';
import { parseDatabaseUrl, toDatabaseUrl, toPoolConfig, withDatabase } from './pg-adapter.js';

describe('parseDatabaseUrl', () => {
  it('splits a URL into discrete fields with Postgres defaults', () => {
    expect(parseDatabaseUrl('postgresql://postgres@127.0.0.1:5432/stoa')).toEqual({
      host: '127.0.0.1',
      port: 5432,
      user: 'postgres',
      password: undefined,
      database: 'stoa',
      ssl: false,
    });
    expect(parseDatabaseUrl('postgres://a%40b:p%2Fw%3Ad@db.internal/control?sslmode=require')).toEqual({
      host: 'db.internal',
      port: 5432,
      user: 'a@b',
      password: 'p/w:d',
      database: 'control',
      ssl: true,
    });
    expect(parseDatabaseUrl('postgresql://u@[::1]:6543/x').host).toBe('::1');
  });

  it('refuses what is not one Postgres database', () => {
    for (const bad of ['not a url', 'mysql://u@h/db', 'postgresql://u@h', 'postgresql://u@h/a/b']) {
      expect(() => parseDatabaseUrl(bad), bad).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    }
  });

  it('round-trips through toDatabaseUrl, also with another database', () => {
    const target = parseDatabaseUrl('postgresql://a%40b:p%2Fw@[::1]:6543/one?sslmode=require');
    expect(parseDatabaseUrl(toDatabaseUrl(target))).toEqual(target);
    expect(parseDatabaseUrl(toDatabaseUrl(withDatabase(target, 'two')))).toEqual({ ...target, database: 'two' });
  });
});

describe('toPoolConfig', () => {
  it('uses discrete fields (a connection string would override the shadow database) and exits on idle', () => {
    const config = toPoolConfig(parseDatabaseUrl('postgresql://u:pw@h:1/d'), { max: 3 });
    expect(config).toMatchObject({ host: 'h', port: 1, user: 'u', password: 'pw', database: 'd', max: 3 });
    expect(config.connectionString).toBeUndefined();
    expect(config.allowExitOnIdle).toBe(true);
    expect(config.Client?.name).toBe('CatalogTypesClient');
    expect('max' in toPoolConfig(parseDatabaseUrl('postgresql://u@h/d'))).toBe(false);
  });
});
