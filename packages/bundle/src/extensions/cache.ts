// Compiled modules, content-addressed: the key hashes everything the compiler's output depends on,
// so a hit is always the module the compiler would produce now, and nothing ever needs evicting
// for correctness. Two levels: an in-process memo (loading an app again costs no I/O) and files
// under the cache directory shared by every process (tests run in parallel workers; the engine
// and the CLI share it too). A hit never loads or runs asc.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ascArguments } from './asc-compile.js';
import { ASSEMBLYSCRIPT_VERSION, BUILD_FORMAT } from './version.js';

/**
 * sha256 (hex) over the compiler's version and arguments (flags, entry) and every file it can
 * read (VirtualFs.files: the package's sources, entry, generated code, the SDK): all its output
 * depends on.
 */
export function computeCacheKey(pkg: string, files: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256');
  // Length-prefixed parts, so moving text from one part to the next always changes the key.
  const add = (label: string, text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    hash.update(`${label}\0${bytes.length}\0`);
    hash.update(bytes);
  };
  add('format', String(BUILD_FORMAT));
  add('assemblyscript', ASSEMBLYSCRIPT_VERSION);
  add('arguments', ascArguments(pkg).join(' '));
  const paths = [...files.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const path of paths) add(`file:${path}`, files.get(path) ?? '');
  return hash.digest('hex');
}

/** The one WebAssembly call needed here; the repo's TypeScript setup has no DOM lib to type it. */
const webAssembly = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

/** At most this many modules are kept in memory (a dev server sees a new key on every edit). */
const MEMO_LIMIT = 64;
const memo = new Map<string, Promise<Uint8Array>>();

function remember(key: string, bytes: Promise<Uint8Array>): void {
  memo.delete(key);
  memo.set(key, bytes);
  while (memo.size > MEMO_LIMIT) {
    const oldest = memo.keys().next().value;
    if (oldest === undefined) break;
    memo.delete(oldest);
  }
}

/** Forgets the in-process memo (tests use it to make the next build go to disk or to asc). */
export function clearModuleMemo(): void {
  memo.clear();
}

export interface CachedModule {
  bytes: Uint8Array;
  /** True when asc did not run for this call (memo or disk hit, or a compile already in flight). */
  cached: boolean;
}

/**
 * The module for `key`: from the memo, else from `cacheDir`, else `compile()`d and stored. A
 * failed compile is not remembered (the next build reports the errors again).
 */
export async function loadOrCompile(
  key: string,
  cacheDir: string,
  compile: () => Promise<Uint8Array>,
): Promise<CachedModule> {
  const known = memo.get(key);
  if (known !== undefined) {
    try {
      return { bytes: await known, cached: true };
    } catch {
      // The in-flight compile failed; compile (and report) again below.
    }
  }
  const file = join(cacheDir, `${key}.wasm`);
  const stored = await readStored(file);
  if (stored !== undefined) {
    remember(key, Promise.resolve(stored));
    return { bytes: stored, cached: true };
  }
  const compiling = compile();
  remember(key, compiling);
  let bytes: Uint8Array;
  try {
    bytes = await compiling;
  } catch (error) {
    if (memo.get(key) === compiling) memo.delete(key);
    throw error;
  }
  await storeAtomically(cacheDir, file, bytes);
  return { bytes, cached: false };
}

async function readStored(file: string): Promise<Uint8Array | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // Writes are atomic, but a cache directory is just a folder anyone can scribble in: anything
  // that is not a valid module is a miss (and gets overwritten by the compile).
  const copy = new Uint8Array(bytes);
  return webAssembly.validate(copy) ? copy : undefined;
}

/** Write to a unique temp file, then rename: readers in other processes see all or nothing. */
async function storeAtomically(cacheDir: string, file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(temp, bytes);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
