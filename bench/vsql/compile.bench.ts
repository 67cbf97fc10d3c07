// Compile-time benchmark of the VSQL compiler on the shop example:
//   npx tsx bench/vsql/compile.bench.ts [runs]
// Prints mean/p50/p99 per full compile (parse + analyse, sys included) and per parse of the shop
// file alone. Not run by `npm test`.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, parse } from '@stoa/vsql';

const WARMUP = 100;
const runs = Math.max(1, Math.min(10_000, Number(process.argv[2] ?? 200) || 200));

const candidates = [
  join(import.meta.dirname, '../../examples/shop/schema/shop.vsql'),
  '/work/shared/vsql/shop/schema/shop.vsql',
];
const file = candidates.find((p) => existsSync(p));
if (!file) throw new Error(`shop.vsql not found in ${candidates.join(', ')}`);
const source = readFileSync(file, 'utf8');
const files = [{ path: 'schema/shop.vsql', source }];

function measure(label: string, fn: () => void): void {
  for (let i = 0; i < WARMUP; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((s, t) => s + t, 0) / times.length;
  const pct = (p: number): number => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  console.log(
    `${label.padEnd(28)} runs=${runs}  mean=${mean.toFixed(3)} ms  p50=${pct(50).toFixed(3)} ms  p99=${pct(99).toFixed(3)} ms`,
  );
}

const first = compile(files);
if (!first.ok) throw new Error(first.errors.map((e) => e.message).join('\n'));
console.log(`shop.vsql: ${source.length} chars, ${source.split('\n').length} lines`);
measure('compile (parse + analyse)', () => {
  const r = compile(files);
  if (!r.ok) throw new Error('compile failed');
});
measure('parse only (shop.vsql)', () => {
  parse(source, 'schema/shop.vsql');
});
