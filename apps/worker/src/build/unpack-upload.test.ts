import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { isRetryable } from '../failures.js';
import { makeTempDir, type TempDir } from './git-repo.test-util.js';
import { UploadRejectedError, explainBadEntryName, unpackUpload } from './unpack-upload.js';

const temps: TempDir[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) t.cleanup();
});

function target(): string {
  const temp = makeTempDir('unpack');
  temps.push(temp);
  return join(temp.dir, 'out');
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

async function rejection(archive: Uint8Array, limits = {}): Promise<UploadRejectedError> {
  const dir = target();
  const error = await unpackUpload(archive, dir, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UploadRejectedError);
  expect(isRetryable(error)).toBe(false);
  // Nothing was written for archives refused up front.
  if (existsSync(dir)) expect(readdirSync(dir)).toEqual([]);
  return error as UploadRejectedError;
}

/** Sets a field of the first central directory entry (offset from the entry's start). */
function patchCentral(zip: Uint8Array, offset: number, value: number, bytes: 2 | 4): Uint8Array {
  const copy = zip.slice();
  const view = new DataView(copy.buffer);
  for (let at = copy.length - 22; at >= 0; at--) {
    if (view.getUint32(at, true) !== 0x06054b50) continue;
    const central = view.getUint32(at + 16, true);
    if (bytes === 2) view.setUint16(central + offset, value, true);
    else view.setUint32(central + offset, value, true);
    return copy;
  }
  throw new Error('no end of central directory');
}

/** Replaces every occurrence of an ASCII string in the archive's bytes (same length). */
function renameAll(zip: Uint8Array, from: string, to: string): Uint8Array {
  const source = Buffer.from(zip);
  const out = Buffer.from(source.toString('latin1').replaceAll(from, to), 'latin1');
  expect(out.equals(source)).toBe(false);
  return new Uint8Array(out);
}

describe('unpackUpload', () => {
  it('unpacks a project, with or without a wrapping folder', async () => {
    const files: Zippable = {
      'stoa.json': text('{"name":"todo","partitions":1}'),
      schema: { 'todo.vsql': text('APPLICATION todo();') },
      extensions: {},
      '__MACOSX/._stoa.json': text('junk'),
    };
    const dir = target();
    const flat = await unpackUpload(zipSync(files), dir);
    expect(flat).toEqual({ dir, projectDir: dir, files: 2, bytes: 49 });
    expect(readFileSync(join(dir, 'schema/todo.vsql'), 'utf8')).toBe('APPLICATION todo();');
    expect(existsSync(join(dir, '__MACOSX'))).toBe(false);
    expect(readdirSync(join(dir, 'extensions'))).toEqual([]);

    const wrapped = await unpackUpload(zipSync({ 'todo-main': files }), target());
    expect(wrapped.projectDir).toBe(join(wrapped.dir, 'todo-main'));
    expect(existsSync(join(wrapped.projectDir, 'stoa.json'))).toBe(true);
  });

  it('refuses path traversal, absolute paths and odd names before writing anything', async () => {
    for (const name of ['../evil.txt', 'schema/../../evil', '/etc/cron.d/x', 'C:/x', 'a\\..\\b', 'a//b', './a']) {
      const error = await rejection(zipSync({ 'stoa.json': text('{}'), [name]: text('x') }));
      expect(error.message, name).toMatch(/^project archive: entry ".*": /);
      expect(error.data).toMatchObject({ entry: name });
    }
    expect(explainBadEntryName('a\u0000b')).toBe('control character in name');
    expect(explainBadEntryName('ok/name.ts')).toBeUndefined();
  });

  it('refuses symlinks and other non-regular entries', async () => {
    const link = zipSync({
      'stoa.json': text('{}'),
      'schema/x.vsql': [text('/etc/passwd'), { os: 3, attrs: 0o120777 << 16 }],
    });
    expect((await rejection(link)).message).toBe('project archive: entry schema/x.vsql is a symbolic link');
    const fifo = zipSync({ p: [text(''), { os: 3, attrs: 0o010644 << 16 }] });
    expect((await rejection(fifo)).message).toMatch(/is not a regular file or directory/);
    // A regular file with Unix mode bits is fine.
    const regular = zipSync({ 'stoa.json': [text('{}'), { os: 3, attrs: 0o100644 << 16 }] });
    expect((await unpackUpload(regular, target())).files).toBe(1);
  });

  it('refuses duplicates and file/directory clashes', async () => {
    // Two entries renamed to the same name in their local and central headers alike.
    const dup = renameAll(zipSync({ aa: text('1'), ab: text('2') }, { level: 0 }), 'ab', 'aa');
    expect((await rejection(dup)).message).toBe('project archive: entry aa appears twice');
    const clash = zipSync({ a: text('file'), 'a/b': text('inside a file') });
    expect((await rejection(clash)).message).toBe('project archive: entry a is both a file and a directory');
  });

  it('caps entries and declared sizes before inflating (bombs), and stops a lying header at once', async () => {
    const many = zipSync(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, text('x')])));
    expect((await rejection(many, { maxEntries: 10 })).message).toBe(
      'project archive: 12 entries, more than the limit of 10',
    );

    // 3 × 4 MiB of zeros: ~12 KB of deflate that declares 12 MiB.
    const zeros = new Uint8Array(4 * 1024 * 1024);
    const bomb = zipSync({ a: zeros, b: zeros, c: zeros }, { level: 9 });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const declared = await rejection(bomb, { maxBytes: 10 * 1024 * 1024 });
    expect(declared.code).toBe('PAYLOAD_TOO_LARGE');
    expect(declared.message).toBe('project archive: unpacks to more than 10485760 bytes (at entry c)');

    // The header lies low: declares 1000 bytes for 4 MiB of zeros.
    const liar = patchCentral(zipSync({ a: zeros }, { level: 9 }), 24, 1000, 4);
    const started = performance.now();
    const lying = await rejection(liar);
    expect(lying.message).toBe('project archive: entry a inflates to more than its declared 1000 bytes');
    expect(performance.now() - started).toBeLessThan(500);

    expect((await rejection(new Uint8Array(100), { maxArchiveBytes: 50 })).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses garbage, truncated and corrupt archives as bad requests', async () => {
    const good = zipSync({ 'stoa.json': text('{"name":"x"}') }, { level: 0 });
    expect((await rejection(text('not a zip at all'))).message).toMatch(/no end of central directory/);
    expect((await rejection(good.subarray(0, good.length - 5))).code).toBe('BAD_REQUEST');
    const flipped = renameAll(good, '{"name":"x"}', '{"name":"y"}');
    expect((await rejection(flipped)).message).toBe(
      'project archive: entry stoa.json: CRC-32 mismatch (corrupt archive)',
    );
  });
});
