import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@stoa/errors';
import type { AppStorage, Entry } from '@stoa/storage';
import { createMemDriver, createStorageProvider, utf8 } from '@stoa/storage';
import { beforeEach, describe, expect, it } from 'vitest';
import { type AppRecord, BUNDLE_CHUNK_BYTES, createDeployStore } from './deploy-store.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function openSysEngine(maxValueBytes?: number): Promise<AppStorage> {
  const driver = createMemDriver(maxValueBytes === undefined ? {} : { limits: { maxValueBytes } });
  return createStorageProvider(driver).openApp('sys/engine');
}

async function collect(it: AsyncIterable<Entry>): Promise<Entry[]> {
  const out: Entry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** A delegating AppStorage (mem's is a class: spreading it would drop its methods). */
function wrap(storage: AppStorage, overrides: Partial<AppStorage>): AppStorage {
  return {
    limits: storage.limits,
    put: (...a) => storage.put(...a),
    putBatch: (...a) => storage.putBatch(...a),
    get: (...a) => storage.get(...a),
    getBatch: (...a) => storage.getBatch(...a),
    read: (...a) => storage.read(...a),
    insertIfNotExists: (...a) => storage.insertIfNotExists(...a),
    compareAndSwap: (...a) => storage.compareAndSwap(...a),
    compareAndDelete: (...a) => storage.compareAndDelete(...a),
    ttlGet: (...a) => storage.ttlGet(...a),
    ttlRead: (...a) => storage.ttlRead(...a),
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const deployment = (version: number, bundle: string) =>
  ({ version, bundle, kind: 'deploy', at: '2030-01-01T00:00:00.000Z', by: 'cli:alice', diff: '' }) as const;

describe('createDeployStore: bundles', () => {
  let storage: AppStorage;
  beforeEach(async () => {
    storage = await openSysEngine();
  });

  it('stores a bundle in 256 KiB chunks (4-byte big-endian cks) plus a meta record, and reads it back', async () => {
    const store = createDeployStore(storage);
    const bytes = new Uint8Array(randomBytes(BUNDLE_CHUNK_BYTES * 2 + 123));
    const id = sha(bytes);
    expect(await store.hasBundle(id)).toBe(false);
    expect(await store.getBundle(id)).toBeUndefined();
    expect(await store.putBundle(id, bytes)).toBe(true);
    const chunks = await collect(storage.read(utf8(`admin-bundle-chunk:${id}`)));
    expect(chunks.map((c) => [Array.from(c.ck), c.value.length])).toEqual([
      [[0, 0, 0, 0], BUNDLE_CHUNK_BYTES],
      [[0, 0, 0, 1], BUNDLE_CHUNK_BYTES],
      [[0, 0, 0, 2], 123],
    ]);
    const meta = await storage.get(utf8('admin-bundle'), utf8(id));
    expect(JSON.parse(Buffer.from(meta!).toString())).toEqual({ bytes: bytes.length, chunks: 3, sha256: id });
    expect(await store.hasBundle(id)).toBe(true);
    expect(Buffer.from((await store.getBundle(id))!).equals(Buffer.from(bytes))).toBe(true);
  });

  it('is idempotent: a second put of the same id writes nothing and answers false', async () => {
    const store = createDeployStore(storage);
    const bytes = new Uint8Array(randomBytes(1000));
    const id = sha(bytes);
    expect(await store.putBundle(id, bytes)).toBe(true);
    let writes = 0;
    const counting = wrap(storage, {
      put: (...args) => {
        writes++;
        return storage.put(...args);
      },
    });
    expect(await createDeployStore(counting).putBundle(id, bytes)).toBe(false);
    expect(writes).toBe(0);
  });

  it('respects a backend value cap smaller than 256 KiB', async () => {
    const small = await openSysEngine(1000);
    const store = createDeployStore(small);
    const bytes = new Uint8Array(randomBytes(4500));
    const id = sha(bytes);
    expect(await store.putBundle(id, bytes)).toBe(true);
    expect(await collect(small.read(utf8(`admin-bundle-chunk:${id}`)))).toHaveLength(5);
    expect(Buffer.from((await store.getBundle(id))!).equals(Buffer.from(bytes))).toBe(true);
  });

  it('refuses bytes whose sha256 is not the id (409) and malformed ids (400)', async () => {
    const store = createDeployStore(storage);
    const bytes = new Uint8Array(randomBytes(100));
    const wrong = sha(new Uint8Array(randomBytes(100)));
    expect((await rejection(store.putBundle(wrong, bytes))).code).toBe('CONFLICT');
    expect(await store.hasBundle(wrong)).toBe(false);
    expect((await rejection(store.putBundle('ABC', bytes))).code).toBe('BAD_REQUEST');
    expect((await rejection(store.getBundle('../x'))).code).toBe('BAD_REQUEST');
  });

  it('never shows half a bundle: a crash before the meta leaves it absent, and a retry completes it', async () => {
    const bytes = new Uint8Array(randomBytes(BUNDLE_CHUNK_BYTES + 10));
    const id = sha(bytes);
    const crashing = wrap(storage, { insertIfNotExists: () => Promise.reject(new Error('node died')) });
    await expect(createDeployStore(crashing).putBundle(id, bytes)).rejects.toThrow('node died');
    expect(await collect(storage.read(utf8(`admin-bundle-chunk:${id}`)))).toHaveLength(2);
    const store = createDeployStore(storage);
    expect(await store.hasBundle(id)).toBe(false);
    expect(await store.getBundle(id)).toBeUndefined();
    expect(await store.putBundle(id, bytes)).toBe(true);
    expect(Buffer.from((await store.getBundle(id))!).equals(Buffer.from(bytes))).toBe(true);
  });

  it('lets exactly one of two racing uploads of the same id report "created"', async () => {
    const store = createDeployStore(storage);
    const bytes = new Uint8Array(randomBytes(BUNDLE_CHUNK_BYTES * 3));
    const id = sha(bytes);
    const results = await Promise.all([store.putBundle(id, bytes), store.putBundle(id, bytes)]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await store.getBundle(id))!.length).toBe(bytes.length);
  });

  it('detects altered or missing chunks and a corrupt meta (INTERNAL)', async () => {
    const store = createDeployStore(storage);
    const bytes = new Uint8Array(randomBytes(BUNDLE_CHUNK_BYTES + 10));
    const id = sha(bytes);
    await store.putBundle(id, bytes);
    const pk = utf8(`admin-bundle-chunk:${id}`);
    const ck1 = new Uint8Array([0, 0, 0, 1]);
    const original = (await storage.get(pk, ck1))!;
    const altered = original.slice();
    altered[0] = altered[0]! ^ 0xff;
    await storage.put(pk, ck1, altered);
    expect((await rejection(store.getBundle(id))).message).toBe(`admin store: bundle ${id} fails its sha256 check`);
    await storage.compareAndDelete(pk, ck1, altered);
    const missing = await rejection(store.getBundle(id));
    expect(missing.code).toBe('INTERNAL');
    expect(missing.message).toContain('incomplete: 1/2 chunks');
    await storage.put(utf8('admin-bundle'), utf8(id), utf8('{"bytes":'));
    expect((await rejection(store.getBundle(id))).message).toBe(`admin store: bundle ${id} meta is not valid JSON`);
  });
});

describe('createDeployStore: app records and secrets', () => {
  let storage: AppStorage;
  beforeEach(async () => {
    storage = await openSysEngine();
    // Neighbours in the same sys/engine storage must stay untouched and invisible.
    await storage.put(utf8('keyring'), new Uint8Array(0), utf8('{"version":1,"keys":[]}'));
    await storage.put(utf8('local-demo'), utf8('local/todo'), utf8('{"wsid":1,"kind":"x"}'));
  });

  const shop: AppRecord = {
    owner: 'acme',
    name: 'shop',
    partitions: 4,
    status: 'active',
    activeVersion: 2,
    history: [deployment(1, 'a'.repeat(64)), { ...deployment(2, 'b'.repeat(64)), kind: 'rollback', diff: '+ x' }],
  };

  it('puts, gets and lists app records (ordered by owner/app)', async () => {
    const store = createDeployStore(storage);
    expect(await store.getAppRecord('acme/shop')).toBeUndefined();
    expect(await store.listAppRecords()).toEqual([]);
    const todo: AppRecord = {
      ...shop,
      owner: 'acme',
      name: 'todo',
      status: 'undeployed',
      activeVersion: null,
      history: [],
    };
    await store.putAppRecord(todo);
    await store.putAppRecord(shop);
    expect(await store.getAppRecord('acme/shop')).toEqual(shop);
    expect((await store.listAppRecords()).map((r) => r.name)).toEqual(['shop', 'todo']);
    await store.putAppRecord({ ...shop, status: 'undeployed' });
    expect((await store.getAppRecord('acme/shop'))?.status).toBe('undeployed');
    expect(await storage.get(utf8('keyring'), new Uint8Array(0))).toBeDefined();
  });

  it('refuses corrupt records on read and malformed ones on write (INTERNAL)', async () => {
    const store = createDeployStore(storage);
    await storage.put(utf8('admin-app'), utf8('acme/bad'), utf8('not json'));
    expect((await rejection(store.getAppRecord('acme/bad'))).code).toBe('INTERNAL');
    await expect(store.listAppRecords()).rejects.toThrow('admin store: app record acme/bad is not valid JSON');
    await storage.put(utf8('admin-app'), utf8('acme/bad'), utf8(JSON.stringify({ ...shop, status: 'gone' })));
    expect((await rejection(store.getAppRecord('acme/bad'))).message).toBe(
      'admin store: app record acme/bad is malformed',
    );
    await storage.put(utf8('admin-app'), utf8('acme/bad'), utf8(JSON.stringify(shop)));
    expect((await rejection(store.getAppRecord('acme/bad'))).message).toBe(
      'admin store: app record acme/bad names acme/shop',
    );
    const bad = { ...shop, name: 'other', partitions: 0 };
    expect((await rejection(store.putAppRecord(bad))).code).toBe('INTERNAL');
    expect(await storage.get(utf8('admin-app'), utf8('acme/other'))).toBeUndefined();
  });

  it('stores sealed secrets per app: put, get, sorted names, delete', async () => {
    const store = createDeployStore(storage);
    const sealed = new Uint8Array([1, 2, 3]);
    await store.putSecret('acme/shop', 'Z_KEY', sealed);
    await store.putSecret('acme/shop', 'A_KEY', new Uint8Array([4]));
    await store.putSecret('acme/todo', 'B_KEY', new Uint8Array([5]));
    expect(await store.getSecret('acme/shop', 'Z_KEY')).toEqual(sealed);
    expect(await store.getSecret('acme/shop', 'B_KEY')).toBeUndefined();
    expect(await store.listSecretNames('acme/shop')).toEqual(['A_KEY', 'Z_KEY']);
    expect(await store.listSecretNames('acme/todo')).toEqual(['B_KEY']);
    expect(await store.listSecretNames('acme/none')).toEqual([]);
    await store.putSecret('acme/shop', 'Z_KEY', new Uint8Array([9]));
    expect(await store.getSecret('acme/shop', 'Z_KEY')).toEqual(new Uint8Array([9]));
    expect(await store.deleteSecret('acme/shop', 'Z_KEY')).toBe(true);
    expect(await store.deleteSecret('acme/shop', 'Z_KEY')).toBe(false);
    expect(await store.listSecretNames('acme/shop')).toEqual(['A_KEY']);
    expect(await store.listAppRecords()).toEqual([]);
  });

  it('deletes a secret that a concurrent put replaced between read and delete', async () => {
    let raced = false;
    const racing = wrap(storage, {
      compareAndDelete: async (pk, ck, expected) => {
        if (!raced) {
          raced = true;
          await storage.put(pk, ck, new Uint8Array([7, 7]));
        }
        return storage.compareAndDelete(pk, ck, expected);
      },
    });
    const store = createDeployStore(racing);
    await store.putSecret('acme/shop', 'K', new Uint8Array([1]));
    expect(await store.deleteSecret('acme/shop', 'K')).toBe(true);
    expect(raced).toBe(true);
    expect(await store.getSecret('acme/shop', 'K')).toBeUndefined();
  });
});
