// The JVM's lifecycle on one data dir: the start lock and pid file that keep two starters from
// launching two JVMs, reuse of a node that already answers, spawn, wait, kill.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultDataDir, freePort, jvmArgs, LOCAL_DATACENTER, logbackConfig, yamlConfig } from './config.mjs';
import { DEFAULT_PORT, HOST, probeCql, waitReady } from './cql-probe.mjs';
import { cdsArgs, ensureClasspath, finalizeCds, findJava } from './java.mjs';

export const PID_FILE = 'cassandra.pid';
const LOCK_FILE = '.starting.lock';

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

export function alive(pid) {
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

export function isOurCassandra(pid, dataDir) {
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

export function readPid(file) {
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

export async function startOrReuse({
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
