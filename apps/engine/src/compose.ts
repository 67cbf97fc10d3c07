/**
 * The engine node for a storage choice: the driver picked from the settings (storage-driver.ts),
 * then `composeNode` of @stoa/engine (keys, resources, core, folder apps, deployed apps, HTTP edge
 * with the admin API). `serve.ts` runs it with what the environment says; the integration tests
 * run the very same code with their own storage, apps and limits.
 */
import { Closers, composeNode } from '@stoa/engine';
import type { ComposedNode, ComposeNodeOptions } from '@stoa/engine';
import { createStorageDriver, describeStorage } from './storage-driver.js';
import type { StorageSettings } from './storage-driver.js';

export { Closers };

export type ComposeEngineOptions = StorageSettings &
  Omit<ComposeNodeOptions, 'driver' | 'storageKind' | 'storageDescription' | 'dataDir'>;

export type ComposedEngine = ComposedNode;

/**
 * Composes the engine; every opened part is registered in `closers` (main's, so a signal during
 * startup closes what exists). If a step fails, what was opened so far is closed and the error
 * rethrown.
 */
export async function composeEngine(options: ComposeEngineOptions, closers = new Closers()): Promise<ComposedEngine> {
  const driver = await createStorageDriver(options);
  return composeNode(
    { ...options, driver, storageKind: options.storage, storageDescription: describeStorage(options) },
    closers,
  );
}
