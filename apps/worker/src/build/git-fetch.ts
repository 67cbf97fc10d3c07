// `deploy.build` for git pushes: the pushed commit of a tenant's repository, checked out into a
// fresh directory with the git CLI — shallow (one commit), bounded in time and size, and locked down:
//
// - the URL passes repo-url.ts (scheme allow-list, every resolved address public unless allowed),
//   and libcurl is pinned to the checked addresses (`http.curloptResolve`), so a DNS answer that
//   changes between check and fetch cannot redirect it; redirects are off;
// - only the URL's protocol is allowed (`GIT_ALLOW_PROTOCOL`, `protocol.allow=never`), which also
//   covers `ext::` and submodule URLs; no system/global config, no credential prompts, no hooks
//   (`core.hooksPath=/dev/null`, an empty template), symlinks checked out as plain files (a
//   symlink to /etc/… must not feed the build), objects fsck'ed on receipt;
// - a wall-clock deadline kills git's whole process group; `.git` is watched while fetching, the
//   tree's declared size is checked before checkout (a small pack can inflate to gigabytes), and
//   the result (tree + .git) is measured after.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DeployStepError } from '../failures.js';
import { checkRepoUrl, type CheckedRepoUrl, type LookupAll, type RepoUrlPolicy } from './repo-url.js';
import { runProcess, type RunProcessResult } from './run-process.js';
import { measureTree } from './tree-size.js';

export interface GitFetchLimits {
  /** Deadline for the whole fetch + checkout. */
  readonly timeoutMs: number;
  /** Checked-out tree plus `.git`. */
  readonly maxBytes: number;
  /** Files in the tree (default 20 000). */
  readonly maxFiles?: number;
}

export interface FetchGitCommitOptions {
  readonly repoUrl: string;
  /** Full commit id (40 or 64 hex digits). */
  readonly commitSha: string;
  /** Fetched instead when the server refuses to serve the commit by id; its tip must be the commit. */
  readonly branch?: string;
  /** Where the checkout goes; must not exist or be empty. */
  readonly dir: string;
  readonly limits: GitFetchLimits;
  readonly allow: RepoUrlPolicy;
  /** The git binary (default `git` on PATH). */
  readonly git?: string;
  /** PATH of git's environment (default /usr/local/bin:/usr/bin:/bin). */
  readonly path?: string;
  readonly lookup?: LookupAll;
  readonly log?: (line: string) => void;
}

export interface FetchedCommit {
  readonly dir: string;
  readonly commitSha: string;
  /** Tree + .git. */
  readonly bytes: number;
  readonly files: number;
  readonly ms: number;
}

export class GitFetchError extends DeployStepError {}

const DEFAULT_MAX_FILES = 20_000;
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A branch name that cannot be an option or a revision expression. */
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/-]{1,200}(?<![./])$/;

/** stderr of a fetch that retrying will not fix: the commit or repository is not there, or we may not read it. */
const PERMANENT_FAILURES: readonly [RegExp, 'NOT_FOUND' | 'FORBIDDEN'][] = [
  [
    /not our ref|couldn't find remote ref|no such remote ref|unadvertised object|remote ref does not exist/i,
    'NOT_FOUND',
  ],
  [/repository .* not found|does not appear to be a git repository|returned error: 404/i, 'NOT_FOUND'],
  [/authentication failed|could not read (username|password)|terminal prompts disabled/i, 'FORBIDDEN'],
  [/permission denied|host key verification failed|returned error: 40[13]/i, 'FORBIDDEN'],
  [/transport '.*' not allowed|unsupported protocol/i, 'FORBIDDEN'],
];

export async function fetchGitCommit(options: FetchGitCommitOptions): Promise<FetchedCommit> {
  const started = performance.now();
  const deadline = Date.now() + options.limits.timeoutMs;
  const commitSha = options.commitSha.toLowerCase();
  if (!SHA.test(commitSha)) {
    throw new GitFetchError(
      'VALIDATION_FAILED',
      `commit ${JSON.stringify(options.commitSha)} is not a full commit id`,
      false,
    );
  }
  if (options.branch !== undefined && !BRANCH.test(options.branch)) {
    throw new GitFetchError(
      'VALIDATION_FAILED',
      `branch ${JSON.stringify(options.branch)} is not a valid branch name`,
      false,
    );
  }
  // DNS gets a deadline of its own (getaddrinfo has none), and its time counts against the fetch deadline.
  const lookupTimeoutMs = Math.min(10_000, options.limits.timeoutMs);
  const checked = await checkRepoUrl(options.repoUrl, options.allow, {
    lookupTimeoutMs,
    ...(options.lookup === undefined ? {} : { lookup: options.lookup }),
  });
  await prepareDir(options.dir);
  const log = options.log ?? (() => undefined);
  const maxFiles = options.limits.maxFiles ?? DEFAULT_MAX_FILES;
  const git = gitRunner(options, checked, deadline);

  log(`fetching ${checked.display} at ${commitSha}`);
  await git.must(['init', '-q', '--template=', '.'], 'git init');
  const gitDir = join(options.dir, '.git');
  const watchSize = async (): Promise<string | undefined> =>
    (await measureTree(gitDir, { maxBytes: options.limits.maxBytes })).exceeded ? 'size' : undefined;
  const fetchArgs = ['fetch', '--depth=1', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', '-q'];
  // Into a ref of our own, so the checkout below never has to guess what FETCH_HEAD holds.
  let fetched = await git.run([...fetchArgs, checked.url, `+${commitSha}:refs/stoa/fetched`], watchSize);
  if (fetched.code !== 0 && fetched.killedBy === undefined && options.branch !== undefined && isMissingRef(fetched)) {
    // Some servers serve only advertised refs: take the branch tip, which must be the pushed commit.
    log(`the server does not serve commits by id; fetching branch ${options.branch}`);
    fetched = await git.run([...fetchArgs, checked.url, `+refs/heads/${options.branch}:refs/stoa/fetched`], watchSize);
  }
  if (fetched.code !== 0) throw fetchFailure(fetched, checked, options.limits);
  const head = (await git.must(['rev-parse', '--verify', 'refs/stoa/fetched^{commit}'], 'git rev-parse')).stdout.trim();
  if (head !== commitSha) {
    throw new GitFetchError(
      'NOT_FOUND',
      `commit ${commitSha} is not at the tip of branch ${options.branch ?? '?'} any more (found ${head})`,
      false,
    );
  }

  await checkDeclaredTree(git, commitSha, options.limits.maxBytes, maxFiles);
  await git.must(['checkout', '-q', '--detach', commitSha], 'git checkout');
  const size = await measureTree(options.dir, { maxBytes: options.limits.maxBytes, maxFiles: maxFiles + 10_000 });
  if (size.exceeded) throw tooLarge(`the checkout of ${commitSha} with its .git`, options.limits.maxBytes);
  const ms = Math.round(performance.now() - started);
  log(`checked out ${commitSha}: ${size.files} files, ${size.bytes} bytes in ${ms} ms`);
  return { dir: options.dir, commitSha, bytes: size.bytes, files: size.files, ms };
}

async function prepareDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) {
    throw new GitFetchError('INTERNAL', `checkout directory ${dir} is not empty`, true);
  }
}

interface GitRunner {
  run(args: readonly string[], watch?: () => Promise<string | undefined>): Promise<RunProcessResult>;
  /** Runs and throws on a non-zero exit (steps that fail only when something is really wrong). */
  must(args: readonly string[], what: string): Promise<RunProcessResult>;
}

function gitRunner(options: FetchGitCommitOptions, checked: CheckedRepoUrl, deadline: number): GitRunner {
  const config = [
    'core.hooksPath=/dev/null',
    'core.symlinks=false',
    'core.fsmonitor=false',
    'core.askPass=',
    'credential.helper=',
    'gc.auto=0',
    'maintenance.auto=false',
    'transfer.fsckObjects=true',
    'fetch.recurseSubmodules=false',
    'submodule.recurse=false',
    'http.followRedirects=false',
    'protocol.allow=never',
    `protocol.${checked.scheme}.allow=always`,
  ];
  if (checked.scheme === 'http' || checked.scheme === 'https') {
    const addresses = checked.addresses.map((a) => (a.includes(':') ? `[${a}]` : a)).join(',');
    config.push(`http.curloptResolve=${checked.host}:${checked.port}:${addresses}`);
  }
  const env: Record<string, string> = {
    PATH: options.path ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: options.dir,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: checked.scheme,
    GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o StrictHostKeyChecking=yes',
  };
  const run = async (args: readonly string[], watch?: () => Promise<string | undefined>): Promise<RunProcessResult> => {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timedOut(checked, options.limits.timeoutMs);
    const result = await runProcess(options.git ?? 'git', [...config.flatMap((c) => ['-c', c]), ...args], {
      cwd: options.dir,
      env,
      timeoutMs: remaining,
      maxOutputBytes: 4 * 1024 * 1024,
      ...(watch === undefined ? {} : { watch }),
    });
    if (result.killedBy === 'timeout') throw timedOut(checked, options.limits.timeoutMs);
    return result;
  };
  return {
    run,
    async must(args, what) {
      const result = await run(args);
      if (result.code !== 0) {
        throw new GitFetchError('INTERNAL', `${what} failed (exit ${result.code}): ${lastLines(result.stderr)}`, true);
      }
      return result;
    },
  };
}

/** The tree's blob sizes as git declares them, checked before anything is written by checkout. */
async function checkDeclaredTree(git: GitRunner, commitSha: string, maxBytes: number, maxFiles: number): Promise<void> {
  const listed = await git.must(['ls-tree', '-r', '-l', '-z', '--full-tree', commitSha], 'git ls-tree');
  let bytes = 0;
  let files = 0;
  for (const record of listed.stdout.split('\0')) {
    // `<mode> <type> <object> <size>\t<path>`; submodules (type commit) have size `-` and are not checked out.
    const match = /^\d+ blob [0-9a-f]+ +(\d+)\t/.exec(record);
    if (match === null) continue;
    bytes += Number(match[1]);
    files += 1;
  }
  if (listed.stdout.includes('\n… (')) files = Number.POSITIVE_INFINITY;
  if (files > maxFiles) {
    throw new GitFetchError('PAYLOAD_TOO_LARGE', `commit ${commitSha} has more than ${maxFiles} files`, false, {
      data: { limit: maxFiles },
    });
  }
  if (bytes > maxBytes) throw tooLarge(`the tree of commit ${commitSha} (${bytes} bytes)`, maxBytes);
}

function isMissingRef(result: RunProcessResult): boolean {
  return /not our ref|couldn't find remote ref|no such remote ref|unadvertised object/i.test(result.stderr);
}

function fetchFailure(result: RunProcessResult, checked: CheckedRepoUrl, limits: GitFetchLimits): GitFetchError {
  if (result.killedBy === 'size') return tooLarge(`the fetch from ${checked.display}`, limits.maxBytes);
  const stderr = lastLines(result.stderr.replaceAll(checked.url, checked.display));
  const message = `git fetch from ${checked.display} failed: ${stderr}`;
  for (const [pattern, code] of PERMANENT_FAILURES) {
    if (pattern.test(result.stderr)) return new GitFetchError(code, message, false);
  }
  // Network trouble, a 5xx, a reset connection: worth another attempt.
  return new GitFetchError('UNAVAILABLE', message, true);
}

function timedOut(checked: CheckedRepoUrl, timeoutMs: number): GitFetchError {
  return new GitFetchError('TIMEOUT', `fetching ${checked.display} took longer than ${timeoutMs} ms`, true, {
    data: { limit: timeoutMs },
  });
}

function tooLarge(what: string, maxBytes: number): GitFetchError {
  return new GitFetchError('PAYLOAD_TOO_LARGE', `${what} is larger than the limit of ${maxBytes} bytes`, false, {
    data: { limit: maxBytes },
  });
}

function lastLines(text: string, count = 5): string {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.length === 0 ? '(no output)' : lines.slice(-count).join(' | ');
}
