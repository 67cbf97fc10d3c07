import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProject } from '@stoa/bundle/project';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, TEMPLATES_DIR, makeTempDir, stoa } from '../cli.test-util.js';

const BUILD_TIMEOUT_MS = 180_000;

let temp: { dir: string; cleanup: () => void };
beforeEach(() => {
  temp = makeTempDir('init');
});
afterEach(() => temp.cleanup());

function read(...parts: string[]): string {
  return readFileSync(join(...parts), 'utf8');
}

describe('the templates', () => {
  it('todo is examples/todo: same stoa.json, schema and generated.ts, index.ts but for its header comment', () => {
    const example = join(REPO_ROOT, 'examples/todo');
    const template = join(TEMPLATES_DIR, 'todo');
    expect(read(template, 'stoa.json')).toBe(read(example, 'stoa.json'));
    expect(readdirSync(join(template, 'schema'))).toEqual(readdirSync(join(example, 'schema')));
    expect(read(template, 'schema/todo.vsql')).toBe(read(example, 'schema/todo.vsql'));
    expect(read(template, 'extensions/todo/generated.ts')).toBe(read(example, 'extensions/todo/generated.ts'));
    const body = (text: string): string => text.slice(text.indexOf('\nimport '));
    expect(body(read(template, 'extensions/todo/index.ts'))).toBe(body(read(example, 'extensions/todo/index.ts')));
    expect(existsSync(join(template, 'extensions/builtin.ts'))).toBe(false);
  });
});

describe('stoa init', () => {
  it(
    '--template todo (the default) creates a project that builds',
    async () => {
      const res = await stoa(['init', 'app'], { cwd: temp.dir });
      expect(res).toMatchObject({ code: 0, stderr: '' });
      expect(res.stdout).toContain('created app from template todo (app todo)');
      const dir = join(temp.dir, 'app');
      expect(readdirSync(dir).sort()).toEqual(['.gitignore', 'README.md', 'extensions', 'schema', 'stoa.json']);
      expect(readdirSync(join(dir, 'extensions/todo')).sort()).toEqual(['generated.ts', 'index.ts']);
      expect(read(dir, 'README.md')).toMatch(/^# todo — a Stoa app/);
      expect(read(dir, 'README.md')).not.toContain('{{app}}');
      expect(read(dir, '.gitignore')).toBe('.stoa/\n');

      const built = await stoa(['build', 'app', '--json'], { cwd: temp.dir });
      expect(built.code).toBe(0);
      const { manifest } = JSON.parse(built.stdout) as { manifest: { name: string; modules: Record<string, unknown> } };
      expect(manifest.name).toBe('todo');
      expect(Object.keys(manifest.modules)).toEqual(['todo']);
    },
    BUILD_TIMEOUT_MS,
  );

  it('--template blank creates a schema-only project that compiles and builds', async () => {
    const res = await stoa(['init', 'notes', '--template', 'blank'], { cwd: temp.dir });
    expect(res.code).toBe(0);
    const dir = join(temp.dir, 'notes');
    expect(existsSync(join(dir, 'extensions'))).toBe(false);
    const { appdef, manifest } = await readProject(dir);
    expect(manifest.name).toBe('myapp');
    expect(Object.keys(appdef.workspaces)).toContain('myapp.NotebookWS');
    expect(appdef.tables['myapp.Note']).toBeDefined();
    expect(JSON.stringify(appdef.workspaces['myapp.NotebookWS']?.acl)).toContain('myapp.Note');
    const built = await stoa(['build', 'notes'], { cwd: temp.dir });
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/modules {2}none/);
  });

  it(
    '--name renames stoa.json, the APPLICATION, the extensions package and its QNames; the result builds',
    async () => {
      const res = await stoa(['init', 'p', '--name', 'tasks'], { cwd: temp.dir });
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('(app tasks)');
      const dir = join(temp.dir, 'p');
      expect(JSON.parse(read(dir, 'stoa.json'))).toEqual({ name: 'tasks', partitions: 4 });
      expect(read(dir, 'schema/todo.vsql')).toMatch(/^APPLICATION tasks\(\);$/m);
      expect(readdirSync(join(dir, 'extensions'))).toEqual(['tasks']);
      const code = read(dir, 'extensions/tasks/index.ts');
      expect(code).toContain("const TASK = 'tasks.Task';");
      expect(code).not.toContain("'todo.");
      expect(read(dir, 'extensions/tasks/generated.ts')).toContain("export const Task: string = 'tasks.Task';");
      expect(read(dir, 'README.md')).toContain('extensions/tasks/index.ts');

      const blank = await stoa(['init', 'b', '--template', 'blank', '--name', 'notes'], { cwd: temp.dir });
      expect(blank.code).toBe(0);
      expect((await readProject(join(temp.dir, 'b'))).manifest.name).toBe('notes');

      const built = await stoa(['build', 'p', '--json'], { cwd: temp.dir });
      expect(built.code).toBe(0);
      expect((JSON.parse(built.stdout) as { manifest: { modules: object } }).manifest.modules).toHaveProperty('tasks');
    },
    BUILD_TIMEOUT_MS,
  );

  it('refuses a non-empty folder or a file and leaves it untouched; an empty folder is fine', async () => {
    const full = join(temp.dir, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'notes.txt'), 'mine');
    const res = await stoa(['init', 'full'], { cwd: temp.dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`error: ${full} is not empty (1 entries): stoa init only creates new projects\n`);
    expect(readdirSync(full)).toEqual(['notes.txt']);

    writeFileSync(join(temp.dir, 'file'), 'x');
    const onFile = await stoa(['init', 'file'], { cwd: temp.dir });
    expect(onFile.code).toBe(1);
    expect(onFile.stderr).toContain('exists and is not a folder');

    mkdirSync(join(temp.dir, 'empty'));
    expect((await stoa(['init', 'empty', '--template', 'blank'], { cwd: temp.dir })).code).toBe(0);
    expect(statSync(join(temp.dir, 'empty/stoa.json')).isFile()).toBe(true);
  });

  it('bad --name or --template is a usage error (exit 2) and creates nothing', async () => {
    for (const argv of [
      ['init', 'x', '--name', 'my-app'],
      ['init', 'x', '--name', 'Todo'],
      ['init', 'x', '--name', 'sys'],
      ['init', 'x', '--template', 'shop'],
      ['init'],
    ]) {
      const res = await stoa(argv, { cwd: temp.dir });
      expect(res.code, argv.join(' ')).toBe(2);
      expect(res.stderr, argv.join(' ')).toMatch(/error|Allowed choices/);
    }
    expect(existsSync(join(temp.dir, 'x'))).toBe(false);
    const dashed = await stoa(['init', 'x', '--name', 'my-app'], { cwd: temp.dir });
    expect(dashed.stderr).toContain('--name "my-app": 1-63 lowercase letters and digits');
  });
});
