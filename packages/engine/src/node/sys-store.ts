/**
 * The node's own system data in the `sys/engine` app storage of its DBMS (docs/ARCHITECTURE.md
 * §1: the engine never depends on the control plane). Layout:
 *
 *   pk "keyring",    ck ""            → the KeyRing JSON (private keys: never logged)
 *   pk "local-demo", ck "owner/app"   → JSON { wsid, kind } of the app's demo workspace
 *   pk "node",       ck "id"          → this node's id (random, created on first start)
 *   pk "admin-…"                      → the admin API's bundles, app records, secrets (admin/deploy-store.ts)
 */
import { randomUUID } from 'node:crypto';
import type { KeyStore } from '@stoa/auth';
import type { AppStorage, StorageProvider } from '@stoa/storage';
import { fromUtf8, utf8 } from '@stoa/storage';
import { z } from 'zod';

export const SYS_ENGINE_APP = 'sys/engine';

const KEYRING_PK = utf8('keyring');
const DEMO_PK = utf8('local-demo');
const NODE_PK = utf8('node');
const NODE_ID_CK = utf8('id');
const EMPTY = new Uint8Array(0);

const demoSchema = z.object({ wsid: z.number().int().positive(), kind: z.string() });
export type DemoWorkspaceRecord = z.infer<typeof demoSchema>;

export interface SysStore {
  /** The `sys/engine` storage itself (the admin API keeps its records here too). */
  readonly storage: AppStorage;
  readonly keyStore: KeyStore;
  /** This node's id: created once, the same after restarts on the same storage. */
  nodeId(): Promise<string>;
  getDemoWorkspace(app: string): Promise<DemoWorkspaceRecord | undefined>;
  putDemoWorkspace(app: string, record: DemoWorkspaceRecord): Promise<void>;
}

export async function openSysStore(provider: StorageProvider): Promise<SysStore> {
  const storage: AppStorage = await provider.openApp(SYS_ENGINE_APP);
  return {
    storage,
    async nodeId() {
      const fresh = randomUUID();
      // insertIfNotExists: two processes racing on a shared store agree on one id.
      await storage.insertIfNotExists(NODE_PK, NODE_ID_CK, utf8(fresh));
      const stored = await storage.get(NODE_PK, NODE_ID_CK);
      return stored === undefined ? fresh : fromUtf8(stored);
    },
    keyStore: {
      async load() {
        const value = await storage.get(KEYRING_PK, EMPTY);
        return value === undefined ? undefined : fromUtf8(value);
      },
      async save(json: string) {
        await storage.put(KEYRING_PK, EMPTY, utf8(json));
      },
    },
    async getDemoWorkspace(app) {
      const value = await storage.get(DEMO_PK, utf8(app));
      if (value === undefined) return undefined;
      const parsed = demoSchema.safeParse(JSON.parse(fromUtf8(value)));
      return parsed.success ? parsed.data : undefined;
    },
    async putDemoWorkspace(app, record) {
      await storage.put(DEMO_PK, utf8(app), utf8(JSON.stringify(record)));
    },
  };
}
