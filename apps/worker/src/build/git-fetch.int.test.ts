// fetchGitCommit against real repositories (git CLI, file:// URLs allowed for the test), plus a
// fake git binary for what a local repository cannot show (a slow server, a server that serves
// only branch tips).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRetryable } from '../failures.js';
import { GitFetchError, fetchGitCommit, type FetchGitCommitOptions } from './git-fetch.js';
import { createTestRepo, git, makeTempDir, type TempDir } from './git-repo.test-util.js';
import { RepoUrlRefusedError } from './repo-url.js';

const temps: TempDir[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) t.cleanup();
});

function setup(): { dir: string; repo: ReturnType<typeof createTestRepo> } {
  const temp = makeTempDir('git');
  temps.push(temp);
  return { dir: temp.dir, repo: createTestRepo(join(temp.dir, 'repo')) };
}

const LIMITS = { timeoutMs: 30_000, maxBytes: 16 * 1024 * 1024 };
const FILE_ALLOWED = { schemes: ['file'] } as const;

function options(
  dir: string,
  url: string,
  commitSha: string,
  extra: Partial<FetchGitCommitOptions> = {},
): FetchGitCommitOptions {
  return { repoUrl: url, commitSha, dir: join(dir, 'checkout'), limits: LIMITS, allow: FILE_ALLOWED, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<GitFetchError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GitFetchError);
  return error as GitFetchError;
}

/** Alive and not a zombie waiting for init to reap it. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

/** A git stand-in: runs `body` for `git fetch`, the real git for everything else. */
function fakeGit(dir: string, body: string): string {
  const path = join(dir, 'fake-git.sh');
  writeFileSync(path, `#!/bin/sh\ncase " $* " in\n  *" fetch "*) ${body} ;;\nesac\nexec git "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('fetchGitCommit', () => {
  it('checks out the pushed commit (not the tip), symlinks as plain files, and measures it', async () => {
    const { dir, repo } = setup();
    const first = repo.commit({ 'stoa.json': '{"name":"a","partitions":1}', 'link.vsql': { symlink: '/etc/passwd' } });
    repo.commit({ 'later.txt': 'not in the first commit' });
    const lines: string[] = [];
    const fetched = await fetchGitCommit(options(dir, repo.url, first, { log: (l) => lines.push(l) }));
    expect(fetched.commitSha).toBe(first);
    expect(git(fetched.dir, ['rev-parse', 'HEAD'])).toBe(first);
    expect(readFileSync(join(fetched.dir, 'stoa.json'), 'utf8')).toContain('"name":"a"');
    expect(existsSync(join(fetched.dir, 'later.txt'))).toBe(false);
    // A symlink in the repository must not let the build read the worker's files.
    expect(lstatSync(join(fetched.dir, 'link.vsql')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(fetched.dir, 'link.vsql'), 'utf8')).toBe('/etc/passwd');
    // Shallow: one commit only.
    expect(git(fetched.dir, ['rev-list', '--count', 'HEAD'])).toBe('1');
    expect(fetched.bytes).toBeGreaterThan(0);
    expect(fetched.files).toBeGreaterThan(2);
    expect(lines[0]).toBe(`fetching ${repo.url} at ${first}`);
    expect(lines.at(-1)).toMatch(/^checked out [0-9a-f]{40}: \d+ files, \d+ bytes in \d+ ms$/);
  });

  it('fails permanently for a commit the repository does not have, and for a bad commit id', async () => {
    const { dir, repo } = setup();
    repo.commit({ a: 'a' });
    const missing = await failure(fetchGitCommit(options(dir, repo.url, 'a'.repeat(40))));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toMatch(/git fetch from file:\/\/.* failed: .*not our ref/);
    expect(isRetryable(missing)).toBe(false);
    const bad = await failure(fetchGitCommit(options(join(dir, 'b'), repo.url, 'HEAD')));
    expect(bad.message).toBe('commit "HEAD" is not a full commit id');
    const branch = await failure(
      fetchGitCommit(options(join(dir, 'c'), repo.url, 'a'.repeat(40), { branch: '--upload-pack=touch' })),
    );
    expect(branch.message).toMatch(/is not a valid branch name/);
  });

  it('refuses URLs the policy does not allow before running git', async () => {
    const { dir, repo } = setup();
    const sha = repo.commit({ a: 'a' });
    const checkout = join(dir, 'never');
    for (const [url, allow, reason] of [
      [repo.url, { schemes: ['https'] }, /scheme file: is not allowed/],
      ['http://127.0.0.1:1/r.git', { schemes: ['http', 'https'] }, /loopback/],
      ['http://169.254.169.254/r.git', { schemes: ['http'], allowLoopback: true, allowPrivate: true }, /metadata/],
      ['ssh://git@127.0.0.1/r.git', { schemes: ['https'] }, /scheme ssh: is not allowed/],
    ] as const) {
      const error = await fetchGitCommit({ ...options(dir, url, sha, { allow }), dir: checkout }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RepoUrlRefusedError);
      expect((error as Error).message).toMatch(reason);
    }
    expect(existsSync(checkout)).toBe(false);
  });

  it('refuses trees larger than the limit: by declared size before checkout, and by pack size', async () => {
    const { dir, repo } = setup();
    // 8 MiB of zeros: a tiny pack that would inflate on checkout.
    const zeros = repo.commit({ 'big.bin': new Uint8Array(8 * 1024 * 1024) });
    const limits = { timeoutMs: 30_000, maxBytes: 4 * 1024 * 1024 };
    const inflated = await failure(fetchGitCommit(options(dir, repo.url, zeros, { limits })));
    expect(inflated.code).toBe('PAYLOAD_TOO_LARGE');
    expect(inflated.message).toMatch(/^the tree of commit [0-9a-f]{40} \(8388608 bytes\) is larger than the limit/);
    expect(existsSync(join(dir, 'checkout', 'big.bin'))).toBe(false);

    const noise = repo.commit({ 'noise.bin': randomBytes(6 * 1024 * 1024) });
    const packed = await failure(fetchGitCommit(options(join(dir, 'n'), repo.url, noise, { limits })));
    expect(packed.code).toBe('PAYLOAD_TOO_LARGE');
    expect(isRetryable(packed)).toBe(false);

    const many = repo.commit(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f/${i}.txt`, `${i}`])));
    const files = await failure(
      fetchGitCommit(options(join(dir, 'm'), repo.url, many, { limits: { ...LIMITS, maxFiles: 20 } })),
    );
    expect(files.message).toMatch(/has more than 20 files/);
  });

  it('kills the whole process group at the deadline (a hanging server)', async () => {
    const { dir, repo } = setup();
    const sha = repo.commit({ a: 'a' });
    const pidFile = join(dir, 'grandchild.pid');
    const slow = fakeGit(dir, `sleep 60 & echo $! > ${pidFile}; wait; exit 0`);
    const started = Date.now();
    const error = await failure(
      fetchGitCommit(options(dir, repo.url, sha, { git: slow, limits: { ...LIMITS, timeoutMs: 1_500 } })),
    );
    const elapsed = Date.now() - started;
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toMatch(/took longer than 1500 ms/);
    expect(isRetryable(error)).toBe(true);
    expect(elapsed).toBeLessThan(10_000);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(isRunning(grandchild)).toBe(false);
  });

  it('falls back to the branch tip when the server serves no commit by id, and insists it is the commit', async () => {
    const { dir, repo } = setup();
    const first = repo.commit({ a: '1' });
    const tip = repo.commit({ a: '2' });
    const tipsOnly = fakeGit(
      dir,
      `for a in "$@"; do case "$a" in +[0-9a-f]*) echo "fatal: remote error: upload-pack: not our ref" >&2; exit 128 ;; esac; done`,
    );
    const fetched = await fetchGitCommit(options(dir, repo.url, tip, { git: tipsOnly, branch: 'main' }));
    expect(readFileSync(join(fetched.dir, 'a'), 'utf8')).toBe('2');
    const moved = await failure(
      fetchGitCommit(options(join(dir, 'old'), repo.url, first, { git: tipsOnly, branch: 'main' })),
    );
    expect(moved.message).toBe(`commit ${first} is not at the tip of branch main any more (found ${tip})`);
    expect(isRetryable(moved)).toBe(false);
  });
});
