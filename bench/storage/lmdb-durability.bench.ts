/**
 * Why the LMDB driver uses `overlappingSync: false`: compares the two ways to make "resolved"
 * mean "on disk" — sync commits, or lmdb's overlapping sync plus `await flushed` per write — and
 * the non-durable overlapping mode for reference.
 *
 *   npx tsx bench/storage/lmdb-durability.bench.ts [--quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLmdbDriver, type LmdbDriver } from '@stoa/storage-lmdb';

const DURATION_MS = process.argv.includes('--quick') ? 500 : 2000;
const VALUE = new Uint8Array(100).fill(7);

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

async function measure(writers: number, op: (w: number, i: number) => Promise<void>): Promise<number> {
  let calls = 0;
  const start = performance.now();
  const deadline = start + DURATION_MS;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await op(w, i);
        calls++;
      }
    }),
  );
  return calls / ((performance.now() - start) / 1000);
}

async function mode(label: string, overlappingSync: boolean, awaitFlushed: boolean): Promise<void> {
  const dir = mkdtempSync(join(process.env.STOA_BENCH_LMDB_DIR ?? tmpdir(), 'stoa-durability-'));
  const driver: LmdbDriver = createLmdbDriver({ path: dir, overlappingSync });
  try {
    await driver.createApp('bench_durability');
    const app = await driver.openApp('bench_durability');
    const put = async (pk: string, i: number) => {
      await app.put(new TextEncoder().encode(pk), u32(i), VALUE);
      if (awaitFlushed) await driver.flushed();
    };
    const seq = await measure(1, (_, i) => put('seq', i));
    const conc = await measure(100, (w, i) => put(`w${w}`, i));
    console.log(
      `${label.padEnd(46)} | ${Math.round(seq).toString().padStart(8)} | ${Math.round(conc).toString().padStart(10)}`,
    );
  } finally {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`${'mode'.padEnd(46)} | seq op/s | 100 writers`);
await mode('overlappingSync: false (driver default)', false, false);
await mode('overlappingSync: true + await flushed', true, true);
await mode('overlappingSync: true, no flush (NOT durable)', true, false);
