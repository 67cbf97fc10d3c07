import type { StorageDriver } from '@stoa/storage';

/** What each `backends/<name>.ts` module's `open()` returns. */
export type OpenedBackend = { driver: StorageDriver; stop(): Promise<void> } | { skip: string };
