// Test helper: compiles an in-memory AssemblyScript guest with the flags the bundle's build step
// uses, resolving `@stoa/extension-sdk/...` through the real node_modules (so the SDK under test is
// the one on disk).
import asc from 'assemblyscript/asc';
import { join, relative, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { SDK_BARE_IMPORT_SHIM } from './codegen.js';

/** The build step's flags (packages/bundle), minus `--outFile`. */
export const BUILD_FLAGS = ['--runtime', 'incremental', '--importMemory', '--optimizeLevel', '2', '--shrinkLevel', '0'];

const packageDir = join(import.meta.dirname, '..');

/**
 * Compiles `files` (paths relative to a virtual app folder → source) with `entry` as the entry file.
 * Returns the wasm bytes; throws with asc's diagnostics on failure.
 */
export async function compileGuest(files: Record<string, string>, entry: string): Promise<Uint8Array> {
  // The virtual app lives inside this package so that node_modules resolution finds the SDK.
  const appDir = 'test-app';
  const virtual = new Map(Object.entries(files).map(([name, source]) => [join(appDir, name), source]));
  let wasm: Uint8Array | undefined;
  let stderr = '';
  const result = await asc.main(
    [join(appDir, entry), ...BUILD_FLAGS, '--outFile', 'out.wasm', '--baseDir', packageDir],
    {
      readFile: async (filename, baseDir) => {
        const rel = relative(packageDir, resolve(baseDir, filename));
        const own = virtual.get(rel);
        if (own !== undefined) return own;
        if (rel.endsWith(join('node_modules', '@stoa', 'extension-sdk', 'index.ts'))) return SDK_BARE_IMPORT_SHIM;
        if (rel.startsWith(appDir)) return null;
        try {
          return await readFile(join(packageDir, rel), 'utf8');
        } catch {
          return null;
        }
      },
      writeFile: (filename, contents) => {
        if (filename.endsWith('.wasm') && typeof contents !== 'string') wasm = contents;
      },
      listFiles: () => [],
      stdout: asc.createMemoryStream(),
      stderr: asc.createMemoryStream((chunk) => {
        stderr += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
      }),
    },
  );
  if (result.error) throw new Error(`asc failed: ${result.error.message}\n${stderr}`);
  if (!wasm) throw new Error(`asc wrote no wasm\n${stderr}`);
  return wasm;
}
