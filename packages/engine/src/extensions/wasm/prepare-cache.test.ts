import { chmod, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearPreparedMemo, prepareModule, type PreparedModule } from './instrument.js';
import { computePrepareKey, preparedEntryPath } from './prepare-cache.js';
import { createWasmHost, type LoadedWasmExtensions } from './wasm-host.js';
import { compileApp, createTestStore, guestWasm, makeBundle, TASK_ID, type TestStore } from './wasm-host.test-util.js';

const appdef = compileApp();
let store: TestStore;
const dirs: string[] = [];

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stoa-prepare-cache-test-'));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  store = await createTestStore(appdef);
  await store.seedTask(TASK_ID, { Title: 'cached', Done: true });
});

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function prepared(bytes: Uint8Array, cacheDir: string, initialFuel?: bigint): Promise<PreparedModule> {
  const result = await prepareModule(bytes, { cacheDir, initialFuel });
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.prepared;
}

/** A module no other test prepares, so the process-wide memo starts empty for it (names are not emitted). */
function uniqueWasm(tag: string): Uint8Array {
  const n = [...tag].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 7);
  return guestWasm({
    extra: `(global $unique i32 (i32.const ${n}))`,
    exports: { Query: `(call $echo (call $get_record (i64.const ${TASK_ID})))` },
  });
}

describe('prepared-module disk cache', () => {
  it('a second host with the same cacheDir loads from disk (no instrumentation), then from the memo', async () => {
    const cacheDir = await freshDir();
    const bundle = makeBundle(appdef, uniqueWasm('twoHosts'));
    const first = (await createWasmHost({ cacheDir }).load(bundle)) as LoadedWasmExtensions;
    expect(first.preparedFrom('wt')).toBe('miss');
    expect((await readdir(cacheDir)).filter((f) => f.endsWith('.prepared'))).toHaveLength(1);

    clearPreparedMemo(); // as in a new process
    const second = (await createWasmHost({ cacheDir }).load(bundle)) as LoadedWasmExtensions;
    expect(second.preparedFrom('wt')).toBe('disk');
    const third = (await createWasmHost({ cacheDir }).load(bundle)) as LoadedWasmExtensions;
    expect(third.preparedFrom('wt')).toBe('memo');

    // The disk-cached module suspends in get_record and answers like the instrumented one.
    const built = store.context('wt.Query');
    try {
      await second.invoke('wt.Query', built.ctx);
    } finally {
      built.close();
    }
    expect(built.intents.results).toEqual([
      expect.objectContaining({ 'sys.ID': TASK_ID, Title: 'cached', Done: true }),
    ]);
    await Promise.all([first.dispose(), second.dispose(), third.dispose()]);
  });

  it('keeps what PreparedModule needs: entry points, memory limits, input hash', async () => {
    const cacheDir = await freshDir();
    const wasm = guestWasm({
      extra: '(global $limits i32 (i32.const 42))',
      memory: '(import "env" "memory" (memory 2 100))',
    });
    const miss = await prepared(wasm, cacheDir);
    clearPreparedMemo();
    const disk = await prepared(wasm, cacheDir);
    expect(disk.cached).toBe('disk');
    expect(disk.entryPoints).toEqual(miss.entryPoints);
    expect(disk.memory).toEqual({ initialPages: 2, maximumPages: 100 });
    expect(disk.sha256).toBe(miss.sha256);
  });

  it.each([
    ['truncated', (file: string) => truncate(file, 100)],
    ['garbage', (file: string) => writeFile(file, 'not an entry at all')],
    [
      'a flipped wasm byte',
      async (file: string) => {
        const bytes = await readFile(file);
        bytes[bytes.length - 3]! ^= 0xff;
        await writeFile(file, bytes);
      },
    ],
  ])('a %s entry is a miss and is overwritten', async (_what, damage) => {
    const cacheDir = await freshDir();
    const wasm = uniqueWasm(`damaged${dirs.length}`);
    const miss = await prepared(wasm, cacheDir);
    const file = preparedEntryPath(cacheDir, computePrepareKey(miss.sha256, 0n));
    await damage(file);
    clearPreparedMemo();
    expect((await prepared(wasm, cacheDir)).cached).toBe('miss');
    clearPreparedMemo();
    expect((await prepared(wasm, cacheDir)).cached).toBe('disk');
  });

  it('different initial fuel is a different entry; different bytes never share one', async () => {
    const cacheDir = await freshDir();
    const wasm = uniqueWasm('fuelKey');
    expect((await prepared(wasm, cacheDir, 1n)).cached).toBe('miss');
    expect((await prepared(wasm, cacheDir, 2n)).cached).toBe('miss');
    expect((await prepared(uniqueWasm('fuelKeyOther'), cacheDir, 1n)).cached).toBe('miss');
    expect((await readdir(cacheDir)).filter((f) => f.endsWith('.prepared'))).toHaveLength(3);
    const sha = 'ab'.repeat(32);
    expect(computePrepareKey(sha, 1n)).not.toBe(computePrepareKey(sha, 2n));
    expect(computePrepareKey(sha, 1n)).not.toBe(computePrepareKey('cd'.repeat(32), 1n));
  });

  it.skipIf(process.platform === 'win32')(
    'ignores a directory others may write to (its entries could be unmetered modules)',
    async () => {
      const cacheDir = await freshDir();
      await chmod(cacheDir, 0o777);
      const wasm = uniqueWasm('openDir');
      expect((await prepared(wasm, cacheDir)).cached).toBe('miss');
      expect(await readdir(cacheDir)).toEqual([]);
    },
  );
});
