// Which repository URLs the worker may clone from. A git URL comes from a tenant (GitSource.repoUrl),
// so without checks it is a server-side request forgery: `http://169.254.169.254/…` (cloud metadata),
// `http://127.0.0.1:6379` (our Redis), `file:///etc` or `ext::sh -c …`. The scheme must be on an
// allow-list; the host is resolved here and every address it resolves to must be public (loopback
// and private ranges only when the deployment allows them, link-local and metadata addresses never).
// git-fetch.ts then pins git's connection to the addresses checked here (no DNS rebinding between
// the check and the fetch) and forbids redirects and every other protocol.
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { DeployStepError } from '../failures.js';

export const REPO_SCHEMES = ['https', 'http', 'ssh', 'git', 'file'] as const;
export type RepoScheme = (typeof REPO_SCHEMES)[number];

export interface RepoUrlPolicy {
  /** Allowed URL schemes; production: `['https']`. `file` is for tests and local setups. */
  readonly schemes: readonly RepoScheme[];
  /** 127.0.0.0/8 and ::1 (tests, a git server beside the worker). Default false. */
  readonly allowLoopback?: boolean;
  /** RFC 1918, CGNAT and unique-local ranges (a git server on the private network). Default false. */
  readonly allowPrivate?: boolean;
}

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}
export type LookupAll = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface CheckedRepoUrl {
  /** The normalized URL git is given. */
  readonly url: string;
  readonly scheme: RepoScheme;
  /** Host name without brackets ('' for file:). */
  readonly host: string;
  /** Explicit or default port (0 for file:). */
  readonly port: number;
  /** Every address the host resolved to, all checked. */
  readonly addresses: readonly string[];
  /** The URL without credentials, for logs and error messages. */
  readonly display: string;
}

/** A URL the policy refuses: permanent (the same URL is refused next time). */
export class RepoUrlRefusedError extends DeployStepError {
  constructor(display: string, reason: string) {
    super('VALIDATION_FAILED', `repository URL ${display} is refused: ${reason}`, false, {
      data: { field: 'repoUrl', reason },
    });
  }
}

const DEFAULT_PORTS: Readonly<Record<RepoScheme, number>> = { https: 443, http: 80, ssh: 22, git: 9418, file: 0 };

function subnets(entries: readonly [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [net, prefix, type] of entries) list.addSubnet(net, prefix, type);
  return list;
}

/** Never reachable from a build: link-local (169.254.169.254 metadata), unspecified, multicast, reserved. */
const NEVER = subnets([
  ['0.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
  // AWS's IPv6 metadata endpoint lies inside fc00::/7, so allowPrivate alone must not open it.
  ['fd00:ec2::254', 128, 'ipv6'],
]);
const LOOPBACK = subnets([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
const PRIVATE = subnets([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
]);

/** An IPv6 address that embeds an IPv4 one (::ffff:a.b.c.d, 64:ff9b::a.b.c.d) → that IPv4 address. */
function embeddedIpv4(address: string): string | undefined {
  const match = /^(?:::ffff:|64:ff9b::)(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (match === null) return undefined;
  if (match[1] !== undefined) return match[1];
  const hi = parseInt(match[2] ?? '0', 16);
  const lo = parseInt(match[3] ?? '0', 16);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** Why `address` may not be contacted under `policy`, or undefined when it may. */
export function explainRefusedAddress(address: string, policy: RepoUrlPolicy): string | undefined {
  const v4 = isIP(address) === 6 ? embeddedIpv4(address) : undefined;
  const target = v4 ?? address;
  const type = isIP(target) === 4 ? 'ipv4' : isIP(target) === 6 ? 'ipv6' : undefined;
  if (type === undefined) return `${address} is not an IP address`;
  if (NEVER.check(target, type)) return `${address} is a link-local, metadata, multicast or reserved address`;
  if (LOOPBACK.check(target, type) && policy.allowLoopback !== true) return `${address} is a loopback address`;
  if (PRIVATE.check(target, type) && policy.allowPrivate !== true) return `${address} is a private address`;
  return undefined;
}

/** The URL without user info (tokens in https URLs must not reach logs). */
function displayOf(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href.replace('//', '//***@');
}

const defaultLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Parses and checks a repository URL; resolves its host (`lookup`, injectable for tests) and checks
 * every address. Throws RepoUrlRefusedError (permanent), or a retryable UNAVAILABLE error when DNS
 * fails transiently (a name that does not exist is permanent).
 */
export async function checkRepoUrl(
  raw: string,
  policy: RepoUrlPolicy,
  options: { lookup?: LookupAll; lookupTimeoutMs?: number } = {},
): Promise<CheckedRepoUrl> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // scp-like `git@host:repo` lands here too: only URL syntax is accepted (ssh://git@host/repo).
    throw new RepoUrlRefusedError(JSON.stringify(raw.slice(0, 200)), 'not a URL (use scheme://host/path)');
  }
  const display = displayOf(url);
  const scheme = url.protocol.slice(0, -1);
  if (!(REPO_SCHEMES as readonly string[]).includes(scheme)) {
    throw new RepoUrlRefusedError(display, `scheme ${scheme}: is not supported (${REPO_SCHEMES.join(', ')})`);
  }
  const repoScheme = scheme as RepoScheme;
  if (!policy.schemes.includes(repoScheme)) {
    throw new RepoUrlRefusedError(display, `scheme ${scheme}: is not allowed (allowed: ${policy.schemes.join(', ')})`);
  }
  if (repoScheme === 'file') {
    if (url.host !== '' && url.hostname !== 'localhost')
      throw new RepoUrlRefusedError(display, 'file: URLs name no host');
    return { url: url.href, scheme: 'file', host: '', port: 0, addresses: [], display };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new RepoUrlRefusedError(display, 'no host');
  const port = url.port === '' ? DEFAULT_PORTS[repoScheme] : Number(url.port);
  const lookup = options.lookup ?? defaultLookup;
  const addresses =
    isIP(host) !== 0
      ? [host]
      : await resolve(host, display, lookup, options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS);
  if (addresses.length === 0) throw new RepoUrlRefusedError(display, `host ${host} has no address`);
  for (const address of addresses) {
    const problem = explainRefusedAddress(address, policy);
    if (problem !== undefined) {
      const via = address === host ? '' : ` (${host} resolves to it)`;
      throw new RepoUrlRefusedError(display, `${problem}${via}`);
    }
  }
  return { url: url.href, scheme: repoScheme, host, port, addresses, display };
}

/** getaddrinfo has no deadline of its own (a dead resolver takes its retries' worth of seconds). */
const DEFAULT_LOOKUP_TIMEOUT_MS = 10_000;

async function resolve(host: string, display: string, lookup: LookupAll, timeoutMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'ETIMEOUT' })), timeoutMs);
  });
  try {
    return (await Promise.race([lookup(host), deadline])).map((a) => a.address);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') {
      throw new RepoUrlRefusedError(display, `host ${host} does not exist (${code})`);
    }
    throw new DeployStepError(
      'UNAVAILABLE',
      `repository URL ${display}: cannot resolve ${host}: ${code ?? String(error)}`,
      true,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
}
