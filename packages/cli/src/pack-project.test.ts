import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateZipEntry, listZipEntries } from '@stoa/bundle/zip';
import { isAppError } from '@stoa/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from './cli.test-util.js';
import { packProject } from './pack-project.js';

let temp: { dir: string; cleanup: () => void };
beforeEach(() => {
  temp = makeTempDir('pack');
});
afterEach(() => temp.cleanup());

function write(rel: string, content: string | Uint8Array): void {
  const path = join(temp.dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

/** The archive's files and their contents, read back as the worker reads an upload. */
function unzip(bytes: Uint8Array): Map<string, Buffer> {
  const entries = listZipEntries(bytes, { maxEntries: 1_000, explainBadName: () => undefined });
  return new Map(entries.map((entry) => [entry.name, Buffer.from(inflateZipEntry(bytes, entry))]));
}

async function packFailure(dir: string): Promise<unknown> {
  try {
    await packProject(dir);
  } catch (error) {
    return error;
  }
  throw new Error('expected packProject to fail');
}

const MANIFEST = '{ "name": "todo", "partitions": 4 }\n';
const SCHEMA = 'APPLICATION todo();\n';
const BINARY = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);

function writeProject(): void {
  write('stoa.json', MANIFEST);
  write('schema/todo.vsql', SCHEMA);
  write('schema/more/tags.vsql', '-- tags\n');
  write('extensions/slugify/index.ts', 'export function slug(): void {}\n');
  write('README.md', '# todo\n');
  write('assets/logo.bin', BINARY);
}

describe('packProject', () => {
  it('zips every project file under its project-relative posix path, with the same bytes', async () => {
    writeProject();
    const packed = await packProject(temp.dir);
    expect(packed.manifest).toEqual({ name: 'todo', partitions: 4 });
    const files = [
      'README.md',
      'assets/logo.bin',
      'extensions/slugify/index.ts',
      'schema/more/tags.vsql',
      'schema/todo.vsql',
      'stoa.json',
    ];
    expect(packed.files).toEqual(files);
    expect(packed.skipped).toEqual([]);
    const contents = unzip(packed.bytes);
    expect([...contents.keys()].sort()).toEqual(files);
    for (const file of files) expect(contents.get(file)!.equals(readFileSync(join(temp.dir, file)))).toBe(true);
  });

  it('leaves out node_modules/, dot entries and symbolic links, and lists them in `skipped`', async () => {
    writeProject();
    write('node_modules/left-pad/index.js', 'module.exports = 1;\n');
    write('extensions/slugify/node_modules/as/index.js', '\n');
    write('.stoa/bundles/abc.zip', 'PK');
    write('.git/HEAD', 'ref: refs/heads/main\n');
    write('.env', 'SECRET=hunter2\n');
    write('schema/.draft.vsql', '-- draft\n');
    symlinkSync(join(temp.dir, 'README.md'), join(temp.dir, 'link.md'));
    symlinkSync('/etc', join(temp.dir, 'schema/etc'));
    const packed = await packProject(temp.dir);
    expect(packed.skipped).toEqual([
      '.env',
      '.git/',
      '.stoa/',
      'extensions/slugify/node_modules/',
      'link.md',
      'node_modules/',
      'schema/.draft.vsql',
      'schema/etc',
    ]);
    expect(packed.files).not.toContain('link.md');
    const names = [...unzip(packed.bytes).keys()];
    expect(names.sort()).toEqual(packed.files);
    expect(names.some((name) => name.includes('node_modules') || name.includes('/.') || name.startsWith('.'))).toBe(
      false,
    );
    expect(Buffer.from(packed.bytes).includes('hunter2')).toBe(false);
  });

  it('gives the same bytes for the same files', async () => {
    writeProject();
    const a = await packProject(temp.dir);
    const b = await packProject(temp.dir);
    expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    // Only content matters: not when or in which order the files were written.
    const other = makeTempDir('pack-again');
    try {
      const again = (rel: string) => {
        const path = join(other.dir, rel);
        mkdirSync(join(path, '..'), { recursive: true });
        writeFileSync(path, readFileSync(join(temp.dir, rel)));
      };
      for (const file of [...a.files].reverse()) again(file);
      const c = await packProject(other.dir);
      expect(Buffer.from(c.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    } finally {
      other.cleanup();
    }
  });

  it('a folder without stoa.json is NOT_FOUND, before anything is packed', async () => {
    write('schema/todo.vsql', SCHEMA);
    const error = await packFailure(temp.dir);
    expect(isAppError(error) && error.code).toBe('NOT_FOUND');
    expect((error as Error).message).toBe(`${temp.dir} is not an app project: it has no stoa.json`);
  });

  it.each([
    ['{ "name": "Todo", "partitions": 4 }', 'name'],
    ['{ "name": "todo", "partitions": 0 }', 'partitions'],
    ['{ "name": "todo" }', 'partitions'],
  ])('a bad stoa.json (%s) is VALIDATION_FAILED naming the field', async (manifest, field) => {
    write('stoa.json', manifest);
    const error = await packFailure(temp.dir);
    expect(isAppError(error) && error.code).toBe('VALIDATION_FAILED');
    expect((error as Error).message).toContain(`${join(temp.dir, 'stoa.json')}: ${field}: `);
    expect(isAppError(error) && error.data?.['field']).toBe(field);
  });

  it('an archive over 32 MiB is PAYLOAD_TOO_LARGE', async () => {
    write('stoa.json', MANIFEST);
    // Random bytes do not compress: the archive is as large as the file.
    write('assets/noise.bin', randomBytes(32 * 1024 * 1024 + 1));
    const error = await packFailure(temp.dir);
    expect(isAppError(error) && error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((error as Error).message).toMatch(/its archive is 32\.\d MiB, the portal takes at most 32\.0 MiB$/);
  });

  it('stoa.json that is not JSON is VALIDATION_FAILED', async () => {
    write('stoa.json', '{ name: todo }');
    const error = await packFailure(temp.dir);
    expect(isAppError(error) && error.code).toBe('VALIDATION_FAILED');
    expect((error as Error).message).toContain(`${join(temp.dir, 'stoa.json')}: not valid JSON`);
  });
});
