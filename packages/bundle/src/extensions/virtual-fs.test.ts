import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { locateOffset } from './diagnostics.js';
import { makeTempDir, writeProject } from './project.test-util.js';
import { readPackageSources, readSdkSources } from './sources.js';
import { renderEntry, SDK_BARE_SHIM, VirtualFs } from './virtual-fs.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('VirtualFs', () => {
  const fs = new VirtualFs({
    pkg: 'calc',
    project: new Map([
      ['extensions/calc/index.ts', 'export function Add(): void {}\n'],
      ['extensions/calc/util/math.ts', 'export const two = 2;\n'],
    ]),
    sdk: new Map([['assembly/abi.ts', '// abi\n']]),
    generated: '// generated\n',
  });

  it("serves the package's sources, the generated entry and helpers, and the SDK", () => {
    expect(fs.readFile('extensions/calc/index.ts')).toBe('export function Add(): void {}\n');
    expect(fs.readFile('extensions/calc/./util/../util/math.ts')).toBe('export const two = 2;\n');
    expect(fs.readFile('extensions/calc/__stoa_entry.ts')).toBe(renderEntry());
    expect(fs.readFile('extensions/calc/generated.ts')).toBe('// generated\n');
    expect(fs.readFile('node_modules/@stoa/extension-sdk/assembly/abi.ts')).toBe('// abi\n');
    expect(fs.readFile('node_modules/@stoa/extension-sdk/index.ts')).toBe(SDK_BARE_SHIM);
    expect(fs.sourceOf('~lib/@stoa/extension-sdk/assembly/abi.ts')).toBe('// abi\n');
  });

  it('answers null for everything else: build configs, other folders, the real disk', () => {
    for (const name of [
      'asconfig.json',
      'extensions/calc/asconfig.json',
      'extensions/builtin.ts',
      'extensions/other/index.ts',
      '../calc/extensions/calc/index.ts',
      '/etc/passwd',
      'node_modules/@stoa/extension-sdk/node_modules/@stoa/extension-sdk/assembly/abi.ts',
      'node_modules/other-package/index.ts',
    ]) {
      expect(fs.readFile(name)).toBeNull();
    }
  });

  it('reads the whole SDK assembly folder', async () => {
    const sdk = await readSdkSources();
    expect([...sdk.keys()]).toEqual(expect.arrayContaining(['assembly/abi.ts', 'assembly/stoa.ts']));
    expect(sdk.get('assembly/abi.ts')).toContain('__stoa_abi_version');
  });

  it("reads a package's .ts files, without the files the build generates or node_modules", async () => {
    const dir = makeTempDir('os');
    dirs.push(dir);
    writeProject(dir, {
      'extensions/builtin.ts': 'export default {};\n',
      'extensions/calc/index.ts': 'a',
      'extensions/calc/lib/b.ts': 'b',
      'extensions/calc/notes.md': 'not source',
      'extensions/calc/generated.ts': 'stale',
      'extensions/calc/__stoa_entry.ts': 'stale',
      'extensions/calc/node_modules/x/index.ts': 'dependency',
    });
    const sources = await readPackageSources(dir, 'calc');
    expect([...sources]).toEqual([
      ['extensions/calc/index.ts', 'a'],
      ['extensions/calc/lib/b.ts', 'b'],
    ]);
  });
});

describe('locateOffset', () => {
  it('gives 1-based line and column', () => {
    const text = 'ab\ncd\n\nef';
    expect(locateOffset(text, 0)).toEqual({ line: 1, column: 1 });
    expect(locateOffset(text, 4)).toEqual({ line: 2, column: 2 });
    expect(locateOffset(text, 7)).toEqual({ line: 4, column: 1 });
  });
});
