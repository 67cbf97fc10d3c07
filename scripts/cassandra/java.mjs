// Everything the JVM needs before it can start: the Maven classpath (fetch.sh), a Java that
// Cassandra 5.0 accepts (11 or 17), and the AppCDS archive that makes later starts faster.

import { spawnSync, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CACHE_DIR = path.join(HERE, '.cache');
const CP_FILE = path.join(CACHE_DIR, 'classpath.txt');
const CP_STAMP = path.join(CACHE_DIR, 'classpath.pom-sha256');

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

export async function ensureClasspath(log) {
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
export function findJava(log) {
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
// AppCDS: a dynamic class-data-sharing archive of Cassandra's classes cuts JVM
// start by ~0.7 s and RSS by ~50 MiB. The first start (per java + classpath) runs
// with -XX:ArchiveClassesAtExit=<tmp>; the JVM writes the archive when it exits
// after SIGTERM (adds ~3 s to that one stop); stop() then renames it into place.
// A stale or broken archive is only a warning (-Xshare:auto is the default).
// Disable with CASSANDRA_CDS=0.
// ---------------------------------------------------------------------------

const CDS_DIR = path.join(CACHE_DIR, 'cds');
const CDS_PENDING = 'cds-pending.json';

export function cdsArgs({ java, jars, confDir }) {
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
export function finalizeCds(dataDir, graceful) {
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
