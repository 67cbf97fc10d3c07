/**
 * Storage throughput per backend: durable single puts (sequential awaits), 100 concurrent
 * writers, putBatch of 1000, point gets, range scans of 1000 rows.
 *
 *   npx tsx bench/storage/storage.bench.ts [--backends lmdb,mem] [--quick]
 *
 * Backends are modules `backends/<name>.ts` exporting `open()`; a missing module or a `{ skip }`
 * answer prints `skipped: <reason>`. Each measurement runs for a bounded time (2 s, 0.5 s quick).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AppStorage, Item } from '@stoa/storage';
import type { OpenedBackend } from './backends/types.js';

const ALL_BACKENDS = ['mem', 'lmdb', 'cassandra', 'dynamodb'];
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const backendsArg = args[args.indexOf('--backends') + 1];
const backends = args.includes('--backends') && backendsArg ? backendsArg.split(',') : ALL_BACKENDS;
const DURATION_MS = quick ? 500 : 2000;
const VALUE = randomBytes(100);
const APP = 'bench_storage';

interface Row {
  backend: string;
  op: string;
  opsPerSec: number;
  p50: number;
  p99: number;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** Runs `op` from `workers` loops until the deadline; `units` is what one call counts for. */
async function measure(workers: number, units: number, op: (worker: number, i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let calls = 0;
  const start = performance.now();
  const deadline = start + DURATION_MS;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        await op(w, i);
        latencies.push((performance.now() - t0) * 1000);
        calls++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { opsPerSec: (calls * units) / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function bench(name: string, app: AppStorage): Promise<Row[]> {
  const rows: Row[] = [];
  const run = randomBytes(6).toString('hex');
  const add = (op: string, r: { opsPerSec: number; p50: number; p99: number }) => {
    rows.push({ backend: name, op, ...r });
    console.error(`  ${name} ${op}: ${Math.round(r.opsPerSec)}/s`);
  };
  const pkOf = (label: string) => new TextEncoder().encode(`bench-${run}-${label}`);

  add('put (sequential)', await measure(1, 1, (_, i) => app.put(pkOf(`seq-${i % 64}`), u32(i), VALUE)));
  add('put (100 writers)', await measure(100, 1, (w, i) => app.put(pkOf(`conc-${w}`), u32(i), VALUE)));
  const batchSize = Math.min(1000, app.limits.maxBatchItems);
  add(
    `putBatch(${batchSize}) items`,
    await measure(1, batchSize, (_, i) => {
      const pk = pkOf(`batch-${i}`);
      const items: Item[] = Array.from({ length: batchSize }, (_, j) => ({ pk, ck: u32(j), value: VALUE }));
      return app.putBatch(items);
    }),
  );
  // Gets and scans read what the batches wrote: partition batch-0 has batchSize rows.
  const scanPk = pkOf('scan');
  for (let i = 0; i < 1000; i += batchSize) {
    const n = Math.min(batchSize, 1000 - i);
    await app.putBatch(Array.from({ length: n }, (_, j) => ({ pk: scanPk, ck: u32(i + j), value: VALUE })));
  }
  add(
    'get',
    await measure(1, 1, async (_, i) => {
      const v = await app.get(scanPk, u32(i % 1000));
      if (v === undefined) throw new Error('bench get missed a row');
    }),
  );
  add(
    'read 1000 rows (rows/s)',
    await measure(1, 1000, async () => {
      let n = 0;
      for await (const _ of app.read(scanPk)) n++;
      if (n !== 1000) throw new Error(`bench scan saw ${n} rows`);
    }),
  );
  return rows;
}

async function openBackend(name: string): Promise<OpenedBackend> {
  const file = join(import.meta.dirname, 'backends', `${name}.ts`);
  if (!existsSync(file)) return { skip: `no module backends/${name}.ts` };
  const mod = (await import(file)) as { open(): Promise<OpenedBackend> };
  return mod.open();
}

function printTable(rows: Row[], skipped: [string, string][]): void {
  const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
  const table = [
    ['backend', 'op', 'ops/s', 'p50 µs', 'p99 µs'],
    ...rows.map((r) => [r.backend, r.op, fmt(r.opsPerSec), fmt(r.p50), fmt(r.p99)]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]) =>
    row.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(' | ');
  console.log(line(table[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of table.slice(1)) console.log(line(row));
  for (const [name, reason] of skipped) console.log(`${name}: skipped: ${reason}`);
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const skipped: [string, string][] = [];
  for (const name of backends) {
    let opened: OpenedBackend;
    try {
      opened = await openBackend(name);
    } catch (error) {
      skipped.push([name, `open failed: ${(error as Error).message}`]);
      continue;
    }
    if ('skip' in opened) {
      skipped.push([name, opened.skip]);
      continue;
    }
    console.error(`benchmarking ${name}${quick ? ' (quick)' : ''}…`);
    try {
      await opened.driver.createApp(APP);
      rows.push(...(await bench(name, await opened.driver.openApp(APP))));
    } finally {
      await opened.stop();
    }
  }
  printTable(rows, skipped);
}

await main();
