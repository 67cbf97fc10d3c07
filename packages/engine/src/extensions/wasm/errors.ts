// Failures of a guest call, and their mapping to the one 500 the ABI promises (ABI.md §2):
// `extension <qname>: <reason>`. AppErrors raised by the extension context (undeclared storage,
// intent validation) are the engine's own answers and pass through unchanged.

import { AppError, isAppError } from '@stoa/errors';
import { webAssembly } from './webassembly-api.js';

/** An import call the host refused; the message names the import (`stoa.take: nothing pending`). */
export class HostCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostCallError';
  }
}

/** The guest called `env.abort`; the message is `abort: <message> at <file>:<line>:<column>`. */
export class GuestAbortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuestAbortError';
  }
}

export interface MemoryUse {
  readonly usedBytes: number;
  readonly maxBytes: number;
}

const MIB = 1024 * 1024;

/**
 * A trap with the memory nearly at its cap is reported as out of memory: a failed `memory.grow`
 * returns -1 and guests (AssemblyScript's allocator) then trap with `unreachable`, so the trap
 * itself does not say why. "Nearly": the failed request may have asked for several pages at once.
 */
const NEAR_CAP = 0.75;

/** Why a call failed, in the words of ABI §2/§6. `fuelLeft` is read from the instance after the failure. */
export function describeFailure(error: unknown, fuelLeft: bigint, budget: number, memory?: MemoryUse): string {
  if (error instanceof HostCallError || error instanceof GuestAbortError) return error.message;
  if (error instanceof webAssembly.RuntimeError) {
    if (fuelLeft <= 0n) return `ran out of fuel (budget ${budget})`;
    if (memory !== undefined && memory.usedBytes >= memory.maxBytes * NEAR_CAP) {
      const used = (memory.usedBytes / MIB).toFixed(1);
      return `out of memory (${used} of ${(memory.maxBytes / MIB).toFixed(1)} MiB in use; trap: ${error.message})`;
    }
    return `trap: ${error.message}`;
  }
  if (error instanceof RangeError && /maximum call stack/i.test(error.message)) return 'stack overflow';
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The wasm frames of a failure's stack (V8 prints them as `wasm://wasm/<hash>:wasm-function[n]:0x…`). */
export function wasmFrames(error: unknown): string[] {
  if (!(error instanceof Error) || error.stack === undefined) return [];
  return error.stack
    .split('\n')
    .filter((line) => line.includes('wasm-function') || line.includes('wasm://'))
    .map((line) => line.trim());
}

export function toExtensionError(
  qname: string,
  error: unknown,
  fuelLeft: bigint,
  budget: number,
  memory?: MemoryUse,
): AppError {
  if (isAppError(error)) return error;
  const frames = wasmFrames(error);
  return new AppError('INTERNAL', `extension ${qname}: ${describeFailure(error, fuelLeft, budget, memory)}`, {
    qname,
    cause: error,
    ...(frames.length > 0 ? { data: { stack: frames } } : {}),
  });
}
