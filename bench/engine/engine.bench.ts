/**
 * Engine throughput, latency and recovery over real HTTP, against the node:http ceiling measured
 * in the same run (README.md explains the method and holds the last figures):
 *
 *   npx tsx bench/engine/engine.bench.ts [--quick] [--no-recovery]
 *
 * (a) hello-world ceiling: wrk, 100 connections, against a minimal node:http server (child);
 * (b) engine node (child, LMDB, examples/todo): durable commands/s (POST docs todo.Task → one
 *     sync projector, CountTasks) and reads/s (GET doc by id, GET view TaskStats), 100
 *     connections, spread over 8 workspaces in every partition, p50/p99 from `wrk --latency`;
 * (c) p99 at half the measured max rate R: wrk with R/2/50 connections, each paced by a `delay()`
 *     hook to ~50 req/s (calibrated once on a 3 s run), so the offered load is ~R/2;
 * (d) recovery after SIGKILL with 1M events (100k with --quick) in the PLog: the log is built
 *     in-process by fill-log.ts with checkpoints disabled, then killed; the node's first start
 *     replays all of it (no checkpoint: worst case); then the node is SIGKILLed under command load
 *     three times (recent checkpoint: the normal case) and its restart timed until /readyz is 200.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildEngine,
  callEngine,
  cpuMicros,
  killAll,
  readRecovery,
  sleep,
  spawnChild,
  startEngine,
  startHello,
  stopChild,
  waitFor,
  type Child,
  type Engine,
} from './children.js';
import { runWrk, writeWrkScript, type WrkOptions, type WrkResult } from './wrk.js';

const quick = process.argv.includes('--quick');
/** Skips (d), the large-log recovery part, for quick throughput comparisons. */
const noRecovery = process.argv.includes('--no-recovery');
const SECONDS = quick ? 3 : 10;
const CONNECTIONS = 100;
/** One wrk thread: on the 2-core reference machine, one core drives the load and one serves it. */
const THREADS = 1;
/** Paced runs: each connection offers this many requests/s, so the pacing stays achievable. */
const PER_CONNECTION_RATE = 50;
const WORKSPACES = 8;
const PARTITIONS = 4;
const LOG_EVENTS = quick ? 100_000 : 1_000_000;
const KILL_ROUNDS = 3;
/** Recovery starts log at info: the node reports each partition's replay ('partition recovered'). */
const INFO = { STOA_LOG_LEVEL: 'info' };
const TARGETS = { commands: 0.3, reads: 0.6, p99Ms: 10, recoveryMs: 2000 };

const work = mkdtempSync(join(process.env.STOA_BENCH_DIR ?? tmpdir(), 'stoa-engine-bench-'));
const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);
const fmt = (n: number, digits = 0): string => n.toFixed(digits).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

type Measured = WrkResult & { readonly cpuUsPerRequest: number };

function describe(r: Measured): string {
  const errors = r.non2xx + r.socketErrors;
  return `${fmt(r.rps)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, ${fmt(r.cpuUsPerRequest)} µs CPU/req${errors > 0 ? `, ${r.non2xx} non-2xx, ${r.socketErrors} socket errors` : ''}`;
}

/**
 * One wrk run plus the server's CPU time per request (its utime+stime over the run / requests):
 * far less sensitive than req/s to other load on the machine, so changes compare on it.
 */
async function measure(server: Child, options: WrkOptions): Promise<Measured> {
  const before = cpuMicros(server.process.pid);
  const r = await runWrk(options);
  return { ...r, cpuUsPerRequest: (cpuMicros(server.process.pid) - before) / Math.max(1, r.requests) };
}

function assertClean(what: string, r: Measured): void {
  if (r.non2xx > 0 || r.socketErrors > 0) throw new Error(`${what}: ${describe(r)}`);
}

/** Demo workspace plus new ones until there are WORKSPACES, at least one per partition. */
async function createWorkspaces(engine: Engine): Promise<number[]> {
  const wsids = [engine.demoWsid];
  for (let i = 0; wsids.length < WORKSPACES || new Set(wsids.map((w) => w % PARTITIONS)).size < PARTITIONS; i++) {
    if (i > 100) throw new Error(`workspaces do not cover ${PARTITIONS} partitions: ${wsids.join(', ')}`);
    const res = await callEngine(engine, 'POST', '/workspaces', {
      kind: 'todo.TodoWS',
      name: `bench-${i}`,
      descriptor: { Title: `bench ${i}` },
    });
    wsids.push(res.json['wsid'] as number);
  }
  return wsids;
}

type Req = { method: string; path: string; body?: string };

function commandRequests(engine: Engine, wsids: readonly number[]): Req[] {
  const prefix = new URL(engine.api).pathname;
  return wsids.flatMap((w, i) =>
    [1, 2, 3].map((priority) => ({
      method: 'POST',
      path: `${prefix}/workspaces/${w}/docs/todo.Task`,
      body: JSON.stringify({ Title: `bench task @N@ in ${i}`, Done: false, Priority: priority }),
    })),
  );
}

function headers(engine: Engine, json: boolean): Record<string, string> {
  return { Authorization: `Bearer ${engine.token}`, ...(json ? { 'Content-Type': 'application/json' } : {}) };
}

/** wrk at ~rate req/s: rate/50 connections, each paced to ~50 req/s (calibrated on a short run). */
async function atRate(
  engine: Engine,
  name: string,
  requests: readonly Req[],
  json: boolean,
  rate: number,
): Promise<{ result: Measured; connections: number }> {
  const connections = Math.max(2, Math.round(rate / PER_CONNECTION_RATE));
  const intervalMs = (connections * 1000) / rate;
  const probe = await runWrk({
    url: engine.base,
    connections,
    threads: 1,
    seconds: 3,
    script: writeWrkScript(work, `${name}-probe`, requests, headers(engine, json), intervalMs),
  });
  // What a request adds to the delay on one connection (latency + wrk's own turn-around).
  const overheadMs = Math.max(0, (connections * 1000) / probe.rps - intervalMs);
  const delayMs = Math.max(0, intervalMs - overheadMs);
  const result = await measure(engine.child, {
    url: engine.base,
    connections,
    threads: 1,
    seconds: SECONDS,
    script: writeWrkScript(work, `${name}-paced`, requests, headers(engine, json), delayMs),
  });
  return { result, connections };
}

interface Row {
  readonly measure: string;
  readonly value: string;
  readonly ratio: string;
  readonly target: string;
  readonly ok: boolean | undefined;
}

async function main(): Promise<Row[]> {
  const rows: Row[] = [];
  buildEngine();

  // (a) The ceiling.
  const hello = await startHello();
  const ceiling = await measure(hello.child, {
    url: hello.url,
    connections: CONNECTIONS,
    threads: THREADS,
    seconds: SECONDS,
  });
  assertClean('hello world', ceiling);
  await stopChild(hello.child);
  log(`node:http hello world: ${describe(ceiling)}`);
  rows.push({
    measure: 'node:http hello world (ceiling)',
    value: describe(ceiling),
    ratio: '1.00',
    target: '',
    ok: undefined,
  });

  // (b) Engine throughput.
  const dataDir = join(work, 'throughput');
  let engine = await startEngine(dataDir);
  const wsids = await createWorkspaces(engine);
  log(`engine ready in ${fmt(engine.readyMs)} ms; workspaces ${wsids.join(', ')}`);
  const commands = commandRequests(engine, wsids);
  const cmd = await measure(engine.child, {
    url: engine.base,
    connections: CONNECTIONS,
    threads: THREADS,
    seconds: SECONDS,
    script: writeWrkScript(work, 'commands', commands, headers(engine, true)),
  });
  assertClean('commands', cmd);
  log(`commands: ${describe(cmd)}`);
  const cmdRatio = cmd.rps / ceiling.rps;
  rows.push({
    measure: 'commands/s (POST docs, durable, 1 sync projector)',
    value: describe(cmd),
    ratio: cmdRatio.toFixed(2),
    target: `≥ ${TARGETS.commands}×`,
    ok: cmdRatio >= TARGETS.commands,
  });

  const prefix = new URL(engine.api).pathname;
  const docReads: Req[] = [];
  for (const w of wsids) {
    const list = await callEngine(engine, 'GET', `/workspaces/${w}/cdocs/todo.Task?limit=50`);
    for (const r of list.json['results'] as Record<string, unknown>[])
      docReads.push({ method: 'GET', path: `${prefix}/workspaces/${w}/docs/todo.Task/${String(r['sys.ID'])}` });
  }
  const where = encodeURIComponent('{"Board":0}');
  const viewReads: Req[] = wsids.map((w) => ({
    method: 'GET',
    path: `${prefix}/workspaces/${w}/views/todo.TaskStats?where=${where}`,
  }));
  const reads: Record<string, Measured> = {};
  for (const [name, requests] of [
    ['doc', docReads],
    ['view', viewReads],
  ] as const) {
    const r = await measure(engine.child, {
      url: engine.base,
      connections: CONNECTIONS,
      threads: THREADS,
      seconds: SECONDS,
      script: writeWrkScript(work, `read-${name}`, requests, headers(engine, false)),
    });
    assertClean(`reads ${name}`, r);
    reads[name] = r;
    log(`reads ${name}: ${describe(r)}`);
    const ratio = r.rps / ceiling.rps;
    rows.push({
      measure: name === 'doc' ? 'reads/s (GET doc by id)' : 'reads/s (GET view TaskStats)',
      value: describe(r),
      ratio: ratio.toFixed(2),
      target: `≥ ${TARGETS.reads}×`,
      ok: ratio >= TARGETS.reads,
    });
  }

  // (c) p99 at half the max rate.
  for (const [name, requests, json, max] of [
    ['commands', commands, true, cmd.rps],
    ['doc reads', docReads, false, reads['doc']!.rps],
  ] as const) {
    const { result, connections } = await atRate(engine, name.replace(' ', '-'), requests, json, max / 2);
    assertClean(`${name} at half load`, result);
    log(`${name} at half load (${fmt(max / 2)} req/s offered): ${describe(result)}`);
    rows.push({
      measure: `${name} p99 at half load (${fmt(max / 2)}/s offered, ${connections} paced conns)`,
      value: describe(result),
      ratio: '',
      target: `p99 ≤ ${TARGETS.p99Ms} ms`,
      ok: result.p99Ms <= TARGETS.p99Ms,
    });
  }
  await stopChild(engine.child);
  engine = await startEngine(dataDir);
  const cleanRestartMs = engine.readyMs;
  await stopChild(engine.child);
  log(`clean restart (small log, checkpointed): ${fmt(cleanRestartMs)} ms`);
  rows.push({
    measure: 'start after SIGTERM, small log (process + app load baseline)',
    value: `${fmt(cleanRestartMs)} ms`,
    ratio: '',
    target: '',
    ok: undefined,
  });

  // (d) Recovery with a large log.
  if (noRecovery) return rows;
  const bigDir = join(work, 'recovery');
  const fill = spawnChild(['--import', 'tsx', 'bench/engine/fill-log.ts'], {
    STOA_BENCH_DATA_DIR: bigDir,
    STOA_BENCH_EVENTS: String(LOG_EVENTS),
    STOA_BENCH_CHECKPOINTS: 'off',
  });
  const filled = await waitFor('the log fill', 1_200_000, () => {
    if (fill.process.exitCode !== null) throw new Error(`fill-log exited:\n${fill.output()}`);
    const m = /filled (\d+) (\d+) ([\d,]+)/.exec(fill.output());
    return m === null ? undefined : { events: Number(m[1]), ms: Number(m[2]), wsids: m[3]!.split(',').map(Number) };
  });
  log(`filled ${fmt(filled.events)} events in ${fmt(filled.ms)} ms (${fmt((filled.events * 1000) / filled.ms)}/s)`);
  await stopChild(fill, 'SIGKILL');

  engine = await startEngine(bigDir, INFO);
  const full = readRecovery(engine.child.output());
  log(`recovery replaying ${fmt(full.replayed)} events (no checkpoint): ${fmt(engine.readyMs)} ms`);
  rows.push({
    measure: `recovery after SIGKILL, ${fmt(filled.events)} events, no checkpoint (full replay)`,
    value: `${fmt(engine.readyMs)} ms to ready; replay of ${fmt(full.replayed)} events ${fmt(full.ms)} ms (${fmt((full.replayed * 1000) / Math.max(1, full.ms))}/s)`,
    ratio: '',
    target: 'worst case, not a target',
    ok: undefined,
  });

  const killed: { readyMs: number; replayed: number; ms: number }[] = [];
  let acknowledged = 0;
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const load = runWrk({
      url: engine.base,
      connections: CONNECTIONS,
      threads: THREADS,
      seconds: 4,
      script: writeWrkScript(work, 'kill-load', commandRequests(engine, filled.wsids), headers(engine, true)),
    }).then(
      (r) => (acknowledged += r.requests - r.non2xx),
      () => undefined,
    );
    await sleep(2500 + Math.random() * 1000);
    await stopChild(engine.child, 'SIGKILL');
    await load;
    engine = await startEngine(bigDir, INFO);
    killed.push({ readyMs: engine.readyMs, ...readRecovery(engine.child.output()) });
    log(`recovery after SIGKILL under load (round ${round + 1}): ${JSON.stringify(killed.at(-1))}`);
  }
  await stopChild(engine.child);
  const worst = Math.max(...killed.map((k) => k.readyMs));
  rows.push({
    measure: `recovery after SIGKILL under load, ≥ ${fmt(filled.events)} events in the log, recent checkpoint (${KILL_ROUNDS}×)`,
    value: `${killed.map((k) => fmt(k.readyMs)).join(' / ')} ms to ready; replay ${killed.map((k) => `${fmt(k.replayed)} ev ${fmt(k.ms)} ms`).join(' / ')}`,
    ratio: '',
    target: `≤ ${fmt(TARGETS.recoveryMs)} ms`,
    ok: worst <= TARGETS.recoveryMs,
  });
  log(`~${fmt(acknowledged)} commands acknowledged during the kill rounds`);
  return rows;
}

function printTable(rows: readonly Row[]): void {
  const header = ['measure', 'result', 'ratio vs ceiling', 'target', 'met'];
  const lines = rows.map((r) => [r.measure, r.value, r.ratio, r.target, r.ok === undefined ? '' : r.ok ? 'yes' : 'NO']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(
    `\nengine bench${quick ? ' (--quick)' : ''}: wrk ${THREADS} threads, ${CONNECTIONS} connections, ${SECONDS} s per run\n`,
  );
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const l of lines) console.log(line(l));
}

process.once('SIGINT', () => {
  killAll();
  process.exit(130);
});
try {
  log(
    `${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  printTable(await main());
  log(
    `load average at the end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  killAll();
  rmSync(work, { recursive: true, force: true });
}
