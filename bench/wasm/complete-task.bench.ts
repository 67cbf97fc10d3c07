/**
 * Commands/s of `todo.CompleteTask` over HTTP: the AssemblyScript (WASM) extension of examples/todo
 * against the TypeScript builtin baseline (bench/wasm/todo-builtin), with the node:http hello-world
 * ceiling, all in one run:
 *
 *   npx tsx bench/wasm/complete-task.bench.ts [--quick]
 *
 * Each engine is a child process on LMDB (what `npm start` runs). Tasks are created first; wrk then
 * completes them round-robin (100 connections, 1 thread). Completing a task reads the record
 * (state read) and, the first time, updates it (intent); later calls hit done tasks (read only),
 * which is what a busy CompleteTask endpoint mostly sees. Every call is a durable command event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callEngine, killAll, startEngine, startHello, stopChild, type Engine } from '../engine/children.js';
import { runWrk, writeWrkScript, type WrkResult } from '../engine/wrk.js';
import { prepareTodoBuiltinApp } from './todo-builtin/app.js';

const quick = process.argv.includes('--quick');
const SECONDS = quick ? 3 : 10;
const CONNECTIONS = 100;
const WORKSPACES = 8;
const TASKS_PER_WORKSPACE = quick ? 50 : 200;

const work = mkdtempSync(join(process.env.STOA_BENCH_DIR ?? tmpdir(), 'stoa-wasm-bench-'));
const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);
const fmt = (n: number, digits = 0): string => n.toFixed(digits).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
const describe = (r: WrkResult): string =>
  `${fmt(r.rps)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms` +
  (r.non2xx + r.socketErrors > 0 ? `, ${r.non2xx} non-2xx, ${r.socketErrors} socket errors` : '');

async function completeTasks(name: string, engine: Engine): Promise<WrkResult> {
  const wsids = [engine.demoWsid];
  for (let i = 1; i < WORKSPACES; i++) {
    const res = await callEngine(engine, 'POST', '/workspaces', {
      kind: 'todo.TodoWS',
      name: `bench-${i}`,
      descriptor: { Title: `bench ${i}` },
    });
    wsids.push(res.json['wsid'] as number);
  }
  const prefix = new URL(engine.api).pathname;
  const requests: { method: string; path: string; body: string }[] = [];
  for (const w of wsids) {
    for (let t = 0; t < TASKS_PER_WORKSPACE; t++) {
      const res = await callEngine(engine, 'POST', `/workspaces/${w}/docs/todo.Task`, {
        'sys.ID': 1,
        Title: `task ${t}`,
        Done: false,
        Priority: t % 3,
      });
      const id = (res.json['newIDs'] as Record<string, number>)['1'];
      requests.push({
        method: 'POST',
        path: `${prefix}/workspaces/${w}/commands/todo.CompleteTask`,
        body: JSON.stringify({ args: { TaskID: id } }),
      });
    }
  }
  const headers = { Authorization: `Bearer ${engine.token}`, 'Content-Type': 'application/json' };
  const result = await runWrk({
    url: engine.base,
    connections: CONNECTIONS,
    threads: 1,
    seconds: SECONDS,
    script: writeWrkScript(work, name, requests, headers),
  });
  if (result.non2xx > 0 || result.socketErrors > 0) throw new Error(`${name}: ${describe(result)}`);
  return result;
}

async function main(): Promise<void> {
  const hello = await startHello();
  const ceiling = await runWrk({ url: hello.url, connections: CONNECTIONS, threads: 1, seconds: SECONDS });
  await stopChild(hello.child);
  log(`node:http hello world: ${describe(ceiling)}`);

  const results: Record<string, WrkResult> = {};
  for (const [name, app] of [
    ['wasm', 'examples/todo'],
    ['builtin', prepareTodoBuiltinApp()],
  ] as const) {
    const engine = await startEngine(join(work, name), { STOA_APPS: app });
    try {
      results[name] = await completeTasks(name, engine);
      log(`${name}: ${describe(results[name])}`);
    } finally {
      await stopChild(engine.child);
    }
  }
  const wasm = results['wasm']!;
  const builtin = results['builtin']!;
  console.log('\n| measure | value | vs ceiling |\n|---|---|---|');
  console.log(`| node:http hello world (ceiling) | ${describe(ceiling)} | 1.00 |`);
  console.log(
    `| todo.CompleteTask, WASM (AssemblyScript) | ${describe(wasm)} | ${(wasm.rps / ceiling.rps).toFixed(2)} |`,
  );
  console.log(
    `| todo.CompleteTask, builtin (TypeScript) | ${describe(builtin)} | ${(builtin.rps / ceiling.rps).toFixed(2)} |`,
  );
  console.log(`\nWASM / builtin: ${(wasm.rps / builtin.rps).toFixed(2)}×`);
}

try {
  await main();
} finally {
  killAll();
  rmSync(work, { recursive: true, force: true });
}
