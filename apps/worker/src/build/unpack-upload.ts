// `deploy.build` for uploads: a project archive (zip) from the portal or `stoa deploy`, unpacked into
// a fresh directory. The archive is the tenant's, so nothing in it is believed. Like
// @stoa/bundle's bundle reader (whose internals we may not import) the central directory is parsed
// and checked before anything is inflated: entry count, the sum of declared sizes, every name
// (relative, `/`-separated, no `..`, no absolute or drive paths, no control characters, no
// duplicates or file/directory clashes) and every type (regular files and directories only:
// symlinks, devices and FIFOs are refused). Each entry is then inflated by zlib with
// `maxOutputLength` = its declared size, which stops at the first byte too many (a lying header
// cannot make it inflate a bomb), and must match its declared size and CRC-32.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { DeployStepError } from '../failures.js';

export interface UnpackLimits {
  /** Archive bytes (default 32 MiB). */
  readonly maxArchiveBytes?: number;
  /** Entries, directories included (default 10 000). */
  readonly maxEntries?: number;
  /** Sum of the files' uncompressed sizes (default 64 MiB). */
  readonly maxBytes?: number;
}

export interface UnpackedUpload {
  readonly dir: string;
  /** Where stoa.json is: `dir`, or its single top-level folder when the archive wraps the project in one. */
  readonly projectDir: string;
  readonly files: number;
  readonly bytes: number;
}

/** A refused archive: permanent (the same bytes are refused next time). */
export class UploadRejectedError extends DeployStepError {
  constructor(code: 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE', message: string, data?: Record<string, unknown>) {
    super(code, `project archive: ${message}`, false, data === undefined ? {} : { data });
  }
}

export const DEFAULT_UPLOAD_LIMITS = {
  maxArchiveBytes: 32 * 1024 * 1024,
  maxEntries: 10_000,
  maxBytes: 64 * 1024 * 1024,
} as const;

interface Entry {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly dataStart: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;
const HOST_UNIX = 3;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
/** Finder's resource forks: not part of any project, skipped rather than refused. */
const SKIPPED_PREFIX = '__MACOSX/';

/** Unpacks `archive` into `dir` (created; must be empty). Throws UploadRejectedError for bad archives. */
export async function unpackUpload(
  archive: Uint8Array,
  dir: string,
  limits: UnpackLimits = {},
): Promise<UnpackedUpload> {
  const max = { ...DEFAULT_UPLOAD_LIMITS, ...limits };
  if (archive.length > max.maxArchiveBytes) {
    throw new UploadRejectedError(
      'PAYLOAD_TOO_LARGE',
      `${archive.length} bytes, more than the limit of ${max.maxArchiveBytes}`,
    );
  }
  const entries = readEntries(archive, max.maxEntries).filter((e) => !e.name.startsWith(SKIPPED_PREFIX));
  checkTree(entries, max.maxBytes);
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0)
    throw new DeployStepError('INTERNAL', `unpack directory ${dir} is not empty`, true);
  let bytes = 0;
  let files = 0;
  for (const entry of entries) {
    const target = join(dir, entry.name);
    if (entry.isDirectory) {
      await mkdir(target, { recursive: true });
      continue;
    }
    const content = inflate(archive, entry);
    await mkdir(dirname(target), { recursive: true });
    // 'wx': never write through anything that already exists (there is nothing, but be sure).
    await writeFile(target, content, { flag: 'wx', mode: 0o644 });
    bytes += content.length;
    files += 1;
  }
  return { dir, projectDir: findProjectDir(dir, entries), files, bytes };
}

function findProjectDir(dir: string, entries: readonly Entry[]): string {
  const names = entries.map((e) => e.name);
  if (names.includes('stoa.json')) return dir;
  const tops = new Set(names.map((n) => n.split('/')[0]));
  const [top] = tops;
  if (tops.size === 1 && top !== undefined && names.includes(`${top}/stoa.json`)) return join(dir, top);
  return dir;
}

/** Names, types, duplicates and the declared total, all before anything is inflated. */
function checkTree(entries: readonly Entry[], maxBytes: number): void {
  const files = new Set<string>();
  const dirs = new Set<string>();
  let declared = 0;
  for (const entry of entries) {
    const path = entry.isDirectory ? entry.name.slice(0, -1) : entry.name;
    if (files.has(path) || (!entry.isDirectory && dirs.has(path))) {
      throw new UploadRejectedError('BAD_REQUEST', `entry ${path} appears twice`, { entry: path });
    }
    (entry.isDirectory ? dirs : files).add(path);
    declared += entry.size;
    if (declared > maxBytes) {
      throw new UploadRejectedError('PAYLOAD_TOO_LARGE', `unpacks to more than ${maxBytes} bytes (at entry ${path})`, {
        entry: path,
        limit: maxBytes,
      });
    }
  }
  // A file may not also be a parent directory (`a` and `a/b`), whatever the order.
  for (const path of [...files, ...dirs]) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (files.has(parent)) {
        throw new UploadRejectedError('BAD_REQUEST', `entry ${parent} is both a file and a directory`, {
          entry: parent,
        });
      }
    }
  }
}

/** Why a name may not be unpacked, or undefined. */
export function explainBadEntryName(name: string): string | undefined {
  if (name.length === 0) return 'empty name';
  if (name.length > 1024) return 'name longer than 1024 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'control character in name';
  if (name.includes('\\')) return 'backslash in name (paths are /-separated)';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'absolute path';
  const segments = (name.endsWith('/') ? name.slice(0, -1) : name).split('/');
  for (const segment of segments) {
    if (segment === '..') return 'parent directory (..) in path';
    if (segment === '' || segment === '.') return 'empty or . path segment';
    if (Buffer.byteLength(segment) > 255) return 'path segment longer than 255 bytes';
  }
  return undefined;
}

function readEntries(bytes: Uint8Array, maxEntries: number): Entry[] {
  try {
    return readEntriesUnsafe(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), maxEntries);
  } catch (error) {
    if (error instanceof UploadRejectedError) throw error;
    // Every read is bounds-checked; should one be missed, garbage is still the uploader's problem.
    throw new UploadRejectedError('BAD_REQUEST', `not a valid zip archive: ${(error as Error).message}`);
  }
}

function readEntriesUnsafe(bytes: Uint8Array, view: DataView, maxEntries: number): Entry[] {
  const eocd = findEndOfCentralDirectory(view);
  const count = view.getUint16(eocd + 10, true);
  const directorySize = view.getUint32(eocd + 12, true);
  const directoryStart = view.getUint32(eocd + 16, true);
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0)
    bad('multi-disk archives are not supported');
  if (view.getUint16(eocd + 8, true) !== count) bad('inconsistent entry counts');
  if (count === 0xffff || directorySize === 0xffffffff || directoryStart === 0xffffffff) bad('zip64 is not supported');
  if (count > maxEntries) {
    throw new UploadRejectedError('PAYLOAD_TOO_LARGE', `${count} entries, more than the limit of ${maxEntries}`, {
      limit: maxEntries,
    });
  }
  if (count === 0) bad('the archive is empty');
  if (directoryStart + directorySize !== eocd) bad('misplaced central directory');
  const entries: Entry[] = [];
  let at = directoryStart;
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_SIZE > eocd || view.getUint32(at, true) !== CENTRAL_SIGNATURE) bad('bad central directory entry');
    const madeBy = view.getUint16(at + 4, true);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const external = view.getUint32(at + 38, true);
    const localStart = view.getUint32(at + 42, true);
    const next = at + CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (next > eocd) bad('truncated central directory');
    const name = decodeName(bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength), flags);
    const problem = explainBadEntryName(name);
    if (problem !== undefined) {
      throw new UploadRejectedError('BAD_REQUEST', `entry ${JSON.stringify(name)}: ${problem}`, { entry: name });
    }
    const isDirectory = entryType(name, madeBy, external);
    if ((flags & FLAG_ENCRYPTED) !== 0) bad(`entry ${name} is encrypted`);
    if (method !== 0 && method !== 8) bad(`entry ${name}: compression method ${method} is not supported`);
    if (isDirectory && size !== 0) bad(`directory entry ${name} has content`);
    const dataStart = readLocalHeader(bytes, view, localStart, name);
    entries.push({ name, isDirectory, method, crc, compressedSize, size, dataStart });
    at = next;
  }
  if (at !== eocd) bad('inconsistent central directory size');
  requireDisjointData(entries, directoryStart);
  return entries;
}

/** True for a directory; throws for anything but regular files and directories (symlinks above all). */
function entryType(name: string, madeBy: number, external: number): boolean {
  const trailingSlash = name.endsWith('/');
  if (madeBy >> 8 === HOST_UNIX) {
    const mode = (external >>> 16) & S_IFMT;
    if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) {
      const kind = mode === 0o120000 ? 'a symbolic link' : 'not a regular file or directory';
      throw new UploadRejectedError('BAD_REQUEST', `entry ${name} is ${kind}`, { entry: name });
    }
    if (mode === S_IFDIR && !trailingSlash) bad(`directory entry ${name} does not end with /`);
    if (mode === S_IFREG && trailingSlash) bad(`file entry ${name} ends with /`);
  }
  return trailingSlash;
}

/** The end-of-central-directory record must end the archive (a comment is allowed, no trailing bytes). */
function findEndOfCentralDirectory(view: DataView): number {
  const lowest = Math.max(0, view.byteLength - EOCD_SIZE - 0xffff);
  for (let at = view.byteLength - EOCD_SIZE; at >= lowest; at--) {
    if (view.getUint32(at, true) !== EOCD_SIGNATURE) continue;
    if (at + EOCD_SIZE + view.getUint16(at + 20, true) === view.byteLength) return at;
  }
  return bad('no end of central directory (truncated or not a zip)');
}

function readLocalHeader(bytes: Uint8Array, view: DataView, at: number, name: string): number {
  if (at + LOCAL_SIZE > bytes.length || view.getUint32(at, true) !== LOCAL_SIGNATURE)
    bad(`bad local header of entry ${name}`);
  const nameLength = view.getUint16(at + 26, true);
  const extraLength = view.getUint16(at + 28, true);
  const dataStart = at + LOCAL_SIZE + nameLength + extraLength;
  if (dataStart > bytes.length) bad(`truncated entry ${name}`);
  // Tools that read local headers must not see another file than we check.
  const localName = decodeName(
    bytes.subarray(at + LOCAL_SIZE, at + LOCAL_SIZE + nameLength),
    view.getUint16(at + 6, true),
  );
  if (localName !== name) bad(`entry ${name}: its local header names ${JSON.stringify(localName)}`);
  return dataStart;
}

/** Entries' data lie before the central directory and never overlap (no overlapping-entry bombs). */
function requireDisjointData(entries: readonly Entry[], directoryStart: number): void {
  const ranges = entries.map((e) => ({ name: e.name, start: e.dataStart, end: e.dataStart + e.compressedSize }));
  ranges.sort((a, b) => a.start - b.start);
  let previousEnd = 0;
  for (const range of ranges) {
    if (range.start < previousEnd || range.end > directoryStart)
      bad(`the data of entry ${range.name} overlaps other data`);
    previousEnd = range.end;
  }
}

function decodeName(raw: Uint8Array, flags: number): string {
  if ((flags & FLAG_UTF8) === 0 && raw.some((b) => b >= 0x80)) bad('an entry name is not ASCII and not marked UTF-8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return bad('an entry name is not valid UTF-8');
  }
}

function inflate(bytes: Uint8Array, entry: Entry): Uint8Array {
  const data = bytes.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  let content: Uint8Array;
  if (entry.method === 0) {
    content = data;
  } else {
    try {
      content = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new UploadRejectedError(
          'PAYLOAD_TOO_LARGE',
          `entry ${entry.name} inflates to more than its declared ${entry.size} bytes`,
          {
            entry: entry.name,
          },
        );
      }
      return bad(`entry ${entry.name}: invalid deflate data`);
    }
  }
  if (content.length !== entry.size)
    bad(`entry ${entry.name} unpacks to ${content.length} bytes, but declares ${entry.size}`);
  if (crc32(content) !== entry.crc) bad(`entry ${entry.name}: CRC-32 mismatch (corrupt archive)`);
  return content;
}

function bad(message: string): never {
  throw new UploadRejectedError('BAD_REQUEST', message);
}
