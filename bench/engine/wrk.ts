/**
 * Runs Debian's `wrk` (4.1) and parses what the bench needs from its report: requests/s, the
 * `--latency` percentiles, non-2xx answers and socket errors.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
export const WRK = '/usr/bin/wrk';

export interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly socketErrors: number;
}

export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  readonly threads: number;
  readonly seconds: number;
  readonly script?: string;
  readonly headers?: readonly string[];
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  if (unit === 'us') return n / 1000;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60_000;
  return n;
}

export function parseWrk(output: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const requests = /(\d+) requests in/.exec(output);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(output);
  if (rps === null || requests === null || p50 === null || p99 === null)
    throw new Error(`cannot parse wrk output:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    rps: Number(rps[1]),
    requests: Number(requests[1]),
    p50Ms: toMs(p50[1]!, p50[2]!),
    p99Ms: toMs(p99[1]!, p99[2]!),
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
    socketErrors: socket === null ? 0 : [1, 2, 3, 4].reduce((sum, i) => sum + Number(socket[i]), 0),
  };
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    '--timeout',
    '10s',
    ...(options.script === undefined ? [] : ['-s', options.script]),
    ...(options.headers ?? []).flatMap((h) => ['-H', h]),
    options.url,
  ];
  const { stdout } = await execFileAsync(WRK, args, { timeout: (options.seconds + 30) * 1000 });
  return parseWrk(stdout);
}

/** Lua string literal. */
export function luaString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A wrk script that cycles through `requests` (method, path, body) and, when `delayMs` is given,
 * waits a random 0..2·delayMs ms (mean delayMs) after each response on a connection — wrk's
 * `delay()` hook, used to pace a fixed number of connections at a target rate.
 */
export function writeWrkScript(
  dir: string,
  name: string,
  requests: readonly { method: string; path: string; body?: string }[],
  headers: Readonly<Record<string, string>>,
  delayMs?: number,
): string {
  const lines = [
    'local reqs = {',
    ...requests.map(
      (r) => `  { ${luaString(r.method)}, ${luaString(r.path)}, ${r.body === undefined ? 'nil' : luaString(r.body)} },`,
    ),
    '}',
    'local n = 0',
    ...Object.entries(headers).map(([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}`),
    'request = function()',
    '  n = n + 1',
    '  local r = reqs[(n % #reqs) + 1]',
    '  local body = r[3]',
    '  if body ~= nil then body = string.gsub(body, "@N@", tostring(n)) end',
    '  return wrk.format(r[1], r[2], nil, body)',
    'end',
  ];
  if (delayMs !== undefined) {
    const spread = Math.max(0, Math.round(delayMs * 2));
    lines.push('math.randomseed(os.time())', `delay = function() return math.random(0, ${spread}) end`);
  }
  const path = join(dir, `${name}.lua`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
