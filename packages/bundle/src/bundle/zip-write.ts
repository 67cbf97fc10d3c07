// Deterministic zip writing (fflate): the same entries always give the same bytes.
import { zipSync, type Zippable } from 'fflate';
import { comparePaths } from '../project/source-path.js';

/** Deflate level of every entry: part of what makes the bytes reproducible. */
export const ZIP_LEVEL = 9;

/**
 * Zips `entries` sorted by name, each deflated at ZIP_LEVEL with a fixed timestamp (1980-01-01
 * 00:00, the earliest DOS time) and no OS or attribute bits.
 */
export function writeZip(entries: ReadonlyMap<string, Uint8Array>): Uint8Array {
  // fflate writes DOS times from a Date's local-time fields; a Date built from local-time fields
  // gives them back unchanged, so the bytes do not depend on the machine's time zone.
  const mtime = new Date(1980, 0, 1, 0, 0, 0);
  const zippable: Zippable = {};
  // Names always contain a `.` or `/`, so no key is an integer index and insertion order is kept.
  for (const name of [...entries.keys()].sort(comparePaths)) {
    zippable[name] = [entries.get(name)!, { level: ZIP_LEVEL, mtime, os: 0, attrs: 0 }];
  }
  return zipSync(zippable);
}
