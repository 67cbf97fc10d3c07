/**
 * The contract test kit: one suite every backend runs (docs/ARCHITECTURE.md §4).
 *
 *   import { describeStorageContract } from '@stoa/storage/testing';
 *   describeStorageContract({ name: 'lmdb', createDriver: async () => createLmdbDriver({ path }) });
 *
 * A backend whose server cannot start passes `skip: '<reason>'`: every test is then registered as
 * skipped and the reason shows in the suite title — never reported as passed.
 */
import { describe } from 'vitest';
import { describeArguments } from './arguments.js';
import { describeBatches } from './batches.js';
import { describeBinaryKeys } from './binary-keys.js';
import { describeConditional } from './conditional.js';
import { describeInsertWithBatch } from './insert-with-batch.js';
import { setUpContext, type ContractTarget } from './context.js';
import { describeIsolation } from './isolation.js';
import { describeLimits } from './limits.js';
import { describePointOps } from './point-ops.js';
import { describeRanges } from './ranges.js';
import { describeTtl } from './ttl.js';

export type { ContractTarget } from './context.js';
export { CONTRACT_APPS, MANY_APPS, MISSING_APP } from './context.js';

export function describeStorageContract(target: ContractTarget): void {
  const skipped = target.skip !== undefined;
  const title = skipped ? `${target.name} (skipped: ${target.skip})` : target.name;
  (skipped ? describe.skip : describe)(title, () => {
    const ctx = setUpContext(target);
    describePointOps(ctx);
    describeBatches(ctx);
    describeRanges(ctx);
    describeBinaryKeys(ctx);
    describeConditional(ctx);
    describeInsertWithBatch(ctx, target.insertWithBatch);
    describeTtl(ctx);
    describeLimits(ctx);
    describeIsolation(ctx);
    describeArguments(ctx);
  });
}
