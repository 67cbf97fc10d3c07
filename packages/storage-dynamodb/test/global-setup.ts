/**
 * Starts an in-memory dynalite on a free loopback port for the `storage-dynamodb:int` project, and
 * provides its endpoint to the tests. If it cannot start, the tests receive a skip reason instead
 * and report themselves as skipped.
 */
import type { TestProject } from 'vitest/node';
import { startDynalite } from '../src/testing/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    dynamodbSkip?: string;
  }
}

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  // The SDK is pinned on purpose (later releases need Node 22); its once-per-process notice about
  // that is noise in every test worker. Workers inherit this when they start.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  try {
    const server = await startDynalite();
    provide('dynamodbEndpoint', server.endpoint);
    return () => server.stop();
  } catch (error) {
    provide('dynamodbEndpoint', '');
    provide('dynamodbSkip', `dynalite did not start: ${error instanceof Error ? error.message : String(error)}`);
    return () => Promise.resolve();
  }
}
