// `deploy.build` for uploads: a project archive (zip) from the portal or `stoa deploy`, unpacked into
// a fresh directory. The archive is the tenant's, so nothing in it is believed. @stoa/bundle/zip's
// defensive reader checks the central directory before anything is inflated: entry count, every
// name (relative, `/`-separated, no `..`, no absolute or drive paths, no control characters — the
// rules below), no duplicates or file/directory clashes, and every type (regular files and
// directories only: symlinks, devices and FIFOs are refused); here the sum of declared sizes is
// checked too. Each entry is then inflated by zlib with `maxOutputLength` = its declared size,
// which stops at the first byte too many (a lying header cannot make it inflate a bomb), and must
// match its declared size and CRC-32.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { inflateZipEntry, listZipEntries, ZipRejectedError, type ZipEntry } from '@stoa/bundle/zip';
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

/** Finder's resource forks: not part of any project, skipped rather than refused. */
const SKIPPED_PREFIX = '__MACOSX/';
const LABEL = 'project archive';

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
  const entries = listEntries(archive, max.maxEntries).filter((e) => !e.name.startsWith(SKIPPED_PREFIX));
  requireDeclaredTotal(entries, max.maxBytes);
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
    const content = translateRejection(() => inflateZipEntry(archive, entry, { label: LABEL }));
    await mkdir(dirname(target), { recursive: true });
    // 'wx': never write through anything that already exists (there is nothing, but be sure).
    await writeFile(target, content, { flag: 'wx', mode: 0o644 });
    bytes += content.length;
    files += 1;
  }
  return { dir, projectDir: findProjectDir(dir, entries), files, bytes };
}

function findProjectDir(dir: string, entries: readonly ZipEntry[]): string {
  const names = entries.map((e) => e.name);
  if (names.includes('stoa.json')) return dir;
  const tops = new Set(names.map((n) => n.split('/')[0]));
  const [top] = tops;
  if (tops.size === 1 && top !== undefined && names.includes(`${top}/stoa.json`)) return join(dir, top);
  return dir;
}

/** The sum of the files' declared sizes, before anything is inflated (the reader checked the rest). */
function requireDeclaredTotal(entries: readonly ZipEntry[], maxBytes: number): void {
  let declared = 0;
  for (const entry of entries) {
    declared += entry.size;
    if (declared > maxBytes) {
      const path = entry.isDirectory ? entry.name.slice(0, -1) : entry.name;
      throw new UploadRejectedError('PAYLOAD_TOO_LARGE', `unpacks to more than ${maxBytes} bytes (at entry ${path})`, {
        entry: path,
        limit: maxBytes,
      });
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

function listEntries(archive: Uint8Array, maxEntries: number): ZipEntry[] {
  return translateRejection(() =>
    listZipEntries(archive, { maxEntries, explainBadName: explainBadEntryName, allowDirectories: true, label: LABEL }),
  );
}

/** The reader's refusals as UploadRejectedError (permanent, same code and data), phrased `project archive: …`. */
function translateRejection<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ZipRejectedError) {
      const code = error.code === 'PAYLOAD_TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
      throw new UploadRejectedError(code, error.problem, error.data === undefined ? undefined : { ...error.data });
    }
    throw error;
  }
}
