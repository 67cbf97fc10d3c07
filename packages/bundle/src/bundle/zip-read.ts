// Defensive zip reading for untrusted bundles. Not fflate's `unzipSync`: it inflates into a buffer
// of the declared size but keeps decoding the whole stream past its end, so a 32 MiB bomb costs
// minutes of CPU (measured: 48 KB of deflate → 0.74 s). Here the central directory is parsed and
// checked first (count, names, sizes — nothing inflated), then each entry is inflated by zlib with
// `maxOutputLength` = its declared size, which stops at the first byte too many.
import { inflateRawSync } from 'node:zlib';
import { AppError } from '@stoa/errors';

export interface ZipLimits {
  maxEntries: number;
  maxUncompressedBytes: number;
}

interface CentralEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** Start of the entry's data (after its local header). */
  dataStart: number;
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

/**
 * Unzips `bytes` into entry name → content. `explainBadName` says why a name is refused. Throws
 * AppError: PAYLOAD_TOO_LARGE for the limits (entry count, declared or actual uncompressed
 * bytes), BAD_REQUEST for anything malformed (truncated, zip64, encrypted, an unsupported
 * method, overlapping or duplicate entries, a bad name, an entry not matching its declared size).
 */
export function readZip(
  bytes: Uint8Array,
  limits: ZipLimits,
  explainBadName: (name: string) => string | undefined,
): Map<string, Uint8Array> {
  try {
    return readZipUnsafe(bytes, limits, explainBadName);
  } catch (error) {
    if (error instanceof AppError) throw error;
    // Every read is bounds-checked; should one be missed, garbage is still a client error.
    throw new AppError('BAD_REQUEST', `bundle is not a valid zip archive: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function readZipUnsafe(
  bytes: Uint8Array,
  limits: ZipLimits,
  explainBadName: (name: string) => string | undefined,
): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = readCentralDirectory(bytes, view, limits);
  const names = new Set<string>();
  let declared = 0;
  for (const entry of entries) {
    const problem = explainBadName(entry.name);
    if (problem !== undefined) fail(`bundle entry ${JSON.stringify(entry.name)}: ${problem}`, entry.name);
    if (names.has(entry.name)) fail(`bundle entry ${entry.name} appears twice`, entry.name);
    names.add(entry.name);
    declared += entry.size;
    if (declared > limits.maxUncompressedBytes) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `bundle declares more than ${limits.maxUncompressedBytes} bytes uncompressed (at entry ${entry.name})`,
        { data: { entry: entry.name, limit: limits.maxUncompressedBytes } },
      );
    }
  }
  // Only now, with every entry's name and the declared total checked, is anything inflated.
  const out = new Map<string, Uint8Array>();
  for (const entry of entries) out.set(entry.name, inflateEntry(bytes, entry));
  return out;
}

function readCentralDirectory(bytes: Uint8Array, view: DataView, limits: ZipLimits): CentralEntry[] {
  const eocd = findEndOfCentralDirectory(view);
  const count = view.getUint16(eocd + 10, true);
  const directorySize = view.getUint32(eocd + 12, true);
  const directoryStart = view.getUint32(eocd + 16, true);
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 6, true) !== 0) {
    fail('bundle is not a valid zip archive: multi-disk archives are not supported');
  }
  if (view.getUint16(eocd + 8, true) !== count) fail('bundle is not a valid zip archive: inconsistent entry counts');
  if (count === 0xffff || directorySize === 0xffffffff || directoryStart === 0xffffffff) {
    fail('bundle is not a valid zip archive: zip64 is not supported');
  }
  if (count > limits.maxEntries) {
    throw new AppError(
      'PAYLOAD_TOO_LARGE',
      `bundle has ${count} entries, more than the limit of ${limits.maxEntries}`,
      {
        data: { entries: count, limit: limits.maxEntries },
      },
    );
  }
  if (count === 0) fail('bundle is an empty zip archive');
  if (directoryStart + directorySize !== eocd) fail('bundle is not a valid zip archive: misplaced central directory');

  const entries: CentralEntry[] = [];
  let at = directoryStart;
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_SIZE > eocd || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      fail('bundle is not a valid zip archive: bad central directory entry');
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localStart = view.getUint32(at + 42, true);
    const next = at + CENTRAL_SIZE + nameLength + extraLength + commentLength;
    if (next > eocd) fail('bundle is not a valid zip archive: truncated central directory');
    const name = decodeName(bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength), flags);
    if ((flags & FLAG_ENCRYPTED) !== 0) fail(`bundle entry ${name} is encrypted`, name);
    if (method !== METHOD_STORED && method !== METHOD_DEFLATE) {
      fail(`bundle entry ${name}: compression method ${method} is not supported (only stored and deflate)`, name);
    }
    entries.push({ name, method, compressedSize, size, dataStart: readLocalHeader(bytes, view, localStart, name) });
    at = next;
  }
  if (at !== eocd) fail('bundle is not a valid zip archive: inconsistent central directory size');
  requireDisjointData(entries, directoryStart);
  return entries;
}

/** The end-of-central-directory record: it must end the file (a comment is allowed, no trailing bytes). */
function findEndOfCentralDirectory(view: DataView): number {
  const lowest = Math.max(0, view.byteLength - EOCD_SIZE - 0xffff);
  for (let at = view.byteLength - EOCD_SIZE; at >= lowest; at--) {
    if (view.getUint32(at, true) !== EOCD_SIGNATURE) continue;
    if (at + EOCD_SIZE + view.getUint16(at + 20, true) === view.byteLength) return at;
  }
  return fail('bundle is not a valid zip archive (no end of central directory: truncated or not a zip)');
}

function readLocalHeader(bytes: Uint8Array, view: DataView, at: number, name: string): number {
  if (at + LOCAL_SIZE > bytes.length || view.getUint32(at, true) !== LOCAL_SIGNATURE) {
    fail(`bundle is not a valid zip archive: bad local header of entry ${name}`, name);
  }
  const nameLength = view.getUint16(at + 26, true);
  const extraLength = view.getUint16(at + 28, true);
  const dataStart = at + LOCAL_SIZE + nameLength + extraLength;
  if (dataStart > bytes.length) fail(`bundle is not a valid zip archive: truncated entry ${name}`, name);
  // The local name must agree: tools that read local headers must not see another file.
  const localName = decodeName(
    bytes.subarray(at + LOCAL_SIZE, at + LOCAL_SIZE + nameLength),
    view.getUint16(at + 6, true),
  );
  if (localName !== name) fail(`bundle entry ${name}: its local header names ${JSON.stringify(localName)}`, name);
  return dataStart;
}

/** Entries' data lie before the central directory and never overlap (no overlapping-entry bombs). */
function requireDisjointData(entries: readonly CentralEntry[], directoryStart: number): void {
  const ranges = entries.map((e) => ({ name: e.name, start: e.dataStart, end: e.dataStart + e.compressedSize }));
  ranges.sort((a, b) => a.start - b.start);
  let previousEnd = 0;
  for (const range of ranges) {
    if (range.start < previousEnd || range.end > directoryStart) {
      fail(`bundle is not a valid zip archive: the data of entry ${range.name} overlaps other data`, range.name);
    }
    previousEnd = range.end;
  }
}

function decodeName(raw: Uint8Array, flags: number): string {
  if ((flags & FLAG_UTF8) === 0 && raw.some((b) => b >= 0x80)) {
    fail('bundle entry name is not ASCII and not marked UTF-8');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return fail('bundle entry name is not valid UTF-8');
  }
}

function inflateEntry(bytes: Uint8Array, entry: CentralEntry): Uint8Array {
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
        throw new AppError(
          'PAYLOAD_TOO_LARGE',
          `bundle entry ${entry.name} inflates to more than its declared ${entry.size} bytes`,
          { data: { entry: entry.name } },
        );
      }
      return fail(`bundle entry ${entry.name}: invalid deflate data: ${(error as Error).message}`, entry.name);
    }
  }
  if (content.length !== entry.size) {
    fail(`bundle entry ${entry.name}: unpacks to ${content.length} bytes, but declares ${entry.size}`, entry.name);
  }
  return new Uint8Array(content);
}

function fail(message: string, entry?: string): never {
  throw new AppError('BAD_REQUEST', message, entry === undefined ? undefined : { data: { entry } });
}
