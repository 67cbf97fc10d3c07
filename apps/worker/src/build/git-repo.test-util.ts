// Test support: real git repositories in temp dirs (git CLI, a clean config so a developer's
// settings — commit signing, hooks, templates — cannot change what the tests see).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '../../../..');

export interface TempDir {
  readonly dir: string;
  cleanup(): void;
}

export function makeTempDir(label: string): TempDir {
  const dir = mkdtempSync(join(tmpdir(), `stoa-worker-${label}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function gitEnv(home: string): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
}

export function git(cwd: string, args: readonly string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=Stoa Test', '-c', 'user.email=test@stoa.invalid', '-c', 'init.defaultBranch=main', ...args],
    { cwd, env: gitEnv(cwd), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  ).trim();
}

export interface TestRepo {
  /** file:// URL of the bare repository. */
  readonly url: string;
  readonly bareDir: string;
  readonly workDir: string;
  /** Writes files (and symlinks: `{ symlink: target }`), commits them, pushes to main; the commit id. */
  commit(files: Readonly<Record<string, string | Uint8Array | { symlink: string }>>, message?: string): string;
  /** Copies a folder into the work tree (e.g. an example app), commits and pushes; the commit id. */
  commitFolder(source: string, options?: { exclude?: readonly string[] }): string;
}

/** A bare repository at `<dir>/remote.git` fed from a work tree at `<dir>/work`. */
export function createTestRepo(dir: string): TestRepo {
  const bareDir = join(dir, 'remote.git');
  const workDir = join(dir, 'work');
  mkdirSync(bareDir, { recursive: true });
  mkdirSync(workDir, { recursive: true });
  git(bareDir, ['init', '-q', '--bare', '--template=']);
  git(workDir, ['init', '-q', '--template=']);
  const push = (message: string): string => {
    git(workDir, ['add', '-A']);
    git(workDir, ['commit', '-q', '--allow-empty', '-m', message]);
    git(workDir, ['push', '-q', bareDir, 'HEAD:refs/heads/main']);
    return git(workDir, ['rev-parse', 'HEAD']);
  };
  return {
    url: `file://${bareDir}`,
    bareDir,
    workDir,
    commit(files, message = 'change') {
      for (const [path, content] of Object.entries(files)) {
        const target = join(workDir, path);
        mkdirSync(dirname(target), { recursive: true });
        if (typeof content === 'object' && 'symlink' in content) symlinkSync(content.symlink, target);
        else writeFileSync(target, content);
      }
      return push(message);
    },
    commitFolder(source, options = {}) {
      const exclude = options.exclude ?? [];
      cpSync(source, workDir, {
        recursive: true,
        filter: (path) => !exclude.some((name) => path === join(source, name)),
      });
      return push(`copy of ${source}`);
    },
  };
}
