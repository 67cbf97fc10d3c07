import { zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { inflateZipEntry, listZipEntries, ZipRejectedError, type ListZipOptions } from './read-zip.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const options: ListZipOptions = { maxEntries: 100, explainBadName: () => undefined };

function rejection(read: () => unknown): ZipRejectedError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ZipRejectedError);
    return error as ZipRejectedError;
  }
  throw new Error('expected a rejection');
}

/** Sets a 4-byte field of the first central directory entry (offset from the entry's start). */
function patchCentral(zip: Uint8Array, offset: number, value: number): Uint8Array {
  const copy = zip.slice();
  const view = new DataView(copy.buffer);
  const eocd = copy.length - 22; // fflate writes no archive comment
  expect(view.getUint32(eocd, true)).toBe(0x06054b50);
  view.setUint32(view.getUint32(eocd + 16, true) + offset, value, true);
  return copy;
}

describe('listZipEntries / inflateZipEntry', () => {
  it('lists entries without inflating, then inflates them with size and CRC checked', () => {
    const zip = zipSync({ 'a.txt': text('hello'), sub: { 'b.bin': [text('bb'), { os: 3, attrs: 0o100640 << 16 }] } });
    const entries = listZipEntries(zip, { ...options, allowDirectories: true });
    expect(entries.map((e) => [e.name, e.isDirectory, e.size])).toEqual([
      ['a.txt', false, 5],
      ['sub/', true, 0],
      ['sub/b.bin', false, 2],
    ]);
    expect(entries[2]?.unixPermissions).toBe(0o640);
    expect(new TextDecoder().decode(inflateZipEntry(zip, entries[0]!))).toBe('hello');
  });

  it('refuses symlinks and special files, with or without allowDirectories', () => {
    const link = zipSync({ 'x.vsql': [text('/etc/passwd'), { os: 3, attrs: 0o120777 << 16 }] });
    for (const allowDirectories of [false, true]) {
      const error = rejection(() => listZipEntries(link, { ...options, allowDirectories, label: 'bundle' }));
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toBe('bundle entry x.vsql is a symbolic link');
      expect(error.problem).toBe('entry x.vsql is a symbolic link');
      expect(error.data).toEqual({ entry: 'x.vsql' });
    }
    const device = zipSync({ dev: [text(''), { os: 3, attrs: 0o020644 << 16 }] });
    expect(rejection(() => listZipEntries(device, options)).problem).toBe(
      'entry dev is not a regular file or directory',
    );
  });

  it('lists or refuses directory entries per allowDirectories, and refuses file/directory clashes', () => {
    const withDir: Zippable = { 'stoa.json': text('{}'), empty: {} };
    const listed = listZipEntries(zipSync(withDir), { ...options, allowDirectories: true });
    expect(listed.find((e) => e.name === 'empty/')).toMatchObject({ isDirectory: true, size: 0 });
    const refused = rejection(() => listZipEntries(zipSync(withDir), options));
    expect(refused.message).toBe('zip archive entry empty/ is a directory entry');
    expect(refused.data).toEqual({ entry: 'empty/' });

    const clash = rejection(() => listZipEntries(zipSync({ a: text('file'), 'a/b': text('x') }), options));
    expect(clash.problem).toBe('entry a is both a file and a directory');
  });

  it('stops inflating a lying header at its declared size (bomb) and catches a CRC mismatch', () => {
    const zeros = new Uint8Array(8 * 1024 * 1024);
    const liar = patchCentral(zipSync({ a: zeros }, { level: 9 }), 24, 1000);
    const [entry] = listZipEntries(liar, options);
    const started = performance.now();
    const bomb = rejection(() => inflateZipEntry(liar, entry!, { label: 'bundle' }));
    expect(performance.now() - started).toBeLessThan(500);
    expect(bomb.code).toBe('PAYLOAD_TOO_LARGE');
    expect(bomb.message).toBe('bundle entry a inflates to more than its declared 1000 bytes');
    expect(bomb.data).toEqual({ entry: 'a' });

    const corrupt = patchCentral(zipSync({ 'a.txt': text('hello') }), 16, 0x12345678);
    const [changed] = listZipEntries(corrupt, options);
    const crc = rejection(() => inflateZipEntry(corrupt, changed!));
    expect(crc.code).toBe('BAD_REQUEST');
    expect(crc.problem).toBe('entry a.txt: CRC-32 mismatch (corrupt archive)');
  });

  it('applies the name rule and the entry limit before anything else', () => {
    const zip = zipSync({ 'ok.txt': text('1'), 'bad.txt': text('2') });
    const named = rejection(() =>
      listZipEntries(zip, { ...options, explainBadName: (n) => (n === 'bad.txt' ? 'not wanted' : undefined) }),
    );
    expect(named.problem).toBe('entry "bad.txt": not wanted');
    const many = rejection(() => listZipEntries(zip, { ...options, maxEntries: 1, label: 'bundle' }));
    expect(many.code).toBe('PAYLOAD_TOO_LARGE');
    expect(many.message).toBe('bundle has 2 entries, more than the limit of 1');
    expect(many.problem).toBe('2 entries, more than the limit of 1');
    expect(rejection(() => listZipEntries(text('not a zip'), options)).problem).toMatch(
      /^not a valid zip archive: no end of central directory/,
    );
  });
});
