/**
 * `stoa dev` hot-reload latency (issue "App bundles…", bench/deploy): the dev server embedded in
 * this process, on a temp copy of examples/todo (AssemblyScript extensions). Each round appends a
 * field to todo.Task in the VSQL file — which changes the package's generated helpers, so its WASM
 * module is rebuilt — and measures from the write to the first `openapi.json` that shows the
 * field (polled every 10 ms over HTTP), i.e. what the developer waits for.
 *
 *   npx tsx bench/deploy/hot-reload.bench.ts [--rounds 5]
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type ReloadOutcome } from '@stoa/cli';

const ROOT = join(import.meta.dirname, '../..');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg === -1 ? 5 : Number(process.argv[roundsArg + 1]);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-bench-hot-reload-'));
  cpSync(join(ROOT, 'examples/todo'), dir, { recursive: true, filter: (src) => !src.includes('/.stoa') });
  const outcomes: ReloadOutcome[] = [];
  const startedAt = performance.now();
  const server = await startDevServer({
    dir,
    port: 0,
    host: '127.0.0.1',
    reset: true,
    debounceMs: 50,
    print: () => undefined,
    warn: (text) => process.stderr.write(text),
  });
  console.log(`dev server up in ${Math.round(performance.now() - startedAt)} ms (${server.url})`);
  server.onReload((o) => outcomes.push(o));
  const schemaFile = join(dir, 'schema/todo.vsql');
  const latencies: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // A name no earlier run used: the compile and prepare caches must not already hold the module.
      const field = `B${Date.now().toString(36)}R${round}`;
      const source = readFileSync(schemaFile, 'utf8');
      const edited = source.replace(
        'Title varchar(200) NOT NULL,',
        `Title varchar(200) NOT NULL,\n        ${field} varchar(10),`,
      );
      if (edited === source) throw new Error('the todo schema no longer has the line this bench edits');
      const t0 = performance.now();
      writeFileSync(schemaFile, edited);
      for (;;) {
        const doc = await (await fetch(`${server.url}/api/v2/apps/local/todo/openapi.json`)).text();
        if (doc.includes(`"${field}"`)) break;
        if (performance.now() - t0 > 120_000) throw new Error(`round ${round}: no reload after 120 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
      const ms = performance.now() - t0;
      latencies.push(ms);
      console.log(`round ${round}: ${Math.round(ms)} ms from save to served`);
    }
    // Each reload's own account (the listeners run after the new version is served).
    for (const o of outcomes.slice(1)) {
      console.log(
        o.ok ? `  reload: ${o.ms} ms (rebuild ${o.buildMs} ms, swap ${o.swapMs} ms)` : `  reload failed: ${o.error}`,
      );
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `hot reload, save → served: median ${Math.round(median(latencies))} ms over ${ROUNDS} rounds (target ≤ 2000 ms)`,
  );
}

await main();
