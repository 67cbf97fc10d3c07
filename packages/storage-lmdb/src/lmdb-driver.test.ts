import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageNotFoundError, StorageUnavailableError, utf8, type Item } from '@stoa/storage';
import { createLmdbDriver, type LmdbDriver } from './lmdb-driver.js';

const dirs: string[] = [];
const drivers: LmdbDriver[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-lmdb-'));
  dirs.push(dir);
  return dir;
}

function driverAt(path: string): LmdbDriver {
  const driver = createLmdbDriver({ path });
  drivers.push(driver);
  return driver;
}

afterEach(async () => {
  for (const d of drivers.splice(0)) await d.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};

describe('lmdb driver', () => {
  it('group-commits 100 concurrent puts into a few transactions', async () => {
    const driver = driverAt(tempDir());
    await driver.createApp('app_one');
    const app = await driver.openApp('app_one');
    const before = driver.lastTxnId();
    await Promise.all(Array.from({ length: 100 }, (_, i) => app.put(utf8('pk'), u32(i), u32(i))));
    const used = driver.lastTxnId() - before;
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThanOrEqual(3);
    expect(
      (await app.getBatch(Array.from({ length: 100 }, (_, i) => ({ pk: utf8('pk'), ck: u32(i) })))).every(Boolean),
    ).toBe(true);
  });

  it('commits a putBatch of 10 000 items as one transaction', async () => {
    const driver = driverAt(tempDir());
    await driver.createApp('app_one');
    const app = await driver.openApp('app_one');
    const items: Item[] = Array.from({ length: 10_000 }, (_, i) => ({
      pk: utf8(`p${i % 7}`),
      ck: u32(i),
      value: u32(i),
    }));
    const before = driver.lastTxnId();
    await app.putBatch(items);
    expect(driver.lastTxnId() - before).toBe(1);
  });

  it('commits insertIfNotExistsWithBatch (conditional row + batch) as one transaction', async () => {
    const driver = driverAt(tempDir());
    await driver.createApp('app_one');
    const app = await driver.openApp('app_one');
    const items: Item[] = Array.from({ length: 50 }, (_, i) => ({ pk: utf8(`p${i % 3}`), ck: u32(i), value: u32(i) }));
    const before = driver.lastTxnId();
    expect(await app.insertIfNotExistsWithBatch!(utf8('plog'), u32(1), utf8('row'), items)).toBe(true);
    expect(driver.lastTxnId() - before).toBe(1);
  });

  it('batches concurrent conditional ops too, and they stay atomic', async () => {
    const driver = driverAt(tempDir());
    await driver.createApp('app_one');
    const app = await driver.openApp('app_one');
    const before = driver.lastTxnId();
    const wins = await Promise.all(
      Array.from({ length: 50 }, (_, i) => app.insertIfNotExists(utf8('pk'), utf8('k'), u32(i))),
    );
    expect(wins.filter(Boolean).length).toBe(1);
    expect(driver.lastTxnId() - before).toBeLessThanOrEqual(3);
  });

  it('applies operations issued in one turn in the order issued', async () => {
    const driver = driverAt(tempDir());
    await driver.createApp('app_one');
    const app = await driver.openApp('app_one');
    const pk = utf8('pk');
    const [inserted, , deleted] = await Promise.all([
      app.insertIfNotExists(pk, utf8('a'), utf8('first')),
      app.put(pk, utf8('a'), utf8('second')),
      app.compareAndDelete(pk, utf8('a'), utf8('second')),
      app.put(pk, utf8('b'), utf8('x')),
      app.putBatch([{ pk, ck: utf8('b'), value: utf8('y') }]),
    ]);
    expect(inserted).toBe(true);
    expect(deleted).toBe(true);
    expect(await app.get(pk, utf8('a'))).toBeUndefined();
    expect(Array.from((await app.get(pk, utf8('b')))!)).toEqual(Array.from(utf8('y')));
  });

  it('keeps data and created apps across close and reopen', async () => {
    const dir = tempDir();
    const first = createLmdbDriver({ path: dir });
    await first.createApp('app_one');
    await (await first.openApp('app_one')).put(utf8('pk'), utf8('ck'), utf8('durable'));
    await first.close();
    const second = driverAt(dir);
    const app = await second.openApp('app_one');
    expect(Array.from((await app.get(utf8('pk'), utf8('ck')))!)).toEqual(Array.from(utf8('durable')));
    await expect(second.openApp('app_two')).rejects.toBeInstanceOf(StorageNotFoundError);
  });

  it('refuses a second driver on the same data dir while the first is open', async () => {
    const dir = tempDir();
    const first = createLmdbDriver({ path: dir });
    expect(() => createLmdbDriver({ path: dir })).toThrow(StorageUnavailableError);
    expect(() => createLmdbDriver({ path: dir })).toThrow(/in use by this process/);
    await first.close();
    driverAt(dir);
  });

  it('rejects operations after close', async () => {
    const driver = createLmdbDriver({ path: tempDir() });
    await driver.createApp('app_one');
    const app = await driver.openApp('app_one');
    await driver.close();
    await expect(app.get(utf8('pk'), utf8('ck'))).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(driver.openApp('app_one')).rejects.toBeInstanceOf(StorageUnavailableError);
  });
});
