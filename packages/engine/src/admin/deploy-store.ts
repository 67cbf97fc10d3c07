/**
 * Persistence of the admin state in the node's `sys/engine` app storage (docs/admin-api.md §
 * Deploy semantics). That storage is shared with other records ("keyring", "local-demo"), so every
 * partition key here starts with `admin-`:
 *
 *   pk "admin-bundle-chunk:<sha256>", ck u32be(i)   → bytes of chunk i (≤ 256 KiB)
 *   pk "admin-bundle",                ck "<sha256>" → JSON { bytes, chunks, sha256 }  (written last)
 *   pk "admin-app",                   ck "owner/app" → JSON AppRecord
 *   pk "admin-secret:<owner/app>",    ck "<name>"    → sealed value (secret-box.ts)
 *
 * Bundles are chunked because values are capped per backend (DynamoDB items ≤ 400 KB). The meta
 * record is written after every chunk with insertIfNotExists: its presence means "complete". A
 * crash mid-upload leaves orphan chunks that a retry of the same id overwrites with the same bytes;
 * readers never see half a bundle.
 */
import { createHash } from 'node:crypto';
import { AppError } from '@stoa/errors';
import type { AppStorage } from '@stoa/storage';
import { fromUtf8, utf8 } from '@stoa/storage';
import { z } from 'zod';
import type { Deployment } from './types.js';

export const BUNDLE_CHUNK_BYTES = 256 * 1024;
/** Chunk writes in flight at once: bounded so a 32 MiB upload does not flood the backend. */
const CHUNK_WRITE_CONCURRENCY = 4;

const BUNDLE_PK = utf8('admin-bundle');
const APP_PK = utf8('admin-app');
const chunkPk = (id: string): Uint8Array => utf8(`admin-bundle-chunk:${id}`);
const secretPk = (appKey: string): Uint8Array => utf8(`admin-secret:${appKey}`);

function chunkCk(index: number): Uint8Array {
  const ck = new Uint8Array(4);
  new DataView(ck.buffer).setUint32(0, index, false);
  return ck;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

export interface AppRecord {
  readonly owner: string;
  readonly name: string;
  readonly partitions: number;
  readonly status: 'active' | 'undeployed';
  /** The deployment version being served (or last served, after an undeploy); null before any. */
  readonly activeVersion: number | null;
  /** Oldest first. */
  readonly history: readonly Deployment[];
}

const deploymentSchema = z.object({
  version: z.number().int().positive(),
  bundle: z.string().regex(SHA256_RE),
  kind: z.enum(['deploy', 'rollback', 'undeploy']),
  at: z.string(),
  by: z.string(),
  diff: z.string(),
});

// Typed as the interface so the two cannot drift apart.
const appRecordSchema: z.ZodType<AppRecord> = z.object({
  owner: z.string().min(1),
  name: z.string().min(1),
  partitions: z.number().int().positive(),
  status: z.enum(['active', 'undeployed']),
  activeVersion: z.number().int().positive().nullable(),
  history: z.array(deploymentSchema),
});

const bundleMetaSchema = z.object({
  bytes: z.number().int().nonnegative(),
  chunks: z.number().int().nonnegative(),
  sha256: z.string().regex(SHA256_RE),
});
type BundleMeta = z.infer<typeof bundleMetaSchema>;

export interface DeployStore {
  /** Stores a bundle under its sha256; false when it was already stored (nothing written). */
  putBundle(id: string, bytes: Uint8Array): Promise<boolean>;
  /** The bundle's bytes, checked against their length and sha256; undefined when absent. */
  getBundle(id: string): Promise<Uint8Array | undefined>;
  hasBundle(id: string): Promise<boolean>;
  getAppRecord(key: string): Promise<AppRecord | undefined>;
  putAppRecord(record: AppRecord): Promise<void>;
  /** Every app record, ordered by `owner/app`. */
  listAppRecords(): Promise<AppRecord[]>;
  putSecret(appKey: string, name: string, sealed: Uint8Array): Promise<void>;
  getSecret(appKey: string, name: string): Promise<Uint8Array | undefined>;
  /** True when the secret existed. */
  deleteSecret(appKey: string, name: string): Promise<boolean>;
  /** Sorted. */
  listSecretNames(appKey: string): Promise<string[]>;
}

function corrupt(what: string, cause?: unknown): AppError {
  return new AppError('INTERNAL', `admin store: ${what}`, cause === undefined ? {} : { cause });
}

function parseJson<T>(schema: z.ZodType<T>, value: Uint8Array, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(fromUtf8(value));
  } catch (e) {
    throw corrupt(`${what} is not valid JSON`, e);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw corrupt(`${what} is malformed`, parsed.error);
  return parsed.data;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function checkBundleId(id: string): void {
  if (!SHA256_RE.test(id)) throw new AppError('BAD_REQUEST', 'bundle id must be 64 lowercase hex digits (sha256)');
}

export function createDeployStore(storage: AppStorage): DeployStore {
  // Smaller backends' value caps win over the nominal chunk size; readers do not depend on it.
  const chunkBytes = Math.min(BUNDLE_CHUNK_BYTES, storage.limits.maxValueBytes);

  const getMeta = async (id: string): Promise<BundleMeta | undefined> => {
    const value = await storage.get(BUNDLE_PK, utf8(id));
    return value === undefined ? undefined : parseJson(bundleMetaSchema, value, `bundle ${id} meta`);
  };

  const writeChunks = async (id: string, bytes: Uint8Array, chunks: number): Promise<void> => {
    const pk = chunkPk(id);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks) {
        const i = next++;
        await storage.put(pk, chunkCk(i), bytes.subarray(i * chunkBytes, Math.min(bytes.length, (i + 1) * chunkBytes)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CHUNK_WRITE_CONCURRENCY, chunks) }, worker));
  };

  const appRecordKey = (record: AppRecord): string => `${record.owner}/${record.name}`;

  return {
    async putBundle(id, bytes) {
      checkBundleId(id);
      if ((await storage.get(BUNDLE_PK, utf8(id))) !== undefined) return false;
      // The meta claims `sha256: id`; it is only written when that is true.
      if (sha256Hex(bytes) !== id) {
        throw new AppError('CONFLICT', `bundle bytes do not match the id ${id} (sha256 differs)`, {
          data: { field: 'sha256' },
        });
      }
      const chunks = Math.ceil(bytes.length / chunkBytes);
      await writeChunks(id, bytes, chunks);
      const meta: BundleMeta = { bytes: bytes.length, chunks, sha256: id };
      return storage.insertIfNotExists(BUNDLE_PK, utf8(id), utf8(JSON.stringify(meta)));
    },

    async getBundle(id) {
      checkBundleId(id);
      const meta = await getMeta(id);
      if (meta === undefined) return undefined;
      const out = new Uint8Array(meta.bytes);
      let offset = 0;
      let count = 0;
      for await (const entry of storage.read(chunkPk(id), chunkCk(0), chunkCk(meta.chunks))) {
        if (offset + entry.value.length > meta.bytes) throw corrupt(`bundle ${id} has more bytes than its meta says`);
        out.set(entry.value, offset);
        offset += entry.value.length;
        count++;
      }
      if (count !== meta.chunks || offset !== meta.bytes) {
        throw corrupt(`bundle ${id} is incomplete: ${count}/${meta.chunks} chunks, ${offset}/${meta.bytes} bytes`);
      }
      if (sha256Hex(out) !== id) throw corrupt(`bundle ${id} fails its sha256 check`);
      return out;
    },

    async hasBundle(id) {
      checkBundleId(id);
      return (await storage.get(BUNDLE_PK, utf8(id))) !== undefined;
    },

    async getAppRecord(key) {
      const value = await storage.get(APP_PK, utf8(key));
      if (value === undefined) return undefined;
      const record = parseJson(appRecordSchema, value, `app record ${key}`);
      if (appRecordKey(record) !== key) throw corrupt(`app record ${key} names ${appRecordKey(record)}`);
      return record;
    },

    async putAppRecord(record) {
      // Validated on the way in too: a record that could not be read back must not be written.
      const parsed = appRecordSchema.safeParse(record);
      if (!parsed.success) throw corrupt(`app record ${appRecordKey(record)} is malformed`, parsed.error);
      await storage.put(APP_PK, utf8(appRecordKey(record)), utf8(JSON.stringify(parsed.data)));
    },

    async listAppRecords() {
      const records: AppRecord[] = [];
      for await (const entry of storage.read(APP_PK)) {
        const key = fromUtf8(entry.ck);
        const record = parseJson(appRecordSchema, entry.value, `app record ${key}`);
        if (appRecordKey(record) !== key) throw corrupt(`app record ${key} names ${appRecordKey(record)}`);
        records.push(record);
      }
      return records;
    },

    async putSecret(appKey, name, sealed) {
      await storage.put(secretPk(appKey), utf8(name), sealed);
    },

    async getSecret(appKey, name) {
      return storage.get(secretPk(appKey), utf8(name));
    },

    async deleteSecret(appKey, name) {
      const pk = secretPk(appKey);
      const ck = utf8(name);
      // The contract has no unconditional delete: delete what we read, retrying if a concurrent
      // put replaced it in between (the delete then removes the newer value, as a plain delete would).
      for (;;) {
        const current = await storage.get(pk, ck);
        if (current === undefined) return false;
        if (await storage.compareAndDelete(pk, ck, current)) return true;
      }
    },

    async listSecretNames(appKey) {
      const names: string[] = [];
      for await (const entry of storage.read(secretPk(appKey))) names.push(fromUtf8(entry.ck));
      return names.sort();
    },
  };
}
