// Authentication + ACL cost over HTTP, in one run:
//   npx tsx bench/auth/http.bench.ts [seconds-per-wrk-run] [connections]
// Starts an engine node as a child process (apps/engine/src/main.ts, in-memory storage) serving
// examples/todo and the bench fixture `pubnotes` (a Note table granted SELECT to sys.Everyone),
// signs a user up and logs in through the identity routes, creates a workspace with one doc in
// each app, then measures with wrk (default 100 connections, 8 s per run, 2 s warm-up):
//   - anonymous GET of the public Note (no token: roles Anonymous/Everyone + ACL), once with an
//     ignored header as long as the bearer header (same request size: the primary baseline)
//     and once bare
//   - authenticated GET of the same Note (bearer token: JWT verification (cached) + login-active
//     check + membership lookup + role composition + ACL)
//   - authenticated GET of the same Note by a login that is no member (the membership lookup misses)
//   - authenticated GET of a todo.Task (the todo app's real read path, for reference)
// and prints reads/s, latencies, the authenticated/anonymous ratio and the cost in %
// (target ≤ 15 %), plus token verifications/s of @stoa/auth in this process (cache off / on).
// Every wrk run must answer 100 % 2xx, or the bench fails. Not run by `npm test`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing, createAuthenticator, createMemoryKeyStore, issuePrincipalToken } from '@stoa/auth';

const ROOT = join(import.meta.dirname, '../..');
const seconds = Math.max(2, Math.min(60, Number(process.argv[2] ?? 8) || 8));
const connections = Math.max(1, Math.min(1000, Number(process.argv[3] ?? 100) || 100));

interface WrkResult {
  readonly rps: number;
  readonly p50: string;
  readonly p99: string;
  readonly requests: number;
}

/** Two runs of one path as one: mean reads/s, latencies of both. */
function combine(results: WrkResult[]): WrkResult {
  return {
    rps: results.reduce((sum, r) => sum + r.rps, 0) / results.length,
    p50: results.map((r) => r.p50).join('/'),
    p99: results.map((r) => r.p99).join('/'),
    requests: results.reduce((sum, r) => sum + r.requests, 0),
  };
}

/**
 * `token` → `Authorization: Bearer <token>`; `pad` → an ignored header of the same size instead,
 * so an anonymous request is as long on the wire as an authenticated one: wrk and the engine share
 * the machine's cores, and a bigger request costs the client and the loopback too.
 */
function runWrk(url: string, token: string | undefined, durationSeconds: number, pad?: number): WrkResult {
  const args = ['-t2', `-c${connections}`, `-d${durationSeconds}s`, '--latency'];
  if (token !== undefined) args.push('-H', `Authorization: Bearer ${token}`);
  if (pad !== undefined) args.push('-H', `X-Padding: ${'p'.repeat(pad)}`);
  args.push(url);
  const out = spawnSync('wrk', args, { encoding: 'utf8', timeout: (durationSeconds + 30) * 1000 });
  if (out.status !== 0) throw new Error(`wrk failed (${out.status}): ${out.stderr}`);
  const text = out.stdout;
  if (/Non-2xx or 3xx responses/.test(text) || /Socket errors/.test(text)) {
    throw new Error(`wrk saw failures for ${url}:\n${text}`);
  }
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
  const p50 = /\s50%\s+(\S+)/.exec(text)?.[1] ?? '?';
  const p99 = /\s99%\s+(\S+)/.exec(text)?.[1] ?? '?';
  if (!Number.isFinite(rps)) throw new Error(`cannot parse wrk output:\n${text}`);
  return { rps, p50, p99, requests };
}

async function call(
  url: string,
  method: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function expectStatus(
  label: string,
  p: Promise<{ status: number; json: Record<string, unknown> }>,
  status: number,
): Promise<Record<string, unknown>> {
  const r = await p;
  if (r.status !== status) throw new Error(`${label}: expected ${status}, got ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

function startEngine(dataDir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/engine/src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      STOA_APPS: `${join(ROOT, 'examples/todo')},${join(ROOT, 'bench/auth/fixtures/pubnotes')}`,
      STOA_STORAGE: 'mem',
      STOA_ENGINE_PORT: '0',
      STOA_DATA_DIR: dataDir,
      STOA_LOCAL_DEMO: 'false',
      STOA_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`engine did not start within 60 s:\n${out}`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ url: m[1], stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engine exited with ${code}:\n${out}`));
    });
  });
}

async function measureVerifications(): Promise<{ cold: number; cached: number }> {
  const ring = await KeyRing.open(createMemoryKeyStore());
  const tokens: string[] = [];
  for (let i = 0; i < 64; i++) {
    const t = await issuePrincipalToken(ring, { app: 'local/todo', subject: `u${i}`, kind: 'user', profileWSID: 1 });
    tokens.push(t.token);
  }
  const rate = async (cacheSize: number): Promise<number> => {
    const auth = createAuthenticator(ring, { cacheSize });
    for (let i = 0; i < 500; i++) await auth.authenticate('local/todo', tokens[i % tokens.length]!);
    let ops = 0;
    const t0 = performance.now();
    const deadline = t0 + 2000;
    while (performance.now() < deadline) {
      await auth.authenticate('local/todo', tokens[ops % tokens.length]!);
      ops++;
    }
    return (ops / (performance.now() - t0)) * 1000;
  };
  return { cold: await rate(0), cached: await rate(1000) };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stoa-auth-bench-'));
  const engine = await startEngine(dataDir);
  try {
    const notes = `${engine.url}/api/v2/apps/local/pubnotes`;
    const todo = `${engine.url}/api/v2/apps/local/todo`;
    const creds = { login: `bench.${Date.now()}`, password: 'bench password 1', displayName: 'Bench' };
    // One login per app: identities are per app.
    const token = async (base: string): Promise<string> => {
      await expectStatus('sign-up', call(`${base}/users`, 'POST', creds), 201);
      const { login, password } = creds;
      const res = await expectStatus('login', call(`${base}/auth/login`, 'POST', { login, password }), 200);
      return res['principalToken'] as string;
    };
    const notesToken = await token(notes);
    const todoToken = await token(todo);
    // A second login of pubnotes: no member of the bench workspace (membership lookup misses).
    const strangerToken = await (async (): Promise<string> => {
      const stranger = { ...creds, login: `${creds.login}.stranger` };
      await expectStatus('sign-up', call(`${notes}/users`, 'POST', stranger), 201);
      const { login, password } = stranger;
      const res = await expectStatus('login', call(`${notes}/auth/login`, 'POST', { login, password }), 200);
      return res['principalToken'] as string;
    })();

    const ws = (
      await expectStatus(
        'create NotesWS',
        call(
          `${notes}/workspaces`,
          'POST',
          { kind: 'pubnotes.NotesWS', name: 'b', descriptor: { Title: 'b' } },
          notesToken,
        ),
        201,
      )
    )['wsid'] as number;
    const noteIds = (
      await expectStatus(
        'insert Note',
        call(
          `${notes}/workspaces/${ws}/docs/pubnotes.Note`,
          'POST',
          { Title: 'n', Done: false, Priority: 1 },
          notesToken,
        ),
        201,
      )
    )['newIDs'] as Record<string, number>;
    const noteUrl = `${notes}/workspaces/${ws}/docs/pubnotes.Note/${noteIds['1']}`;
    const todoWs = (
      await expectStatus(
        'create TodoWS',
        call(`${todo}/workspaces`, 'POST', { kind: 'todo.TodoWS', name: 'b', descriptor: { Title: 'b' } }, todoToken),
        201,
      )
    )['wsid'] as number;
    const taskIds = (
      await expectStatus(
        'insert Task',
        call(
          `${todo}/workspaces/${todoWs}/docs/todo.Task`,
          'POST',
          { Title: 't', Done: false, Priority: 1 },
          todoToken,
        ),
        201,
      )
    )['newIDs'] as Record<string, number>;
    const taskUrl = `${todo}/workspaces/${todoWs}/docs/todo.Task/${taskIds['1']}`;

    // The paths are what they claim: the Note is public, the Task is not.
    await expectStatus('anonymous Note', call(noteUrl, 'GET'), 200);
    await expectStatus('authenticated Note', call(noteUrl, 'GET', undefined, notesToken), 200);
    await expectStatus('non-member Note', call(noteUrl, 'GET', undefined, strangerToken), 200);
    await expectStatus('authenticated Task', call(taskUrl, 'GET', undefined, todoToken), 200);
    await expectStatus('anonymous Task', call(taskUrl, 'GET'), 401);

    console.log(
      `engine ${engine.url} (child process, mem storage); wrk -t2 -c${connections}, ${seconds} s per path in two interleaved halves`,
    );
    runWrk(noteUrl, undefined, 2);
    runWrk(noteUrl, notesToken, 2);
    runWrk(taskUrl, todoToken, 2);
    runWrk(noteUrl, strangerToken, 2);
    // Interleaved halves (anon, auth, non-member, task, then again), so drift in background load hits
    // every path alike; each path gets `seconds` in total.
    const half = Math.max(1, Math.round(seconds / 2));
    const pad = 'Bearer '.length + notesToken.length - 'X-Padding'.length + 'Authorization'.length;
    const runs: WrkResult[][] = [[], [], [], [], []];
    for (let round = 0; round < 2; round++) {
      runs[4]!.push(runWrk(noteUrl, undefined, half));
      runs[0]!.push(runWrk(noteUrl, undefined, half, pad));
      runs[1]!.push(runWrk(noteUrl, notesToken, half));
      runs[2]!.push(runWrk(noteUrl, strangerToken, half));
      runs[3]!.push(runWrk(taskUrl, todoToken, half));
    }
    const [anon, auth, stranger, task, bare] = runs.map(combine) as [
      WrkResult,
      WrkResult,
      WrkResult,
      WrkResult,
      WrkResult,
    ];
    const verify = await measureVerifications();

    const row = (label: string, r: WrkResult): string =>
      `| ${label.padEnd(44)} | ${Math.round(r.rps).toLocaleString('en-US').padStart(8)} | ${r.p50.padStart(15)} | ${r.p99.padStart(15)} |`;
    console.log('');
    console.log(
      `| ${'read path'.padEnd(44)} |  reads/s | ${'p50 (halves)'.padStart(15)} | ${'p99 (halves)'.padStart(15)} |`,
    );
    console.log(`| ${'-'.repeat(44)} | -------: | ${'-'.repeat(14)}: | ${'-'.repeat(14)}: |`);
    console.log(row('anonymous GET pubnotes.Note (bare)', bare));
    console.log(row('anonymous GET pubnotes.Note (padded)', anon));
    console.log(row('authenticated GET pubnotes.Note (owner)', auth));
    console.log(row('authenticated GET pubnotes.Note (non-member)', stranger));
    console.log(row('authenticated GET todo.Task (owner, Member)', task));
    const ratio = auth.rps / anon.rps;
    const cost = (1 - ratio) * 100;
    console.log('');
    console.log(`authenticated / anonymous (padded) = ${ratio.toFixed(3)}`);
    console.log(`authenticated / anonymous (bare)   = ${(auth.rps / bare.rps).toFixed(3)}`);
    console.log(`authentication + ACL cost = ${cost.toFixed(1)} % (target ≤ 15 %) → ${cost <= 15 ? 'met' : 'NOT met'}`);
    console.log(
      `token verifications/s (@stoa/auth, one at a time): ${Math.round(verify.cold).toLocaleString('en-US')} signature checked, ${Math.round(verify.cached).toLocaleString('en-US')} cached`,
    );
  } finally {
    await engine.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
