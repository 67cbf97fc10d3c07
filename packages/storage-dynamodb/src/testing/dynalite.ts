/**
 * Test support: an in-memory dynalite (DynamoDB API on LevelDB) on a free loopback port. Used by
 * the vitest global setups of this package and of apps/engine, and importable by any test through
 * `@stoa/storage-dynamodb/testing` (dynalite is a dev dependency: never import this from src).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const STOP_TIMEOUT_MS = 5000;

export interface DynaliteServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts dynalite; throws if it cannot (callers turn that into a skip reason). */
export async function startDynalite(): Promise<DynaliteServer> {
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ createTableMs: 50, deleteTableMs: 50, updateTableMs: 50 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => stopServer(server) };
}

function stopServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    // Keep-alive sockets of the SDK would hold close() open.
    server.closeAllConnections();
  });
}
