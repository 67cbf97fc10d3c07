/**
 * DynamoDB backend for the storage benchmark: starts its own in-memory dynalite as a child
 * process (its own event loop and core, as a real server would be) on a free loopback port.
 * Set STOA_BENCH_DYNAMODB_ENDPOINT to benchmark an existing endpoint instead (e.g. real DynamoDB,
 * with credentials from the SDK's default chain).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect, createServer, type AddressInfo } from 'node:net';
import type { StorageDriver } from '@stoa/storage';
import { createDynamoDbDriver } from '@stoa/storage-dynamodb';

const START_TIMEOUT_MS = 15_000;

export async function open(): Promise<{ driver: StorageDriver; stop(): Promise<void> } | { skip: string }> {
  // The SDK is pinned on purpose (later releases need Node 22); silence its notice about that.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const external = process.env.STOA_BENCH_DYNAMODB_ENDPOINT;
  if (external) {
    const driver = createDynamoDbDriver({
      endpoint: external,
      region: process.env.STOA_BENCH_DYNAMODB_REGION ?? 'us-east-1',
      tablePrefix: 'stoa_bench_',
    });
    return { driver, stop: () => driver.close() };
  }
  let child: ChildProcess;
  let port: number;
  try {
    const cli = createRequire(import.meta.url).resolve('dynalite/cli.js');
    port = await freePort();
    child = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', String(port), '--createTableMs', '50'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await waitForPort(port, child);
  } catch (error) {
    return { skip: `dynalite did not start: ${error instanceof Error ? error.message : String(error)}` };
  }
  const driver = createDynamoDbDriver({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    driver,
    async stop() {
      await driver.close();
      await stopChild(child);
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${stderr.trim()}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`not listening on ${port} after ${START_TIMEOUT_MS} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
