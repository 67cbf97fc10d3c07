/**
 * The node's own system data in the `sys/engine` app storage of its DBMS (docs/ARCHITECTURE.md
 * §1: the engine never depends on the control plane). Layout:
 *
 *   pk "keyring",    ck ""            → the KeyRing JSON (private keys: never logged)
 *   pk "local-demo", ck "owner/app"   → JSON { wsid, kind } of the app's demo workspace
 */
import type { KeyStore } from '@stoa/engine';
import type { AppStorage, StorageProvider } from '@stoa/storage';
import { fromUtf8, utf8 } from '@stoa/storage';
import { z } from 'zod';

export const SYS_ENGINE_APP = 'sys/engine';

const KEYRING_PK = utf8('keyring');
const DEMO_PK = utf8('local-demo');
const EMPTY = new Uint8Array(0);

const demoSchema = z.object({ wsid: z.number().int().positive(), kind: z.string() });
export type DemoWorkspaceRecord = z.infer<typeof demoSchema>;

export interface SysStore {
  readonly keyStore: KeyStore;
  getDemoWorkspace(app: string): Promise<DemoWorkspaceRecord | undefined>;
  putDemoWorkspace(app: string, record: DemoWorkspaceRecord): Promise<void>;
}

export async function openSysStore(provider: StorageProvider): Promise<SysStore> {
  const storage: AppStorage = await provider.openApp(SYS_ENGINE_APP);
  return {
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
