import { describe, expect, it } from 'vitest';
import { parseEnv } from './env.js';

describe('parseEnv', () => {
  it('applies the documented defaults', () => {
    expect(parseEnv({})).toEqual({
      ok: true,
      env: {
        port: 8080,
        host: '127.0.0.1',
        dataDir: '.stoa/data',
        storage: 'lmdb',
        cassandra: { contactPoints: [], localDataCenter: 'datacenter1' },
        dynamodb: { endpoint: undefined, region: undefined },
        apps: [],
        dev: true,
        logLevel: 'info',
        localDemo: false,
        wasm: { fuel: 50_000_000, maxMemoryBytes: 16 * 1024 * 1024 },
        watchdogMs: 30_000,
      },
    });
  });

  it('parses every variable; STOA_APPS turns the local demo on unless disabled', () => {
    const result = parseEnv({
      STOA_ENGINE_PORT: '9090',
      STOA_ENGINE_HOST: '0.0.0.0',
      STOA_DATA_DIR: '/var/lib/stoa',
      STOA_STORAGE: 'cassandra',
      STOA_CASSANDRA_CONTACT_POINTS: '10.0.0.1:9042, 10.0.0.2',
      STOA_CASSANDRA_LOCAL_DC: 'dc1',
      STOA_APPS: 'examples/todo,,examples/shop ',
      STOA_DEV: 'off',
      STOA_LOG_LEVEL: 'debug',
      STOA_WASM_FUEL: '1000000',
      STOA_WASM_MAX_MEMORY_MB: '64',
      UNRELATED: 'x',
    });
    expect(result.ok && result.env).toMatchObject({
      port: 9090,
      host: '0.0.0.0',
      dataDir: '/var/lib/stoa',
      storage: 'cassandra',
      cassandra: { contactPoints: ['10.0.0.1:9042', '10.0.0.2'], localDataCenter: 'dc1' },
      apps: ['examples/todo', 'examples/shop'],
      dev: false,
      logLevel: 'debug',
      localDemo: true,
      wasm: { fuel: 1_000_000, maxMemoryBytes: 64 * 1024 * 1024 },
    });
    const off = parseEnv({ STOA_APPS: 'examples/todo', STOA_LOCAL_DEMO: 'false' });
    expect(off.ok && off.env.localDemo).toBe(false);
    const dynamo = parseEnv({
      STOA_STORAGE: 'dynamodb',
      STOA_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      STOA_DYNAMODB_REGION: 'local',
      STOA_ENGINE_PORT: '',
    });
    expect(dynamo.ok && dynamo.env).toMatchObject({
      port: 8080,
      dynamodb: { endpoint: 'http://127.0.0.1:8000', region: 'local' },
    });
  });

  it('lists every bad variable with its value', () => {
    const result = parseEnv({
      STOA_ENGINE_PORT: '80a',
      STOA_STORAGE: 'postgres',
      STOA_DEV: 'maybe',
      STOA_LOG_LEVEL: 'loud',
      STOA_DYNAMODB_ENDPOINT: 'not a url',
    });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors.map((e) => e.split(':')[0])).toEqual([
      'STOA_ENGINE_PORT',
      'STOA_STORAGE',
      'STOA_DYNAMODB_ENDPOINT',
      'STOA_DEV',
      'STOA_LOG_LEVEL',
    ]);
    expect(errors[0]).toContain('(got "80a")');
    expect(errors[1]).toContain('expected one of lmdb, mem, cassandra, dynamodb');
  });

  it('requires the backend settings of the chosen storage', () => {
    const cassandra = parseEnv({ STOA_STORAGE: 'cassandra' });
    expect(cassandra.ok ? [] : cassandra.errors).toEqual([
      expect.stringMatching(/^STOA_CASSANDRA_CONTACT_POINTS: required/),
    ]);
    const dynamo = parseEnv({ STOA_STORAGE: 'dynamodb' });
    expect(dynamo.ok ? [] : dynamo.errors).toEqual([expect.stringMatching(/^STOA_DYNAMODB_REGION: required/)]);
    expect(parseEnv({ STOA_ENGINE_PORT: '70000' }).ok).toBe(false);
  });
});
