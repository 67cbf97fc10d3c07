/**
 * Typed access to scripts/cassandra/start.mjs (plain JS, no declarations), shared by the test
 * global setup and the benchmark backend.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface CassandraServer {
  readonly reused: boolean;
  readonly host: string;
  readonly port: number;
  readonly pid?: number;
  readonly startMs?: number;
  readonly version?: string | null;
  stop(): Promise<void>;
}

export interface EnsureCassandraOptions {
  readonly port?: number;
  readonly dataDir?: string;
  readonly timeoutMs?: number;
  readonly log?: (message: string) => void;
}

interface StartModule {
  readonly ensureCassandra: (options: EnsureCassandraOptions) => Promise<CassandraServer>;
  readonly rssMiB: (pid: number) => number | null;
}

/** The repository root, from this file's location (packages/storage-cassandra/test). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

export const TEST_DATA_DIR = join(REPO_ROOT, '.stoa', 'test-cassandra');

export async function loadCassandraStarter(): Promise<StartModule> {
  const url = pathToFileURL(join(REPO_ROOT, 'scripts', 'cassandra', 'start.mjs')).href;
  return (await import(url)) as StartModule;
}
