/**
 * Starts an in-memory dynalite (DynamoDB API on LevelDB) on a free loopback port for the
 * `storage-dynamodb:int` project, and provides its endpoint to the tests. If it cannot start, the
 * tests receive a skip reason instead and report themselves as skipped.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    dynamodbSkip?: string;
  }
}

const STOP_TIMEOUT_MS = 5000;

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  // The SDK is pinned on purpose (later releases need Node 22); its once-per-process notice about
  // that is noise in every test worker. Workers inherit this when they start.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let server: Server;
  try {
    const { default: dynalite } = await import('dynalite');
    server = dynalite({ createTableMs: 50, deleteTableMs: 50, updateTableMs: 50 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    provide('dynamodbEndpoint', '');
    provide('dynamodbSkip', `dynalite did not start: ${error instanceof Error ? error.message : String(error)}`);
    return () => Promise.resolve();
  }
  const { port } = server.address() as AddressInfo;
  provide('dynamodbEndpoint', `http://127.0.0.1:${port}`);
  return () => stop(server);
}

function stop(server: Server): Promise<void> {
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
