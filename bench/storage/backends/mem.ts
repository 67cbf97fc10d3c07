import { createMemDriver } from '@stoa/storage';
import type { OpenedBackend } from './types.js';

export function open(): Promise<OpenedBackend> {
  const driver = createMemDriver();
  return Promise.resolve({ driver, stop: () => driver.close() });
}
