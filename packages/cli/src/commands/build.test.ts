import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEMPLATES_DIR, makeTempDir, stoa } from '../cli.test-util.js';

const BUILD_TIMEOUT_MS = 180_000;

interface BuildJson {
  id: string;
  bytes: number;
  file: string;
  manifest: {
    format: string;
    name: string;
    partitions: number;
    modules: Record<string, { sha256: string; bytes: number }>;
  };
}

let temp: { dir: string; cleanup: () => void };
let todo: string;
beforeAll(async () => {
  temp = makeTempDir('build');
  todo = join(temp.dir, 'todo');
  expect((await stoa(['init', 'todo'], { cwd: temp.dir })).code).toBe(0);
});
afterAll(() => temp.cleanup());

describe('stoa build', () => {
  it(
    'twice gives the same id and bytes; the default file is .stoa/bundles/<id>.zip',
    async () => {
      const first = await stoa(['build', 'todo', '--json'], { cwd: temp.dir });
      expect(first.code).toBe(0);
      const a = JSON.parse(first.stdout) as BuildJson;
      const bytesA = readFileSync(a.file);
      rmSync(join(todo, '.stoa'), { recursive: true });

      const second = await stoa(['build', '--json'], { cwd: todo });
      expect(second.code).toBe(0);
      const b = JSON.parse(second.stdout) as BuildJson;
      expect(b.id).toBe(a.id);
      expect(b.file).toBe(join(todo, '.stoa/bundles', `${a.id}.zip`));
      expect(readFileSync(b.file).equals(bytesA)).toBe(true);
      expect(createHash('sha256').update(bytesA).digest('hex')).toBe(a.id);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    '--json prints exactly {id, bytes, file, manifest}; --out picks the file',
    async () => {
      const res = await stoa(['build', 'todo', '--json', '--out', 'out/b.zip'], { cwd: temp.dir });
      expect(res).toMatchObject({ code: 0, stderr: '' });
      const json = JSON.parse(res.stdout) as BuildJson;
      expect(Object.keys(json)).toEqual(['id', 'bytes', 'file', 'manifest']);
      expect(json.id).toMatch(/^[0-9a-f]{64}$/);
      expect(json.file).toBe(join(temp.dir, 'out/b.zip'));
      expect(json.bytes).toBe(readFileSync(json.file).length);
      expect(json.manifest).toMatchObject({ format: 'stoa.bundle/1', name: 'todo', partitions: 4 });
      expect(json.manifest.modules['todo']?.sha256).toMatch(/^[0-9a-f]{64}$/);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'prints id, size, modules and time for humans',
    async () => {
      const res = await stoa(['build', 'todo'], { cwd: temp.dir });
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(
        /^built todo → todo\/\.stoa\/bundles\/[0-9a-f]{64}\.zip\n {2}id {7}[0-9a-f]{64}\n {2}size {5}[\d.]+ KB \(\d+ bytes\)\n {2}modules {2}todo [\d.]+ KB \((cached|compiled in .+)\)\n {2}time {5}.+\n$/,
      );
    },
    BUILD_TIMEOUT_MS,
  );

  it('a VSQL error exits 1 with file:line:col and a code frame, no stack', async () => {
    const broken = join(temp.dir, 'broken');
    cpSync(join(TEMPLATES_DIR, 'blank'), broken, { recursive: true });
    writeFileSync(
      join(broken, 'schema/myapp.vsql'),
      'APPLICATION myapp();\nWORKSPACE W (\n    TABLE T INHERITS sys.CDoc (X nope);\n);\n',
    );
    const res = await stoa(['build', 'broken'], { cwd: temp.dir });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^error: app folder .*broken: 1 VSQL error\(s\)/);
    expect(res.stderr).toContain('schema/myapp.vsql:3:');
    expect(res.stderr).toContain('> 3 |');
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing folder exits 1 with one line', async () => {
    const res = await stoa(['build', 'nowhere'], { cwd: temp.dir });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('nowhere');
  });
});

describe('stoa codegen', () => {
  it(
    'writes generated.ts equal to the template’s committed one, and says when nothing changed',
    async () => {
      const file = join(todo, 'extensions/todo/generated.ts');
      rmSync(file);
      const res = await stoa(['codegen', 'todo'], { cwd: temp.dir });
      expect(res).toMatchObject({ code: 0, stdout: 'wrote todo/extensions/todo/generated.ts\n' });
      expect(readFileSync(file, 'utf8')).toBe(
        readFileSync(join(TEMPLATES_DIR, 'todo/extensions/todo/generated.ts'), 'utf8'),
      );
      const again = await stoa(['codegen'], { cwd: todo });
      expect(again.stdout).toBe('unchanged extensions/todo/generated.ts\n');
    },
    BUILD_TIMEOUT_MS,
  );

  it('has nothing to do for a project without WASM extensions', async () => {
    expect((await stoa(['init', 'blank', '--template', 'blank'], { cwd: temp.dir })).code).toBe(0);
    const res = await stoa(['codegen', 'blank'], { cwd: temp.dir });
    expect(res).toMatchObject({ code: 0, stdout: '' });
    expect(res.stderr).toContain('no package declares EXTENSION ENGINE WASM');
    expect(existsSync(join(temp.dir, 'blank/extensions'))).toBe(false);
  });
});
