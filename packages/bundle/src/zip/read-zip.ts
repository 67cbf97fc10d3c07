// Defensive zip reading for untrusted archives (bundles, uploaded projects). Not fflate's
// `unzipSync`: it inflates into a buffer of the declared size but keeps decoding the whole stream
// past its end, so a 32 MiB bomb costs minutes of CPU (measured: 48 KB of deflate → 0.74 s).
// `listZipEntries` parses and checks the central directory first (count, names, types, structure —
// nothing inflated); `inflateZipEntry` then inflates one entry by zlib with `maxOutputLength` = its
// declared size, which stops at the first byte too many, and checks its size and CRC-32.
import { crc32, inflateRawSync } from 'node:zlib';
import { AppError } from '@stoa/errors';

export interface ListZipOptions {
  readonly maxEntries: number;
  /** Why a name is refused, or undefined; called for every entry before anything else about it. */
  readonly explainBadName: (name: string) => string | undefined;
  /** Directory entries (`name/`) are listed when true, refused when false (the default). */
  readonly allowDirectories?: boolean;
  /** The subject of error messages: `bundle` → "bundle has 5 entries, …" (default `zip archive`). */
  readonly label?: string;
}

export interface ZipEntry {
  /** As stored; a directory's name ends with `/`. */
  readonly name: string;
  readonly isDirectory: boolean;
  /** Declared uncompressed size (0 for directories). */
  readonly size: number;
  readonly compressedSize: number;
  /** 0 stored, 8 deflate. */
  readonly method: number;
  readonly crc: number;
  /** Permission bits (`0o644`) when the archive was made on Unix, else undefined. */
  readonly unixPermissions: number | undefined;
  /** Start of the entry's data (after its local header). */
  readonly dataStart: number;
}

/**
 * A refused archive. `message` has the caller's label as subject (`bundle has 5 entries, more than
 * the limit of 3`); `problem` is the same without it (`5 entries, more than the limit of 3`) for
 * callers that phrase it as `<label>: <problem>`.
 */
export class ZipRejectedError extends AppError {
  readonly problem: string;

  constructor(
    code: 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE',
    message: string,
    problem: string,
    data?: Record<string, unknown>,
    cause?: unknown,
  ) {
    super(code, message, { ...(data === undefined ? {} : { data }), ...(cause === undefined ? {} : { cause }) });
    this.problem = problem;
  }
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const HOST_UNIX = 3;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const DEFAULT_LABEL = 'zip archive';

/** Builds errors with the caller's label as the subject. */
class Refuser {
  constructor(readonly label: string) {}

  /** Archive-level: `<label> <verb> <problem>` / `<problem>`. */
  archive(verb: 'has' | 'is', problem: string, data?: Record<string, unknown>): never {
    throw new ZipRejectedError('BAD_REQUEST', `${this.label} ${verb} ${problem}`, problem, data);
  }

  /** Structural damage: `<label> is not a valid zip archive: <detail>`. */
  invalid(detail: string, entry?: string, cause?: unknown): never {
    const problem = `not a valid zip archive: ${detail}`;
    const data = entry === undefined ? undefined : { entry };
    throw new ZipRejectedError('BAD_REQUEST', `${this.label} is ${problem}`, problem, data, cause);
  }

  /** About one entry: `<label> entry <name> …`, `data.entry`. */
  entry(name: string, problem: string, code: 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE' = 'BAD_REQUEST'): never {
    const full = `entry ${problem}`;
    throw new ZipRejectedError(code, `${this.label} ${full}`, full, { entry: name });
  }
}

/**
 * Every entry of `bytes`, after all checks that need no inflating: the end record ends the file;
 * no multi-disk, zip64, encryption or method but stored/deflate; count ≤ `maxEntries` (else
 * PAYLOAD_TOO_LARGE) and > 0; every name valid UTF-8 (or ASCII), accepted by `explainBadName`,
 * equal to its local header's and unique; no file that is also a directory (`a` and `a/b`); Unix
 * types only regular files and directories (symlinks, devices, FIFOs refused) and agreeing with
 * the trailing `/`; directories empty (and refused unless `allowDirectories`); entries' data
 * disjoint and before the central directory. Throws ZipRejectedError (BAD_REQUEST otherwise).
 */
export function listZipEntries(bytes: Uint8Array, options: ListZipOptions): ZipEntry[] {
  const refuse = new Refuser(options.label ?? DEFAULT_LABEL);
  try {
    const entries = readCentralDirectory(bytes, options, refuse);
    requireConsistentTree(entries, refuse);
    return entries;
  } catch (error) {
    if (error instanceof AppError) throw error;
    // Every read is bounds-checked; should one be missed, garbage is still a client error.
    return refuse.invalid((error as Error).message, undefined, error);
  }
}

/**
 * The content of `entry` (from `listZipEntries` on the same `bytes`). Inflating stops at the first
 * byte past the declared size (PAYLOAD_TOO_LARGE, `data.entry`); the content must have exactly the
 * declared size and CRC-32 (BAD_REQUEST).
 */
export function inflateZipEntry(bytes: Uint8Array, entry: ZipEntry, options: { label?: string } = {}): Uint8Array {
  const refuse = new Refuser(options.label ?? DEFAULT_LABEL);
  const data = bytes.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  let content: Uint8Array;
  if (entry.method === METHOD_STORED) {
    content = data;
  } else {
    try {
      // maxOutputLength must be ≥ 1; an empty entry is then checked by the length test below.
      content = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.size) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        refuse.entry(
          entry.name,
          `${entry.name} inflates to more than its declared ${entry.size} bytes`,
          'PAYLOAD_TOO_LARGE',
        );
      }
      return refuse.entry(entry.name, `${entry.name}: invalid deflate data: ${(error as Error).message}`);
    }
  }
  if (content.length !== entry.size) {
    refuse.entry(entry.name, `${entry.name}: unpacks to ${content.length} bytes, but declares ${entry.size}`);
  }
  if (crc32(content) !== entry.crc) refuse.entry(entry.name, `${entry.name}: CRC-32 mismatch (corrupt archive)`);
  // A copy: callers may keep it, and a stored entry's view would pin the whole archive.
  return new Uint8Array(content);
}

function readCentralDirectory(bytes: Uint8Array, options: ListZipOptions, refuse: Refuser): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(view, refuse);
  const count = view.getUint16(eocd + 10, true);
  const directorySize = view.getUint32(eocd + 12, true);
  const directoryStart = view.getUint32(eocd + 16, true);
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) {
    refuse.invalid('multi-disk archives are not supported');
  }
  if (view.getUint16(eocd + 8, true) !== count) refuse.invalid('inconsistent entry counts');
  if (count === 0xffff || directorySize === 0xffffffff || directoryStart === 0xffffffff) {
    refuse.invalid('zip64 is not supported');
  }
  if (count > options.maxEntries) {
    const problem = `${count} entries, more than the limit of ${options.maxEntries}`;
    throw new ZipRejectedError('PAYLOAD_TOO_LARGE', `${refuse.label} has ${problem}`, problem, {
      entries: count,
      limit: options.maxEntries,
    });
  }
  if (count === 0) refuse.archive('is', 'an empty zip archive');
  if (directoryStart + directorySize !== eocd) refuse.invalid('misplaced central directory');

  const entries: ZipEntry[] = [];
  let at = directoryStart;
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_SIZE > eocd || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      refuse.invalid('bad central directory entry');
    }
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
    if (next > eocd) refuse.invalid('truncated central directory');
    const name = decodeName(bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength), flags, refuse);
    const problem = options.explainBadName(name);
    if (problem !== undefined) refuse.entry(name, `${JSON.stringify(name)}: ${problem}`);
    const unixMode = madeBy >> 8 === HOST_UNIX ? external >>> 16 : undefined;
    const isDirectory = readEntryType(name, unixMode, refuse);
    if (isDirectory && options.allowDirectories !== true) refuse.entry(name, `${name} is a directory entry`);
    if ((flags & FLAG_ENCRYPTED) !== 0) refuse.entry(name, `${name} is encrypted`);
    if (method !== METHOD_STORED && method !== METHOD_DEFLATE) {
      refuse.entry(name, `${name}: compression method ${method} is not supported (only stored and deflate)`);
    }
    if (isDirectory && size !== 0) refuse.entry(name, `${name} is a directory with content`);
    const dataStart = readLocalHeader(bytes, view, localStart, name, refuse);
    const unixPermissions = unixMode === undefined || unixMode === 0 ? undefined : unixMode & 0o7777;
    entries.push({ name, isDirectory, size, compressedSize, method, crc, unixPermissions, dataStart });
    at = next;
  }
  if (at !== eocd) refuse.invalid('inconsistent central directory size');
  requireDisjointData(entries, directoryStart, refuse);
  return entries;
}

/** True for a directory; refuses anything but regular files and directories (symlinks above all). */
function readEntryType(name: string, unixMode: number | undefined, refuse: Refuser): boolean {
  const trailingSlash = name.endsWith('/');
  if (unixMode === undefined) return trailingSlash;
  const type = unixMode & S_IFMT;
  // 0: no type recorded (some tools), the trailing slash decides.
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
    refuse.entry(name, `${name} is ${type === S_IFLNK ? 'a symbolic link' : 'not a regular file or directory'}`);
  }
  if (type === S_IFDIR && !trailingSlash) refuse.entry(name, `${name} is a directory whose name does not end with /`);
  if (type === S_IFREG && trailingSlash) refuse.entry(name, `${name} is a file whose name ends with /`);
  return trailingSlash;
}

/** No name twice (`a/` and `a` count as the same path); no file that is also a parent directory. */
function requireConsistentTree(entries: readonly ZipEntry[], refuse: Refuser): void {
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const entry of entries) {
    const path = entry.isDirectory ? entry.name.slice(0, -1) : entry.name;
    if (files.has(path) || dirs.has(path)) refuse.entry(path, `${path} appears twice`);
    (entry.isDirectory ? dirs : files).add(path);
  }
  // Whatever the order: `a` and `a/b` (or `a/b/`) cannot both be unpacked.
  for (const path of [...files, ...dirs]) {
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) {
      const parent = segments.slice(0, i).join('/');
      if (files.has(parent)) refuse.entry(parent, `${parent} is both a file and a directory`);
    }
  }
}

/** The end-of-central-directory record: it must end the file (a comment is allowed, no trailing bytes). */
function findEndOfCentralDirectory(view: DataView, refuse: Refuser): number {
  const lowest = Math.max(0, view.byteLength - EOCD_SIZE - 0xffff);
  for (let at = view.byteLength - EOCD_SIZE; at >= lowest; at--) {
    if (view.getUint32(at, true) !== EOCD_SIGNATURE) continue;
    if (at + EOCD_SIZE + view.getUint16(at + 20, true) === view.byteLength) return at;
  }
  return refuse.invalid('no end of central directory (truncated or not a zip)');
}

function readLocalHeader(bytes: Uint8Array, view: DataView, at: number, name: string, refuse: Refuser): number {
  if (at + LOCAL_SIZE > bytes.length || view.getUint32(at, true) !== LOCAL_SIGNATURE) {
    refuse.invalid(`bad local header of entry ${name}`, name);
  }
  const nameLength = view.getUint16(at + 26, true);
  const extraLength = view.getUint16(at + 28, true);
  const dataStart = at + LOCAL_SIZE + nameLength + extraLength;
  if (dataStart > bytes.length) refuse.invalid(`truncated entry ${name}`, name);
  // The local name must agree: tools that read local headers must not see another file.
  const localName = decodeName(
    bytes.subarray(at + LOCAL_SIZE, at + LOCAL_SIZE + nameLength),
    view.getUint16(at + 6, true),
    refuse,
  );
  if (localName !== name) refuse.entry(name, `${name}: its local header names ${JSON.stringify(localName)}`);
  return dataStart;
}

/** Entries' data lie before the central directory and never overlap (no overlapping-entry bombs). */
function requireDisjointData(entries: readonly ZipEntry[], directoryStart: number, refuse: Refuser): void {
  const ranges = entries.map((e) => ({ name: e.name, start: e.dataStart, end: e.dataStart + e.compressedSize }));
  ranges.sort((a, b) => a.start - b.start);
  let previousEnd = 0;
  for (const range of ranges) {
    if (range.start < previousEnd || range.end > directoryStart) {
      refuse.invalid(`the data of entry ${range.name} overlaps other data`, range.name);
    }
    previousEnd = range.end;
  }
}

function decodeName(raw: Uint8Array, flags: number, refuse: Refuser): string {
  if ((flags & FLAG_UTF8) === 0 && raw.some((b) => b >= 0x80)) {
    refuse.invalid('an entry name is not ASCII and not marked UTF-8');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return refuse.invalid('an entry name is not valid UTF-8');
  }
}
