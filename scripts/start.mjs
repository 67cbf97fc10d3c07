#!/usr/bin/env node
// `npm start`: the whole platform on this machine (docs/ARCHITECTURE.md §12).
//
//   engine  apps/engine (built to dist/main.js first) on LMDB serving examples/todo as local/todo
//           (banner, dev token, curl line on stdout as before), trusting the control plane's admin key;
//   worker  apps/worker (builds and rollouts), log in .stoa/logs/worker.log;
//   web     the portal (next start, built first when its sources changed), log in .stoa/logs/web.log.
//
// Before them: the admin key pair (.stoa/keys, made once with `stoa keygen`), the portal's session
// secret (.stoa/web-secret, 0600), the database migrations, and the portal's admin user (its
// password is printed once, when created). Without PostgreSQL or Redis on their usual ports only
// the engine starts, with a warning saying how to get the rest. Ctrl-C stops everything.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const stoaDir = join(root, '.stoa');
const env = process.env;
const enginePort = env.STOA_ENGINE_PORT ?? '8080';
const webPort = env.STOA_WEB_PORT ?? '3000';
const engineUrl = `http://127.0.0.1:${enginePort}`;
const webUrl = env.NEXTAUTH_URL ?? `http://127.0.0.1:${webPort}`;
const tsx = join(root, 'node_modules/.bin/tsx');

const log = (line) => process.stdout.write(`[start] ${line}\n`);

function reachable(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

function runStep(name, cmd, args, stepEnv = env, quiet = false) {
  const result = spawnSync(cmd, args, {
    cwd: root,
    env: stepEnv,
    stdio: ['ignore', quiet ? 'pipe' : 'inherit', 'inherit'],
  });
  if (result.status !== 0) {
    log(`${name} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

function ensureAdminKeys() {
  const dir = join(stoaDir, 'keys');
  const privateKey = join(dir, 'admin.jwk');
  const publicKey = join(dir, 'admin.pub.jwk');
  if (!existsSync(privateKey) || !existsSync(publicKey)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // From the CLI's sources (tsx), not dist/: the same command, without depending on a build.
    runStep('stoa keygen', tsx, ['packages/cli/src/main.ts', 'keygen', privateKey, '--public', publicKey], {
      ...env,
      NO_COLOR: '1',
    });
  }
  return { privateKey, publicKey };
}

function webSecret() {
  if (env.NEXTAUTH_SECRET !== undefined) return env.NEXTAUTH_SECRET;
  const file = join(stoaDir, 'web-secret');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** Newest modification time below `dir` (skipping build output and dependencies). */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (['node_modules', '.next', 'dist', '.test-results'].includes(entry.name)) continue;
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function webNeedsBuild() {
  const buildId = join(root, 'apps/web/.next/BUILD_ID');
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  const sources = ['apps/web', 'packages/client/src', 'packages/db/src', 'packages/jobs/src', 'packages/errors/src'];
  return sources.some((dir) => newest(join(root, dir)) > built);
}

const children = [];
function start(name, cmd, args, childEnv, logFile) {
  const out = logFile === undefined ? 'inherit' : createWriteStream(logFile, { flags: 'a' });
  const child = spawn(cmd, args, {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', logFile === undefined ? 'inherit' : 'pipe', logFile === undefined ? 'inherit' : 'pipe'],
  });
  if (logFile !== undefined) {
    child.stdout.pipe(out);
    child.stderr.pipe(out);
  }
  child.on('exit', (code, signal) => {
    if (!stopping) log(`${name} exited (${code ?? signal})${logFile === undefined ? '' : `; see ${logFile}`}`);
  });
  children.push({ name, child });
  return child;
}

/** How long the children get to shut down after Ctrl-C before what is left is killed. */
const STOP_GRACE_MS = 20_000;

let stopping = false;
function stop(signal) {
  if (stopping) process.exit(1);
  stopping = true;
  const running = () => children.filter(({ child }) => child.exitCode === null && child.signalCode === null);
  for (const { child } of running()) child.kill(signal);
  // A child whose shutdown hangs must not keep the terminal (or the ports) busy.
  setTimeout(() => {
    for (const { name, child } of running()) {
      log(`${name} did not stop within ${STOP_GRACE_MS / 1000} s: killing it`);
      child.kill('SIGKILL');
    }
  }, STOP_GRACE_MS).unref();
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

mkdirSync(join(stoaDir, 'logs'), { recursive: true });
const keys = ensureAdminKeys();
const controlPlane = (await reachable(5432)) && (await reachable(6379));

// The engine as a deployed node runs it: built to JavaScript (esbuild, about a second, so always
// fresh), which starts in about half the time of the tsx-transformed sources.
runStep('engine build', process.execPath, [join(root, 'apps/engine/build.mjs')]);
start('engine', process.execPath, [join(root, 'apps/engine/dist/main.js')], {
  ...env,
  STOA_APPS: env.STOA_APPS ?? 'examples/todo',
  STOA_ENGINE_PORT: enginePort,
  STOA_ADMIN_PUBLIC_KEY: env.STOA_ADMIN_PUBLIC_KEY ?? `@${keys.publicKey}`,
});

if (!controlPlane) {
  log('PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) is not reachable: only the engine runs.');
  log('Run `sudo bash scripts/setup-system.sh` to install and start them, then `npm start` again.');
} else {
  const controlEnv = {
    ...env,
    DATABASE_URL: env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/stoa',
    REDIS_URL: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    STOA_ENGINE_URLS: env.STOA_ENGINE_URLS ?? engineUrl,
    STOA_ADMIN_PRIVATE_KEY: env.STOA_ADMIN_PRIVATE_KEY ?? keys.privateKey,
  };
  runStep('migrations', tsx, ['packages/db/src/db-cli.ts', 'migrate'], controlEnv);
  runStep('portal admin', tsx, ['apps/web/scripts/seed-admin.ts'], { ...controlEnv, NEXTAUTH_SECRET: webSecret() });
  start('worker', tsx, ['apps/worker/src/main.ts'], controlEnv, join(stoaDir, 'logs/worker.log'));
  if (webNeedsBuild()) {
    log('building the portal (next build, ~20 s; only after its sources change)…');
    runStep('portal build', join(root, 'node_modules/.bin/next'), ['build', '--webpack', 'apps/web'], {
      ...controlEnv,
      NODE_ENV: 'production',
    });
  }
  const web = start(
    'web',
    join(root, 'node_modules/.bin/next'),
    ['start', 'apps/web', '-p', webPort, '-H', '127.0.0.1'],
    {
      ...controlEnv,
      NODE_ENV: 'production',
      NEXTAUTH_URL: webUrl,
      NEXTAUTH_SECRET: webSecret(),
      STOA_WEB_PORT: webPort,
    },
    join(stoaDir, 'logs/web.log'),
  );
  for (let i = 0; i < 120 && web.exitCode === null; i++) {
    if (await reachable(webPort)) {
      log(`portal: ${webUrl} (sign in as the admin above, or sign up); worker and portal logs in .stoa/logs/`);
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
