// The disk cache of prepared modules, content-addressed: the key hashes the input module and
// everything the instrumentation's output depends on (initial fuel, suspending imports,
// PREPARE_FORMAT, binaryen's version), so a hit is the module the instrumentation would produce
// now and nothing ever needs evicting for correctness. A hit needs no binaryen at all.
//
// Trust: an entry is host-produced (fuel + asyncify already applied), so whoever can write the
// directory could hand the engine an unmetered module. The directory is therefore used only if
// this process's user owns it and nobody else may write to it; the key includes the input's hash,
// so one module can never be served another module's entry. One file per entry: a JSON header
// line, then the instrumented wasm; writes are atomic (temp file + rename), and an entry that does
// not parse or whose bytes do not match the header's hash is a miss (and is overwritten).
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SUSPENDING_IMPORTS } from './abi.js';
import { BINARYEN_VERSION } from './binaryen-loader.js';

/** Bump on ANY change to what preparation produces (fuel pass, asyncify options, header fields). */
export const PREPARE_FORMAT = 1;

/** What a prepared module needs besides the instrumented bytes. */
export interface PreparedHeader {
  /** sha256 (hex) of the module as the bundle carries it. */
  readonly sha256: string;
  readonly entryPoints: readonly string[];
  readonly memory: { readonly initialPages: number; readonly maximumPages: number | undefined };
}

interface StoredHeader {
  format: number;
  key: string;
  sha256: string;
  wasmBytes: number;
  wasmSha256: string;
  entryPoints: string[];
  memory: { initialPages: number; maximumPages: number | null };
}

export interface StoredPrepared {
  readonly header: PreparedHeader;
  readonly wasm: Uint8Array;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 (hex) over the input's hash and every parameter the instrumented bytes depend on. */
export function computePrepareKey(inputSha256: string, initialFuel: bigint): string {
  const hash = createHash('sha256');
  // Length-prefixed parts, so moving text from one part to the next always changes the key.
  const add = (label: string, text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    hash.update(`${label}\0${bytes.length}\0`);
    hash.update(bytes);
  };
  add('format', String(PREPARE_FORMAT));
  add('binaryen', BINARYEN_VERSION);
  add('input', inputSha256);
  add('initial-fuel', initialFuel.toString());
  add('suspending-imports', SUSPENDING_IMPORTS.join(','));
  return hash.digest('hex');
}

const trustedDirs = new Map<string, Promise<boolean>>();

/** Creates `dir` (0700) and tells whether it is ours alone; decided once per process and directory. */
function isTrustedDir(dir: string): Promise<boolean> {
  let known = trustedDirs.get(dir);
  if (known === undefined) {
    known = checkDir(dir);
    trustedDirs.set(dir, known);
  }
  return known;
}

async function checkDir(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await stat(dir);
    if (!st.isDirectory()) return false;
    if (process.platform === 'win32') return true; // no POSIX owner/mode to check
    return st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function entryFile(dir: string, key: string): string {
  return join(dir, `${key}.prepared`);
}

/** The entry for `key`, or undefined when absent, unreadable, corrupt or the directory is not trusted. */
export async function readPrepared(dir: string, key: string): Promise<StoredPrepared | undefined> {
  if (!(await isTrustedDir(dir))) return undefined;
  let bytes: Buffer;
  try {
    bytes = await readFile(entryFile(dir, key));
  } catch {
    return undefined; // absent or unreadable: instrument (and try to store) again
  }
  return decodeEntry(bytes, key);
}

function decodeEntry(bytes: Buffer, key: string): StoredPrepared | undefined {
  const newline = bytes.indexOf(0x0a);
  if (newline < 0) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.subarray(0, newline).toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isStoredHeader(raw) || raw.format !== PREPARE_FORMAT || raw.key !== key) return undefined;
  const wasm = new Uint8Array(bytes.subarray(newline + 1));
  if (wasm.length !== raw.wasmBytes || sha256Hex(wasm) !== raw.wasmSha256) return undefined;
  return {
    header: {
      sha256: raw.sha256,
      entryPoints: raw.entryPoints,
      memory: { initialPages: raw.memory.initialPages, maximumPages: raw.memory.maximumPages ?? undefined },
    },
    wasm,
  };
}

function isStoredHeader(v: unknown): v is StoredHeader {
  if (typeof v !== 'object' || v === null) return false;
  const h = v as Record<string, unknown>;
  const memory = h['memory'] as Record<string, unknown> | null | undefined;
  return (
    typeof h['format'] === 'number' &&
    typeof h['key'] === 'string' &&
    typeof h['sha256'] === 'string' &&
    typeof h['wasmBytes'] === 'number' &&
    typeof h['wasmSha256'] === 'string' &&
    Array.isArray(h['entryPoints']) &&
    h['entryPoints'].every((e) => typeof e === 'string') &&
    typeof memory === 'object' &&
    memory !== null &&
    Number.isInteger(memory['initialPages']) &&
    (memory['maximumPages'] === null || Number.isInteger(memory['maximumPages']))
  );
}

/**
 * Stores an entry atomically (a unique temp file renamed over the entry: parallel processes see
 * all or nothing). Failures are swallowed: the cache only saves time, the module is prepared anyway.
 */
export async function writePrepared(dir: string, key: string, header: PreparedHeader, wasm: Uint8Array): Promise<void> {
  if (!(await isTrustedDir(dir))) return;
  const stored: StoredHeader = {
    format: PREPARE_FORMAT,
    key,
    sha256: header.sha256,
    wasmBytes: wasm.length,
    wasmSha256: sha256Hex(wasm),
    entryPoints: [...header.entryPoints],
    memory: { initialPages: header.memory.initialPages, maximumPages: header.memory.maximumPages ?? null },
  };
  const file = entryFile(dir, key);
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, Buffer.concat([Buffer.from(`${JSON.stringify(stored)}\n`, 'utf8'), wasm]));
    await rename(temp, file);
  } catch {
    await rm(temp, { force: true }).catch(() => undefined);
  }
}

/** The entry's path (tests corrupt it on purpose). */
export function preparedEntryPath(dir: string, key: string): string {
  return entryFile(dir, key);
}
