// Helpers for the bundle tests: unpack a (trusted) bundle, edit it, repack it; patch raw zip bytes
// to build malformed archives; catch the AppError an open throws.
import { AppError } from '@stoa/errors';
import { unzipSync } from 'fflate';
import { expect } from 'vitest';
import { sha256Hex } from './build-bundle.js';
import { toCanonicalJson } from './canonical-json.js';
import { openBundle, type OpenBundleOptions } from './open-bundle.js';
import { writeZip } from './zip-write.js';

/** A small app without WASM extensions: bundles without running asc. */
export const PLAIN_VSQL = `APPLICATION plain();
WORKSPACE PlainWS (
    DESCRIPTOR Plain ( Name varchar(50) NOT NULL );
    TABLE Item INHERITS sys.CDoc ( Title varchar(100) NOT NULL );
);
`;

export function unpack(bytes: Uint8Array): Map<string, Uint8Array> {
  return new Map(Object.entries(unzipSync(bytes)));
}

export function repack(bytes: Uint8Array, edit: (entries: Map<string, Uint8Array>) => void): Uint8Array {
  const entries = unpack(bytes);
  edit(entries);
  return writeZip(entries);
}

export function readJson(entries: ReadonlyMap<string, Uint8Array>, name: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(entries.get(name))) as Record<string, unknown>;
}

export function writeJson(entries: Map<string, Uint8Array>, name: string, value: unknown): void {
  entries.set(name, new TextEncoder().encode(`${toCanonicalJson(value, 2)}\n`));
}

/** Replaces the entry `name` and records its new sha256 in the manifest, so only later checks can object. */
export function replaceListedEntry(entries: Map<string, Uint8Array>, name: string, data: Uint8Array): void {
  entries.set(name, data);
  const manifest = readJson(entries, 'manifest.json');
  if (name === 'appdef.json') manifest['appdefSha256'] = sha256Hex(data);
  else if (name.startsWith('schema/')) (manifest['sources'] as Record<string, string>)[name] = sha256Hex(data);
  else throw new Error(`replaceListedEntry: ${name} not supported`);
  writeJson(entries, 'manifest.json', manifest);
}

/** Offset of the central directory header of `name` (fflate writes names as plain bytes). */
export function findCentralHeader(zip: Uint8Array, name: string): number {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const encoded = new TextEncoder().encode(name);
  for (let at = 0; at + 46 <= zip.length; at++) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const nameLength = view.getUint16(at + 28, true);
    const candidate = zip.subarray(at + 46, at + 46 + nameLength);
    if (candidate.length === encoded.length && candidate.every((b, i) => b === encoded[i])) return at;
  }
  throw new Error(`no central directory entry ${name}`);
}

/** A copy of `zip` whose central directory declares `size` uncompressed bytes for `name`. */
export function withDeclaredSize(zip: Uint8Array, name: string, size: number): Uint8Array {
  const copy = new Uint8Array(zip);
  new DataView(copy.buffer).setUint32(findCentralHeader(copy, name) + 24, size, true);
  return copy;
}

/** The AppError `openBundle` throws; fails the test on success or on any other error. */
export function openError(bytes: Uint8Array, options?: OpenBundleOptions): AppError {
  let error: unknown;
  try {
    openBundle(bytes, options);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.httpStatus).toBeGreaterThanOrEqual(400);
  expect(appError.httpStatus).toBeLessThan(500);
  return appError;
}
