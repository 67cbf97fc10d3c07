/**
 * Turns app names (`owner/app`) into per-app storages (docs/ARCHITECTURE.md §4). Each app gets a
 * safe name valid on every backend, recorded in the `sys_meta` storage of the same driver:
 *
 *   pk "app",  ck <name>      → JSON { name, safeName, status: pending|done, createdAt }
 *   pk "safe", ck <safeName>  → <name>   (reservation: claimed with insertIfNotExists)
 *
 * Provisioning is recorded pending → done, so a crash between the two is retried on next open
 * (`createApp` is idempotent). The safe name is a sanitized prefix plus a hash of the name, so
 * it is deterministic; a hash collision (another name holds the reservation) moves on to the
 * next candidate.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { fromUtf8, utf8 } from './bytes.js';
import type { AppStorage, StorageDriver, StorageProvider } from './contract.js';
import { StorageArgumentError } from './errors.js';

export const META_SAFE_NAME = 'sys_meta';
const APP_PK = utf8('app');
const SAFE_PK = utf8('safe');
const MAX_CANDIDATES = 8;

export const appNameSchema = z
  .string()
  .max(100, 'at most 100 characters')
  .regex(
    /^[a-z0-9][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*$/,
    'must look like owner/app: lowercase letters, digits, - and _, one /',
  );

const appRecordSchema = z.object({
  name: z.string(),
  safeName: z.string(),
  status: z.enum(['pending', 'done']),
  createdAt: z.string(),
});
export type AppRecord = z.infer<typeof appRecordSchema>;

export function parseAppName(name: unknown): string {
  const parsed = appNameSchema.safeParse(name);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => i.message).join('; ');
    throw new StorageArgumentError(`app name ${JSON.stringify(name)} is invalid: ${why}`);
  }
  return parsed.data;
}

/**
 * The `attempt`-th candidate safe name for an app: `<sanitized prefix>_<8 hex of sha256>`, at most
 * 47 characters, matching SAFE_NAME_PATTERN. Never equals `sys_meta` (which has no hash suffix).
 */
export function deriveSafeName(name: string, attempt = 0): string {
  let prefix = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!/^[a-z]/.test(prefix)) prefix = `a${prefix}`;
  prefix = prefix.slice(0, 38).replace(/_+$/, '');
  const hash = createHash('sha256')
    .update(attempt === 0 ? name : `${name}#${attempt}`)
    .digest('hex')
    .slice(0, 8);
  return `${prefix}_${hash}`;
}

export interface StorageProviderOptions {
  /** Where app records live; defaults to the driver's `sys_meta` app storage. */
  readonly metaStorage?: AppStorage;
}

export function createStorageProvider(driver: StorageDriver, options: StorageProviderOptions = {}): StorageProvider {
  const opened = new Map<string, Promise<AppStorage>>();
  let meta: Promise<AppStorage> | undefined;

  const metaStorage = (): Promise<AppStorage> => {
    meta ??= options.metaStorage
      ? Promise.resolve(options.metaStorage)
      : driver.createApp(META_SAFE_NAME).then(() => driver.openApp(META_SAFE_NAME));
    // A failed open is retried on the next call rather than cached forever.
    meta.catch(() => (meta = undefined));
    return meta;
  };

  const readRecord = async (store: AppStorage, name: string): Promise<AppRecord | undefined> => {
    const raw = await store.get(APP_PK, utf8(name));
    return raw === undefined ? undefined : appRecordSchema.parse(JSON.parse(fromUtf8(raw)));
  };

  const reserveSafeName = async (store: AppStorage, name: string): Promise<string> => {
    for (let attempt = 0; attempt < MAX_CANDIDATES; attempt++) {
      const candidate = deriveSafeName(name, attempt);
      if (await store.insertIfNotExists(SAFE_PK, utf8(candidate), utf8(name))) return candidate;
      const holder = await store.get(SAFE_PK, utf8(candidate));
      if (holder !== undefined && fromUtf8(holder) === name) return candidate;
    }
    throw new StorageArgumentError(`no free safe name for app ${name} after ${MAX_CANDIDATES} candidates`);
  };

  const provision = async (name: string): Promise<AppStorage> => {
    const store = await metaStorage();
    let record = await readRecord(store, name);
    if (record === undefined) {
      const safeName = await reserveSafeName(store, name);
      const fresh: AppRecord = { name, safeName, status: 'pending', createdAt: new Date().toISOString() };
      const encoded = utf8(JSON.stringify(fresh));
      // Another process may have recorded the app meanwhile: its record wins.
      record = (await store.insertIfNotExists(APP_PK, utf8(name), encoded)) ? fresh : await readRecord(store, name);
      if (record === undefined) throw new Error(`app record for ${name} vanished during provisioning`);
    }
    if (record.status === 'pending') {
      await driver.createApp(record.safeName);
      const done: AppRecord = { ...record, status: 'done' };
      const current = await store.get(APP_PK, utf8(name));
      if (current !== undefined) await store.compareAndSwap(APP_PK, utf8(name), current, utf8(JSON.stringify(done)));
    }
    return driver.openApp(record.safeName);
  };

  return {
    driver,
    openApp(name: string): Promise<AppStorage> {
      let valid: string;
      try {
        valid = parseAppName(name);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      let storage = opened.get(valid);
      if (storage === undefined) {
        storage = provision(valid);
        opened.set(valid, storage);
        storage.catch(() => opened.delete(valid));
      }
      return storage;
    },
    async listApps() {
      const store = await metaStorage();
      const apps: { name: string; safeName: string }[] = [];
      for await (const { value } of store.read(APP_PK)) {
        const record = appRecordSchema.parse(JSON.parse(fromUtf8(value)));
        if (record.status === 'done') apps.push({ name: record.name, safeName: record.safeName });
      }
      return apps;
    },
    async close() {
      opened.clear();
      meta = undefined;
      await driver.close();
    },
  };
}
