// Bundle-specific zip reading on top of the shared defensive reader (`../zip/read-zip.ts`): no
// directory entries, and the sum of declared sizes is checked before anything is inflated.
import { AppError } from '@stoa/errors';
import { inflateZipEntry, listZipEntries } from '../zip/read-zip.js';

export interface ZipLimits {
  maxEntries: number;
  maxUncompressedBytes: number;
}

const LABEL = 'bundle';

/**
 * Unzips `bytes` into entry name → content. `explainBadName` says why a name is refused. Throws
 * AppError: PAYLOAD_TOO_LARGE for the limits (entry count, declared or actual uncompressed
 * bytes), BAD_REQUEST for anything malformed (truncated, zip64, encrypted, an unsupported
 * method, overlapping or duplicate entries, a bad name, a directory or symlink, an entry not
 * matching its declared size or CRC-32).
 */
export function readZip(
  bytes: Uint8Array,
  limits: ZipLimits,
  explainBadName: (name: string) => string | undefined,
): Map<string, Uint8Array> {
  const entries = listZipEntries(bytes, { maxEntries: limits.maxEntries, explainBadName, label: LABEL });
  let declared = 0;
  for (const entry of entries) {
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
  for (const entry of entries) out.set(entry.name, inflateZipEntry(bytes, entry, { label: LABEL }));
  return out;
}
