// The built binary: `node build.mjs`, then dist/stoa.js run as a child process — the bundling
// (workspace sources in, npm packages out), the copied compiler thread and the templates folder
// must all work from dist/.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { REPO_ROOT, makeTempDir } from './cli.test-util.js';

const run = promisify(execFile);
const PACKAGE_DIR = join(import.meta.dirname, '..');
const BIN = join(PACKAGE_DIR, 'dist/stoa.js');

let temp: { dir: string; cleanup: () => void };
beforeAll(async () => {
  temp = makeTempDir('dist');
  // The children inherit this: an empty compiler cache (so the WASM build really runs asc in the
  // thread copied next to dist/stoa.js) and no admin defaults from the developer's shell.
  mkdirSync(join(temp.dir, 'tmp'));
  vi.stubEnv('TMPDIR', join(temp.dir, 'tmp'));
  vi.stubEnv('STOA_ADMIN_URL', '');
  vi.stubEnv('STOA_ADMIN_KEY_FILE', '');
  await run(process.execPath, ['build.mjs'], { cwd: PACKAGE_DIR });
}, 120_000);
afterAll(() => {
  vi.unstubAllEnvs();
  temp.cleanup();
});

async function stoaBin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: temp.dir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('dist/stoa.js', () => {
  it('is an executable ESM file with a shebang and the compiler thread next to it', () => {
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(join(PACKAGE_DIR, 'dist/asc-worker.js')).isFile()).toBe(true);
  });

  it('prints its version and help; usage errors exit 2', async () => {
    expect(await stoaBin(['--version'])).toEqual({ code: 0, stdout: `${packageJson.version}\n`, stderr: '' });
    const help = await stoaBin(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['init', 'build', 'deploy', 'rollback', 'apps', 'logs', 'codegen', 'secrets', 'keygen']) {
      expect(help.stdout).toContain(`  ${command} `);
    }
    expect((await stoaBin(['deploy'])).code).toBe(2);
  });

  it('builds a copy of examples/todo (WASM compiled in the copied thread), inits and codegens', async () => {
    cpSync(join(REPO_ROOT, 'examples/todo'), join(temp.dir, 'todo'), { recursive: true });
    const built = await stoaBin(['build', 'todo', '--json']);
    expect(built.code).toBe(0);
    // Compiled by asc (cold cache), not taken from a cache.
    expect(readdirSync(join(temp.dir, 'tmp/stoa-asc-cache'))).toHaveLength(1);
    const { id, file, manifest } = JSON.parse(built.stdout) as {
      id: string;
      file: string;
      manifest: { modules: object };
    };
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(id);
    expect(manifest.modules).toHaveProperty('todo');

    const init = await stoaBin(['init', 'fresh', '--template', 'blank', '--name', 'notes']);
    expect(init.code).toBe(0);
    expect(JSON.parse(readFileSync(join(temp.dir, 'fresh/stoa.json'), 'utf8'))).toEqual({
      name: 'notes',
      partitions: 4,
    });
    expect((await stoaBin(['build', 'fresh'])).stdout).toContain('built notes');
    expect(await stoaBin(['codegen', 'todo'])).toMatchObject({
      code: 0,
      stdout: 'unchanged todo/extensions/todo/generated.ts\n',
    });
  }, 180_000);
});
