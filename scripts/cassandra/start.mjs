#!/usr/bin/env node
// Start a real single-node Apache Cassandra 5.0 (jars from Maven Central, see
// pom.xml / fetch.sh) on 127.0.0.1 for storage tests. No npm dependencies.
//
// Library:
//   import { ensureCassandra } from './scripts/cassandra/start.mjs';
//   const c = await ensureCassandra({ port: 9042, dataDir, log: console.log });
//   ... cassandra-driver: contactPoints [`${c.host}:${c.port}`], localDataCenter 'datacenter1'
//   await c.stop();
//
// CLI:
//   node scripts/cassandra/start.mjs [--port 9042] [--data-dir DIR] [--detach] [--fresh]
//                                    [--heap 1G] [--timeout-ms 180000] [--unsafe-schema]
//   node scripts/cassandra/start.mjs --stop [--data-dir DIR | --port 9042]
//   node scripts/cassandra/start.mjs --status [--port 9042]
//
// See README.md next to this file for measurements and pitfalls.
//
// The pieces: cql-probe.mjs (CQL handshake), java.mjs (classpath, Java, AppCDS), config.mjs
// (cassandra.yaml, logback, JVM flags), process.mjs (lock, pid file, spawn, wait, kill).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDataDir } from './config.mjs';
import { DEFAULT_PORT, HOST, probeCql } from './cql-probe.mjs';
import { finalizeCds } from './java.mjs';
import { alive, isOurCassandra, killPid, PID_FILE, readPid, rssMiB, startOrReuse } from './process.mjs';

export { defaultDataDir, LOCAL_DATACENTER } from './config.mjs';
export { DEFAULT_PORT, probeCql } from './cql-probe.mjs';
export { killPid, rssMiB } from './process.mjs';

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * Make sure a Cassandra answers CQL on 127.0.0.1:port; start one if not.
 * @param {object} [o]
 * @param {number} [o.port=9042]            CQL native port.
 * @param {string} [o.dataDir]              data, commitlog, logs, generated config (default $TMPDIR/cassandra-test-<port>).
 * @param {number} [o.timeoutMs=180000]     give up (and kill the JVM) after this long.
 * @param {(msg:string)=>void} [o.log]      progress messages.
 * @param {string} [o.heap='1G']            -Xms/-Xmx.
 * @param {boolean} [o.fresh=false]         wipe dataDir first (empty cluster).
 * @param {boolean} [o.detached=false]      let the JVM outlive this Node process.
 * @param {string[]} [o.extraJvmArgs]       appended before the main class.
 * @param {boolean} [o.unsafeSchema=false]  -Dcassandra.unsafesystem=true: ~4x faster DDL, schema not crash-safe.
 * @returns {Promise<{reused:boolean, host:string, port:number, pid?:number, startMs?:number, version?:string|null, localDataCenter:string, dataDir:string, stop:()=>Promise<void>}>}
 */
export async function ensureCassandra(options = {}) {
  // concurrent calls in one process (e.g. parallel test files in one worker) share one start
  const key = String(options.port ?? DEFAULT_PORT);
  const pending = inflight.get(key);
  if (pending) {
    try {
      const r = await pending;
      return { ...r, reused: true, pid: undefined, startMs: undefined, stop: async () => {} };
    } catch {
      /* that start failed; try again ourselves */
    }
  }
  const p = startOrReuse(options);
  inflight.set(key, p);
  try {
    return await p;
  } finally {
    if (inflight.get(key) === p) inflight.delete(key);
  }
}

const inflight = new Map();

/** Stop a Cassandra started (e.g. with --detach) on dataDir, via its pid file. */
export async function stopCassandra({ dataDir, port = DEFAULT_PORT, log = () => {}, graceMs = 15000 } = {}) {
  dataDir = path.resolve(dataDir || defaultDataDir(port));
  const pidFile = path.join(dataDir, PID_FILE);
  const pid = readPid(pidFile);
  if (!pid || !alive(pid)) {
    log(`no running Cassandra for ${dataDir}`);
    fs.rmSync(pidFile, { force: true });
    return false;
  }
  if (!isOurCassandra(pid, dataDir)) {
    log(`pid ${pid} in ${pidFile} is not a Cassandra for this data dir; removing stale pid file`);
    fs.rmSync(pidFile, { force: true });
    return false;
  }
  const t0 = Date.now();
  const graceful = await killPid(pid, graceMs);
  fs.rmSync(pidFile, { force: true });
  finalizeCds(dataDir, graceful);
  log(`stopped Cassandra pid ${pid} in ${Date.now() - t0} ms`);
  return true;
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

function parseArgs(argv) {
  const o = {
    port: DEFAULT_PORT,
    dataDir: undefined,
    detach: false,
    stop: false,
    status: false,
    fresh: false,
    heap: '1G',
    timeoutMs: 180000,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--port') o.port = Number(val());
    else if (a === '--data-dir') o.dataDir = val();
    else if (a === '--detach') o.detach = true;
    else if (a === '--stop') o.stop = true;
    else if (a === '--status') o.status = true;
    else if (a === '--fresh') o.fresh = true;
    else if (a === '--unsafe-schema') o.unsafeSchema = true;
    else if (a === '--heap') o.heap = val();
    else if (a === '--timeout-ms') o.timeoutMs = Number(val());
    else if (a === '-h' || a === '--help') o.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(o.port) || o.port <= 0 || o.port > 65535) throw new Error('bad --port');
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const log = (m) => console.log(`[cassandra] ${m}`);
  if (o.help) {
    console.log(
      'usage: node scripts/cassandra/start.mjs [--port 9042] [--data-dir DIR] [--detach] [--fresh] [--unsafe-schema] [--heap 1G] [--timeout-ms N]\n       node scripts/cassandra/start.mjs --stop [--data-dir DIR | --port N]\n       node scripts/cassandra/start.mjs --status [--port N]',
    );
    return 0;
  }
  if (o.stop) {
    await stopCassandra({ dataDir: o.dataDir, port: o.port, log });
    return 0;
  }
  if (o.status) {
    const p = await probeCql(HOST, o.port, 3000);
    console.log(
      p.state === 'ready'
        ? `ready: Cassandra ${p.version} on ${HOST}:${o.port}`
        : `not ready (${p.state}${p.detail ? `: ${p.detail}` : ''})`,
    );
    return p.state === 'ready' ? 0 : 1;
  }
  const c = await ensureCassandra({
    port: o.port,
    dataDir: o.dataDir,
    timeoutMs: o.timeoutMs,
    log,
    heap: o.heap,
    fresh: o.fresh,
    unsafeSchema: o.unsafeSchema,
    detached: o.detach,
  });
  if (c.reused) {
    console.log(`already running on ${c.host}:${c.port}; nothing started`);
    return 0;
  }
  console.log(
    `start_ms=${c.startMs} rss_mib=${rssMiB(c.pid)} pid=${c.pid} version=${c.version} host=${c.host} port=${c.port} data_dir=${c.dataDir}`,
  );
  if (o.detach) {
    console.log(
      `running in the background; stop with: node ${path.relative(process.cwd(), fileURLToPath(import.meta.url))} --stop --data-dir ${c.dataDir}`,
    );
    return 0;
  }
  console.log('running in the foreground; Ctrl-C to stop');
  await new Promise((resolve) => {
    const onSig = () => resolve();
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
  });
  await c.stop();
  console.log('stopped');
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      console.error(`[cassandra] ERROR: ${e.message}`);
      process.exit(1);
    },
  );
}
