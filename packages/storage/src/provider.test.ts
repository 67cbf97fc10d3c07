import { describe, expect, it } from 'vitest';
import { utf8 } from './bytes.js';
import { StorageArgumentError } from './errors.js';
import { createMemDriver } from './mem/index.js';
import { META_SAFE_NAME, createStorageProvider, deriveSafeName, parseAppName } from './provider.js';
import { SAFE_NAME_PATTERN } from './validate.js';
import type { StorageDriver } from './contract.js';

describe('parseAppName', () => {
  it('accepts owner/app names', () => {
    for (const ok of ['local/todo', 'acme-corp/crm_2', '1x/y', `${'a'.repeat(49)}/${'b'.repeat(50)}`])
      expect(parseAppName(ok)).toBe(ok);
  });

  it('refuses other names with a message naming the problem', () => {
    for (const bad of [
      'todo',
      'a/b/c',
      'Local/todo',
      'a /b',
      '/todo',
      'local/',
      'a.b/c',
      `${'a'.repeat(50)}/${'b'.repeat(50)}`,
      42,
    ]) {
      expect(() => parseAppName(bad)).toThrow(StorageArgumentError);
    }
    expect(() => parseAppName('todo')).toThrow(/app name "todo" is invalid: must look like owner\/app/);
    expect(() => parseAppName(`${'a'.repeat(60)}/${'b'.repeat(60)}`)).toThrow(/at most 100 characters/);
  });
});

describe('deriveSafeName', () => {
  it('is deterministic, valid on every backend and distinct for similar names', () => {
    const names = [
      'local/todo',
      'local-todo/x',
      'local_todo/x',
      'local/todo-x',
      '1abc/def',
      '_/_',
      'a/b',
      `${'x'.repeat(49)}/${'y'.repeat(50)}`,
    ];
    const safe = names.map((n) => deriveSafeName(n));
    for (const s of safe) expect(s).toMatch(SAFE_NAME_PATTERN);
    expect(new Set(safe).size).toBe(names.length);
    expect(deriveSafeName('local/todo')).toBe(safe[0]);
    expect(deriveSafeName('local/todo')).toMatch(/^local_todo_[0-9a-f]{8}$/);
    expect(deriveSafeName('1abc/def')).toMatch(/^a1abc_def_/);
    expect(deriveSafeName('local/todo', 1)).not.toBe(safe[0]);
    expect(safe).not.toContain(META_SAFE_NAME);
  });
});

function countingDriver(): StorageDriver & { created: string[]; failNext?: boolean } {
  const inner = createMemDriver();
  const driver = {
    name: 'mem',
    limits: inner.limits,
    created: [] as string[],
    failNext: false,
    async createApp(safeName: string) {
      if (driver.failNext) {
        driver.failNext = false;
        throw new Error('crash during provisioning');
      }
      driver.created.push(safeName);
      await inner.createApp(safeName);
    },
    openApp: (safeName: string) => inner.openApp(safeName),
    close: () => inner.close(),
  };
  return driver;
}

describe('createStorageProvider', () => {
  it('provisions once, caches, isolates apps and lists them', async () => {
    const driver = countingDriver();
    const provider = createStorageProvider(driver);
    const [a1, a2] = await Promise.all([provider.openApp('local/todo'), provider.openApp('local/todo')]);
    expect(a1).toBe(a2);
    const other = await provider.openApp('acme/crm');
    await a1.put(utf8('p'), utf8('k'), utf8('todo'));
    expect(await other.get(utf8('p'), utf8('k'))).toBeUndefined();
    expect(driver.created.filter((n) => n !== META_SAFE_NAME)).toEqual([
      deriveSafeName('local/todo'),
      deriveSafeName('acme/crm'),
    ]);
    const apps = await provider.listApps();
    expect(apps.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { name: 'acme/crm', safeName: deriveSafeName('acme/crm') },
      { name: 'local/todo', safeName: deriveSafeName('local/todo') },
    ]);
    await provider.close();
  });

  it('a second provider on the same driver finds the recorded app and its data', async () => {
    const driver = countingDriver();
    const first = createStorageProvider(driver);
    await (await first.openApp('local/todo')).put(utf8('p'), utf8('k'), utf8('v'));
    const second = createStorageProvider(driver);
    const again = await second.openApp('local/todo');
    expect(Array.from((await again.get(utf8('p'), utf8('k')))!)).toEqual(Array.from(utf8('v')));
    // Already done: not provisioned again.
    expect(driver.created.filter((n) => n === deriveSafeName('local/todo')).length).toBe(1);
  });

  it('retries provisioning left pending by a crash', async () => {
    const driver = countingDriver();
    const provider = createStorageProvider(driver);
    await provider.listApps(); // creates sys_meta first
    driver.failNext = true;
    await expect(provider.openApp('local/todo')).rejects.toThrow('crash during provisioning');
    expect(await provider.listApps()).toEqual([]);
    const storage = await provider.openApp('local/todo');
    await storage.put(utf8('p'), utf8('k'), utf8('v'));
    expect(await provider.listApps()).toEqual([{ name: 'local/todo', safeName: deriveSafeName('local/todo') }]);
  });

  it('moves to the next candidate when another name holds the safe name', async () => {
    const driver = createMemDriver();
    await driver.createApp(META_SAFE_NAME);
    const meta = await driver.openApp(META_SAFE_NAME);
    // Simulate a hash collision: some other app already reserved todo's first candidate.
    await meta.put(utf8('safe'), utf8(deriveSafeName('local/todo')), utf8('other/app'));
    const provider = createStorageProvider(driver, { metaStorage: meta });
    await provider.openApp('local/todo');
    expect(await provider.listApps()).toEqual([{ name: 'local/todo', safeName: deriveSafeName('local/todo', 1) }]);
  });

  it('refuses invalid app names before touching the driver', async () => {
    const driver = countingDriver();
    const provider = createStorageProvider(driver);
    await expect(provider.openApp('Bad Name')).rejects.toBeInstanceOf(StorageArgumentError);
    expect(driver.created).toEqual([]);
  });
});
