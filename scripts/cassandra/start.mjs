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

import { spawn, spawnSync, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CACHE_DIR = path.join(HERE, '.cache');
const CP_FILE = path.join(CACHE_DIR, 'classpath.txt');
const CP_STAMP = path.join(CACHE_DIR, 'classpath.pom-sha256');
const HOST = '127.0.0.1';
const PID_FILE = 'cassandra.pid';
const LOCK_FILE = '.starting.lock';

export const DEFAULT_PORT = 9042;
/** cassandra-driver needs this as `localDataCenter` (SimpleSnitch's fixed name). */
export const LOCAL_DATACENTER = 'datacenter1';

/** Outside the repo on purpose: `prettier --check .` would otherwise trip over the generated cassandra.yaml. */
export function defaultDataDir(port = DEFAULT_PORT) {
  return path.join(os.tmpdir(), `cassandra-test-${port}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------
// Minimal CQL native protocol v4 client: OPTIONS -> SUPPORTED, STARTUP -> READY,
// QUERY "SELECT release_version FROM system.local" -> RESULT/Rows.
// ---------------------------------------------------------------------------

const OP = {
  ERROR: 0x00,
  STARTUP: 0x01,
  READY: 0x02,
  AUTHENTICATE: 0x03,
  OPTIONS: 0x05,
  SUPPORTED: 0x06,
  QUERY: 0x07,
  RESULT: 0x08,
};

function frame(stream, opcode, body = Buffer.alloc(0)) {
  const h = Buffer.alloc(9);
  h.writeUInt8(0x04, 0); // v4 request
  h.writeUInt8(0, 1); // flags
  h.writeInt16BE(stream, 2);
  h.writeUInt8(opcode, 4);
  h.writeInt32BE(body.length, 5);
  return Buffer.concat([h, body]);
}
function cqlString(s) {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}
function cqlLongString(s) {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeInt32BE(b.length);
  return Buffer.concat([len, b]);
}
function startupBody() {
  const n = Buffer.alloc(2);
  n.writeUInt16BE(1);
  return Buffer.concat([n, cqlString('CQL_VERSION'), cqlString('3.0.0')]);
}
function queryBody(cql) {
  const tail = Buffer.alloc(3);
  tail.writeUInt16BE(0x0001, 0); // consistency ONE
  tail.writeUInt8(0, 2); // no flags
  return Buffer.concat([cqlLongString(cql), tail]);
}

class Reader {
  constructor(buf) {
    this.b = buf;
    this.o = 0;
  }
  int() {
    const v = this.b.readInt32BE(this.o);
    this.o += 4;
    return v;
  }
  short() {
    const v = this.b.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }
  string() {
    const n = this.short();
    const s = this.b.toString('utf8', this.o, this.o + n);
    this.o += n;
    return s;
  }
  bytes() {
    const n = this.int();
    if (n < 0) return null;
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  option() {
    const id = this.short();
    if (id === 0x0000)
      this.string(); // custom
    else if (id === 0x0020 || id === 0x0022)
      this.option(); // list, set
    else if (id === 0x0021) {
      this.option();
      this.option();
    } // map
    else if (id === 0x0030) {
      this.string();
      this.string();
      const n = this.short();
      for (let i = 0; i < n; i++) {
        this.string();
        this.option();
      }
    } // udt
    else if (id === 0x0031) {
      const n = this.short();
      for (let i = 0; i < n; i++) this.option();
    } // tuple
  }
}

/** Parse the first text cell of a RESULT/Rows body (enough for system.local.release_version). */
function firstCell(body) {
  const r = new Reader(body);
  if (r.int() !== 2) return null; // not Rows
  const flags = r.int();
  const cols = r.int();
  if (flags & 0x0002) r.bytes(); // paging state
  if (!(flags & 0x0004)) {
    const global = flags & 0x0001;
    if (global) {
      r.string();
      r.string();
    }
    for (let i = 0; i < cols; i++) {
      if (!global) {
        r.string();
        r.string();
      }
      r.string();
      r.option();
    }
  }
  if (r.int() < 1 || cols < 1) return null;
  const cell = r.bytes();
  return cell ? cell.toString('utf8') : null;
}

/**
 * Probe host:port with a real CQL handshake.
 * Resolves { state: 'ready', version } | { state: 'refused' } | { state: 'not-cql', detail } (answered, but not CQL)
 *        | { state: 'error' | 'not-ready', detail } (socket error / CQL error)
 *        | { state: 'timeout' } (connected but no complete answer in time).
 */
export function probeCql(host = HOST, port = DEFAULT_PORT, timeoutMs = 3000) {
  return new Promise((resolve) => {
    let done = false;
    let buf = Buffer.alloc(0);
    let version = null;
    const sock = net.connect({ host, port });
    const finish = (res) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(res);
    };
    const timer = setTimeout(() => finish({ state: 'timeout' }), timeoutMs);
    sock.on('connect', () => sock.write(frame(0, OP.OPTIONS)));
    sock.on('error', (e) =>
      finish(e.code === 'ECONNREFUSED' ? { state: 'refused' } : { state: 'error', detail: e.message }),
    );
    sock.on('close', () => finish({ state: 'error', detail: 'connection closed during CQL handshake' }));
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 9) {
        const ver = buf.readUInt8(0);
        const len = buf.readInt32BE(5);
        if ((ver & 0x80) === 0 || (ver & 0x7f) < 1 || (ver & 0x7f) > 6 || len < 0 || len > 1 << 24) {
          return finish({ state: 'not-cql', detail: `unexpected bytes ${buf.subarray(0, 9).toString('hex')}` });
        }
        if (buf.length < 9 + len) return;
        const opcode = buf.readUInt8(4);
        const body = buf.subarray(9, 9 + len);
        buf = buf.subarray(9 + len);
        if (opcode === OP.SUPPORTED) sock.write(frame(1, OP.STARTUP, startupBody()));
        else if (opcode === OP.READY)
          sock.write(frame(2, OP.QUERY, queryBody('SELECT release_version FROM system.local')));
        else if (opcode === OP.AUTHENTICATE) finish({ state: 'ready', version: null, auth: true });
        else if (opcode === OP.RESULT) {
          try {
            version = firstCell(body);
          } catch {
            /* ignore parse problems */
          }
          finish({ state: 'ready', version });
        } else if (opcode === OP.ERROR) {
          let msg = '';
          try {
            const r = new Reader(body);
            const code = r.int();
            msg = `0x${code.toString(16)} ${r.string()}`;
          } catch {
            /* */
          }
          finish({ state: 'not-ready', detail: `CQL error ${msg}` });
        } else finish({ state: 'not-cql', detail: `unexpected opcode ${opcode}` });
      }
    });
  });
}

// ---------------------------------------------------------------------------
// Classpath (Maven) and Java
// ---------------------------------------------------------------------------

function classpathValid() {
  try {
    const stamp = fs.readFileSync(CP_STAMP, 'utf8').trim();
    const sha = createHash('sha256')
      .update(fs.readFileSync(path.join(HERE, 'pom.xml')))
      .digest('hex');
    if (stamp !== sha) return null;
    const jars = fs.readFileSync(CP_FILE, 'utf8').trim().split(':').filter(Boolean);
    if (jars.length < 10 || !jars.some((j) => /cassandra-all-[^/]*\.jar$/.test(j))) return null;
    for (const j of jars) if (!fs.existsSync(j)) return null;
    return jars;
  } catch {
    return null;
  }
}

async function ensureClasspath(log) {
  let jars = classpathValid();
  if (jars) return jars;
  log('resolving Cassandra jars with Maven (bash fetch.sh)...');
  const t0 = Date.now();
  await new Promise((resolve, reject) => {
    execFile('bash', [path.join(HERE, 'fetch.sh')], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      for (const line of `${stdout}`.split('\n').filter(Boolean)) log(line);
      if (err) reject(new Error(`scripts/cassandra/fetch.sh failed: ${err.message}\n${stderr}`));
      else resolve();
    });
  });
  jars = classpathValid();
  if (!jars) throw new Error(`fetch.sh ran but ${CP_FILE} is still missing or invalid`);
  log(`classpath ready in ${Date.now() - t0} ms`);
  return jars;
}

function javaVersion(bin) {
  const r = spawnSync(bin, ['-version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const text = `${r.stderr}${r.stdout}`;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return null;
  const major = Number(m[1]);
  return { major: major === 1 ? Number(m[2]) : major, text };
}

/** Cassandra 5.0 runs on Java 11 or 17 only; find one (CASSANDRA_JAVA, JAVA_HOME, PATH, /usr/lib/jvm). */
function findJava(log) {
  const candidates = [];
  if (process.env.CASSANDRA_JAVA) candidates.push(process.env.CASSANDRA_JAVA);
  if (process.env.JAVA_HOME) candidates.push(path.join(process.env.JAVA_HOME, 'bin', 'java'));
  candidates.push('java');
  try {
    for (const d of fs.readdirSync('/usr/lib/jvm').sort().reverse())
      candidates.push(path.join('/usr/lib/jvm', d, 'bin', 'java'));
  } catch {
    /* no /usr/lib/jvm */
  }
  const seen = [];
  for (const bin of candidates) {
    const v = javaVersion(bin);
    if (v == null) continue;
    seen.push(`${bin} (${v.major})`);
    if (v.major === 17 || v.major === 11) {
      if (seen.length > 1) log(`using ${bin}; skipped unsupported ${seen.slice(0, -1).join(', ')}`);
      return { bin, major: v.major, versionText: v.text };
    }
  }
  throw new Error(
    `Cassandra 5.0 needs Java 17 (or 11); found: ${seen.join(', ') || 'no java'}. Set CASSANDRA_JAVA=/path/to/java`,
  );
}

// ---------------------------------------------------------------------------
// Config generation
// ---------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function yamlConfig({ dataDir, port, storagePort }) {
  const d = (sub) => JSON.stringify(path.join(dataDir, sub));
  return `# Generated by scripts/cassandra/start.mjs -- single-node test server, do not use in production.
cluster_name: 'Test Cluster'
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
storage_compatibility_mode: NONE

listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: ${storagePort}
native_transport_port: ${port}
start_native_transport: true
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:${storagePort}"
auto_bootstrap: false

authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
network_authorizer: AllowAllNetworkAuthorizer

data_file_directories:
  - ${d('data')}
commitlog_directory: ${d('commitlog')}
saved_caches_directory: ${d('saved_caches')}
hints_directory: ${d('hints')}
cdc_raw_directory: ${d('cdc_raw')}

# durability/speed trade-offs that are fine for a throwaway test node
commitlog_sync: periodic
commitlog_sync_period: 1000ms
hinted_handoff_enabled: false
auto_snapshot: false
snapshot_before_compaction: false
incremental_backups: false
trickle_fsync: false

# keep memory small
memtable_heap_space: 64MiB
memtable_offheap_space: 64MiB
key_cache_size: 8MiB
row_cache_size: 0MiB
counter_cache_size: 0MiB
file_cache_size: 32MiB
networking_cache_size: 16MiB
index_summary_capacity: 8MiB
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 8
concurrent_compactors: 1
compaction_throughput: 0MiB/s

# a shared 2-core CI box can be slow: be generous with server-side timeouts
read_request_timeout: 10000ms
range_request_timeout: 10000ms
write_request_timeout: 10000ms
counter_write_request_timeout: 10000ms
cas_contention_timeout: 5000ms
truncate_request_timeout: 60000ms
request_timeout: 10000ms

disk_failure_policy: stop
commit_failure_policy: stop
`;
}

function logbackConfig(logDir) {
  const f = path.join(logDir, 'system.log');
  return `<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>${f}</file>
    <append>true</append>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <logger name="org.apache.cassandra" level="INFO"/>
  <logger name="com.datastax" level="WARN"/>
  <logger name="io.netty" level="WARN"/>
  <logger name="net.openhft" level="WARN"/>
  <root level="INFO"><appender-ref ref="FILE"/></root>
</configuration>
`;
}

// Flags from Cassandra 5.0's conf/jvm-server.options + conf/jvm17-server.options
// (JPMS opens are required on Java 17: without them startup fails with
// InaccessibleObjectException), trimmed for a small, fast-starting test node.
const JPMS_FLAGS = [
  '--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports=java.sql/java.sql=ALL-UNNAMED',
  '--add-exports=java.base/java.lang.ref=ALL-UNNAMED',
  '--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
];

function jammJar(jars) {
  return jars.find((j) => /\/jamm-[\d.]+\.jar$/.test(j));
}

// ---------------------------------------------------------------------------
// AppCDS: a dynamic class-data-sharing archive of Cassandra's classes cuts JVM
// start by ~0.7 s and RSS by ~50 MiB. The first start (per java + classpath) runs
// with -XX:ArchiveClassesAtExit=<tmp>; the JVM writes the archive when it exits
// after SIGTERM (adds ~3 s to that one stop); stop() then renames it into place.
// A stale or broken archive is only a warning (-Xshare:auto is the default).
// Disable with CASSANDRA_CDS=0.
// ---------------------------------------------------------------------------

const CDS_DIR = path.join(CACHE_DIR, 'cds');
const CDS_PENDING = 'cds-pending.json';

function cdsArgs({ java, jars, confDir }) {
  fs.rmSync(path.join(confDir, CDS_PENDING), { force: true });
  if (process.env.CASSANDRA_CDS === '0' || java.major < 13) return [];
  const key = createHash('sha256')
    .update(`${java.bin}\n${java.versionText}\n${jars.join(':')}`)
    .digest('hex')
    .slice(0, 16);
  const final = path.join(CDS_DIR, `cassandra-${key}.jsa`);
  const agentOk = ['-XX:+UnlockDiagnosticVMOptions', '-XX:+AllowArchivingWithJavaAgent']; // jamm is a -javaagent
  try {
    if (fs.statSync(final).size > 1 << 20) return [...agentOk, `-XX:SharedArchiveFile=${final}`];
  } catch {
    /* no archive yet */
  }
  fs.mkdirSync(CDS_DIR, { recursive: true });
  for (const f of fs.readdirSync(CDS_DIR)) {
    // archives half-written or never finalized (JVM killed, or stopped by a Node exit hook): drop after 10 min
    const full = path.join(CDS_DIR, f);
    if (f.includes('.jsa.tmp-') && Date.now() - fs.statSync(full).mtimeMs > 600_000) fs.rmSync(full, { force: true });
  }
  const tmp = `${final}.tmp-${process.pid}-${Date.now()}`;
  fs.writeFileSync(path.join(confDir, CDS_PENDING), JSON.stringify({ tmp, final }));
  return [...agentOk, `-XX:ArchiveClassesAtExit=${tmp}`];
}

/** After the JVM is gone: keep the archive it dumped (if it exited cleanly), else drop it. */
function finalizeCds(dataDir, graceful) {
  const pending = path.join(dataDir, 'conf', CDS_PENDING);
  let p;
  try {
    p = JSON.parse(fs.readFileSync(pending, 'utf8'));
  } catch {
    return;
  }
  fs.rmSync(pending, { force: true });
  try {
    if (graceful && !fs.existsSync(p.final) && fs.statSync(p.tmp).size > 1 << 20) {
      fs.renameSync(p.tmp, p.final);
      return;
    }
  } catch {
    /* no tmp archive */
  }
  fs.rmSync(p.tmp, { force: true });
}

function jvmArgs({ jars, dataDir, heap, yamlPath, logbackPath, extraJvmArgs, cds, unsafeSchema }) {
  const jamm = jammJar(jars);
  return [
    `-Xms${heap}`,
    `-Xmx${heap}`,
    '-Xss256k',
    '-XX:+UseG1GC',
    '-XX:+ParallelRefProcEnabled',
    '-XX:MaxTenuringThreshold=1',
    '-XX:MaxGCPauseMillis=300',
    '-XX:+UseThreadPriorities',
    '-XX:+PerfDisableSharedMem',
    '-XX:TieredStopAtLevel=1', // C1 only: faster JVM warm-up, plenty for tests
    '-Djava.net.preferIPv4Stack=true',
    '-Djdk.attach.allowAttachSelf=true',
    '-Dio.netty.tryReflectionSetAccessible=true',
    '-Dio.netty.allocator.useCacheForAllThreads=true',
    '-Dio.netty.allocator.maxOrder=11',
    ...JPMS_FLAGS,
    ...cds,
    ...(jamm ? [`-javaagent:${jamm}`] : []),
    `-Dcassandra.config=${pathToFileURL(yamlPath).href}`,
    `-Dlogback.configurationFile=${pathToFileURL(logbackPath).href}`,
    '-Dcassandra-foreground=yes',
    `-Dcassandra.storagedir=${dataDir}`,
    `-Dcassandra.logdir=${path.join(dataDir, 'logs')}`,
    // fast single-node start
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    '-Dcassandra.ring_delay_ms=100',
    '-Dcassandra.superuser_setup_delay_ms=0',
    '-Dcassandra.auto_bootstrap=false',
    '-Dcassandra.join_ring=true',
    '-Dcassandra.load_ring_state=false',
    // no flush of system tables on schema change: DDL 20-40 ms instead of 80-140 ms, but a SIGKILLed node
    // forgets recent schema (and drops the rows written to it) -- so off by default
    ...(unsafeSchema ? ['-Dcassandra.unsafesystem=true'] : []),
    '-Dcassandra.skip_sync=true', // no fsync of commitlog/sstables (throwaway test data)
    '-Dcassandra.memtable.row_overhead_size=180', // skip the ~1 s memtable overhead self-measurement at boot
    // fast stop: no 2 s gossip shutdown announcement, no 2 s messaging quiesce wait
    '-Dcassandra.shutdown_announce_in_ms=0',
    '-Dcassandra.test.messagingService.nonGracefulShutdown=true',
    '-Dchronicle.announcer.disable=true',
    '-Dchronicle.analytics.disable=true',
    ...extraJvmArgs,
    '-cp',
    jars.join(':'),
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}

/**
 * Cassandra calls mlockall(MCL_CURRENT) at boot. As root (CAP_IPC_LOCK) or with an
 * unlimited RLIMIT_MEMLOCK that succeeds, faults in and pins the whole 1 GiB heap:
 * +~1 GiB RSS and ~2.5 s of start time. There is no Cassandra switch for it, so run the
 * JVM with a tiny memlock limit (prlimit) and, as root, without CAP_IPC_LOCK (setpriv):
 * mlockall then fails harmlessly ("Unable to lock JVM memory"). Both tools are util-linux,
 * exec in place (the pid stays the JVM's) and are skipped when absent.
 */
function noMlockWrapper(javaBin, args) {
  const has = (bin) => ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].some((d) => fs.existsSync(path.join(d, bin)));
  if (process.env.CASSANDRA_ALLOW_MLOCK === '1' || !has('prlimit')) return [javaBin, args];
  const pre = [];
  if (process.getuid?.() === 0 && has('setpriv'))
    pre.push('setpriv', '--inh-caps=-ipc_lock', '--bounding-set=-ipc_lock', '--');
  pre.push('prlimit', '--memlock=65536:65536', '--', javaBin, ...args);
  return [pre[0], pre.slice(1)];
}

// ---------------------------------------------------------------------------
// Process helpers
// ---------------------------------------------------------------------------

function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return e.code === 'EPERM';
  }
  try {
    // zombie?
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function isOurCassandra(pid, dataDir) {
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return (
      cmd.includes('org.apache.cassandra.service.CassandraDaemon') &&
      (!dataDir || cmd.includes(`-Dcassandra.storagedir=${dataDir}\0`))
    );
  } catch {
    return false;
  }
}

/** native_transport_port of the config last generated in dataDir. */
function configuredPort(dataDir) {
  try {
    const m = /^native_transport_port:\s*(\d+)/m.exec(
      fs.readFileSync(path.join(dataDir, 'conf', 'cassandra.yaml'), 'utf8'),
    );
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function readPid(file) {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

export function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

function tail(file, n = 40) {
  try {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

function logTail(dataDir, n = 40) {
  const sys = path.join(dataDir, 'logs', 'system.log');
  const out = path.join(dataDir, 'logs', 'stdout.log');
  let s = `--- last lines of ${sys} ---\n${tail(sys, n)}`;
  try {
    if (fs.statSync(out).size > 0) s += `\n--- last lines of ${out} (JVM stdout/stderr) ---\n${tail(out, 15)}`;
  } catch {
    /* */
  }
  return s;
}

/** SIGTERM, wait up to graceMs, then SIGKILL; resolves when the process is gone (true: it exited by itself). */
export async function killPid(pid, graceMs = 15000) {
  if (!alive(pid)) return true;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (!alive(pid)) return true;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* */
  }
  while (alive(pid)) await sleep(50);
  return false;
}

async function waitReady(port, deadline, isDead) {
  let last = null;
  while (Date.now() < deadline) {
    const dead = isDead?.();
    if (dead) return { state: 'exited', detail: dead };
    last = await probeCql(HOST, port, 2000);
    if (last.state === 'ready') return last;
    await sleep(last.state === 'refused' ? 200 : 500);
  }
  return { state: 'timeout', detail: last && last.detail };
}

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

async function startOrReuse({
  port = DEFAULT_PORT,
  dataDir,
  timeoutMs = 180000,
  log = () => {},
  heap = '1G',
  fresh = false,
  detached = false,
  extraJvmArgs = [],
  unsafeSchema = false,
} = {}) {
  const t0 = Date.now();
  const deadline = t0 + timeoutMs;
  dataDir = path.resolve(dataDir || defaultDataDir(port));
  const base = { host: HOST, port, localDataCenter: LOCAL_DATACENTER, dataDir };
  const reused = (version) => ({ ...base, reused: true, version, stop: async () => {} });

  // 1. Already running?
  const p = await probeCql(HOST, port, 3000);
  if (p.state === 'ready') {
    log(`reusing Cassandra ${p.version ?? ''} already answering CQL on ${HOST}:${port}`);
    return reused(p.version);
  }
  if (p.state === 'not-cql') {
    throw new Error(`port ${HOST}:${port} is taken by something that is not a CQL server (${p.detail})`);
  }
  if (p.state !== 'refused') {
    // something listens but does not answer CQL (yet); maybe a Cassandra finishing its start
    log(`port ${port} is open but not ready for CQL (${p.state}${p.detail ? `: ${p.detail}` : ''}); waiting`);
    const w = await waitReady(port, Math.min(deadline, Date.now() + 30000));
    if (w.state === 'ready') return reused(w.version);
    throw new Error(`port ${HOST}:${port} is taken by something that does not answer CQL (${w.detail ?? w.state})`);
  }

  fs.mkdirSync(dataDir, { recursive: true });
  const pidFile = path.join(dataDir, PID_FILE);
  const lockFile = path.join(dataDir, LOCK_FILE);

  // 2. Another process (or an earlier detached run) already starting/running a JVM on this dataDir?
  //    Wait for it: reuse it once it answers CQL; if it goes away first (a JVM still shutting down, a
  //    starter that failed), look again and start our own.
  const waitForOther = async (what, pid, stillOwner) => {
    log(`${what} (pid ${pid}) owns ${dataDir}; waiting for it`);
    const w = await waitReady(port, deadline, () => (stillOwner() ? null : 'gone'));
    if (w.state === 'ready') return reused(w.version);
    if (w.state === 'exited') return null;
    throw new Error(
      `Cassandra started by ${what} (pid ${pid}) did not become ready on port ${port}: ${w.detail ?? w.state}\n${logTail(dataDir)}`,
    );
  };
  for (;;) {
    const running = readPid(pidFile);
    if (running && alive(running) && isOurCassandra(running, dataDir)) {
      const itsPort = configuredPort(dataDir);
      if (itsPort !== port) {
        throw new Error(
          `data dir ${dataDir} is in use by Cassandra pid ${running} on port ${itsPort}; stop it first: node scripts/cassandra/start.mjs --stop --data-dir ${dataDir}`,
        );
      }
      const r = await waitForOther('a Cassandra JVM', running, () => alive(running));
      if (r) return r;
      continue;
    }
    // take the start lock atomically (link() fails if it exists), with our pid already in it
    const tmpLock = `${lockFile}.${process.pid}.${Date.now()}`;
    fs.writeFileSync(tmpLock, String(process.pid));
    try {
      fs.linkSync(tmpLock, lockFile);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const holder = readPid(lockFile);
      if (holder && alive(holder)) {
        const r = await waitForOther(
          'another starter process',
          holder,
          () => alive(holder) && readPid(lockFile) === holder,
        );
        if (r) return r;
      } else {
        fs.rmSync(lockFile, { force: true }); // stale: its starter died
      }
    } finally {
      fs.rmSync(tmpLock, { force: true });
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for another start on ${dataDir}`);
  }
  const unlock = () => fs.rmSync(lockFile, { force: true });

  let child;
  try {
    // 3. Prepare classpath, java, config
    const jars = await ensureClasspath(log);
    const java = findJava(log);
    if (fresh) {
      for (const sub of ['data', 'commitlog', 'saved_caches', 'hints', 'cdc_raw', 'logs'])
        fs.rmSync(path.join(dataDir, sub), { recursive: true, force: true });
    }
    const logDir = path.join(dataDir, 'logs');
    fs.mkdirSync(logDir, { recursive: true });
    const confDir = path.join(dataDir, 'conf');
    fs.mkdirSync(confDir, { recursive: true });
    const storagePort = await freePort();
    const yamlPath = path.join(confDir, 'cassandra.yaml');
    const logbackPath = path.join(confDir, 'logback.xml');
    fs.writeFileSync(yamlPath, yamlConfig({ dataDir, port, storagePort }));
    fs.writeFileSync(logbackPath, logbackConfig(logDir));
    const cds = cdsArgs({ java, jars, confDir });
    const args = jvmArgs({ jars, dataDir, heap, yamlPath, logbackPath, extraJvmArgs, cds, unsafeSchema });
    fs.writeFileSync(path.join(confDir, 'java-command.txt'), [java.bin, ...args].join(' \\\n  ') + '\n');

    // 4. Spawn
    const outFd = fs.openSync(path.join(logDir, 'stdout.log'), 'a');
    const sysLog = path.join(logDir, 'system.log');
    fs.appendFileSync(
      sysLog,
      `\n===== start.mjs: starting Cassandra on ${HOST}:${port} (storage ${storagePort}) at ${new Date().toISOString()} =====\n`,
    );
    log(
      `starting Cassandra (java ${java.major}, heap ${heap}) on ${HOST}:${port}, storage_port ${storagePort}, data ${dataDir}`,
    );
    const spawnT0 = Date.now();
    const [cmd, cmdArgs] = noMlockWrapper(java.bin, args);
    child = spawn(cmd, cmdArgs, {
      cwd: dataDir,
      detached,
      stdio: ['ignore', outFd, outFd],
      env: { ...process.env, MALLOC_ARENA_MAX: '4' },
    });
    fs.closeSync(outFd);
    let exitInfo = null;
    child.on('exit', (code, sig) => {
      exitInfo = `JVM exited early (code ${code}, signal ${sig})`;
    });
    child.on('error', (e) => {
      exitInfo = `failed to spawn ${java.bin}: ${e.message}`;
    });
    if (child.pid) fs.writeFileSync(pidFile, String(child.pid));
    if (detached) child.unref();

    // make sure a non-detached JVM dies with us
    // (SIGTERM: the JVM drains and exits by itself ~0.5 s later; SIGKILL would lose the last second of writes)
    const onExit = () => {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* */
      }
    };
    if (!detached) process.once('exit', onExit);

    // 5. Wait for a real CQL handshake
    const w = await waitReady(port, deadline, () => exitInfo);
    if (w.state !== 'ready') {
      if (child.pid) await killPid(child.pid, 2000);
      process.removeListener('exit', onExit);
      fs.rmSync(pidFile, { force: true });
      finalizeCds(dataDir, false);
      const why =
        w.state === 'exited' ? w.detail : `not ready after ${timeoutMs} ms (last probe: ${w.detail ?? 'refused'})`;
      throw new Error(`Cassandra failed to start on ${HOST}:${port}: ${why}\n${logTail(dataDir)}`);
    }
    const startMs = Date.now() - t0;
    log(
      `Cassandra ${w.version ?? ''} ready on ${HOST}:${port} in ${startMs} ms (JVM ${Date.now() - spawnT0} ms), pid ${child.pid}, RSS ${rssMiB(child.pid)} MiB`,
    );
    const pid = child.pid;
    let stopped = false;
    const stop = async ({ graceMs = 15000 } = {}) => {
      if (stopped) return;
      stopped = true;
      const graceful = await killPid(pid, graceMs);
      process.removeListener('exit', onExit);
      if (readPid(pidFile) === pid) fs.rmSync(pidFile, { force: true });
      finalizeCds(dataDir, graceful);
    };
    return { ...base, reused: false, pid, startMs, version: w.version, storagePort, stop };
  } catch (e) {
    if (child?.pid && alive(child.pid)) await killPid(child.pid, 2000);
    finalizeCds(dataDir, false);
    throw e;
  } finally {
    unlock();
  }
}

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
