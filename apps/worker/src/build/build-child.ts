// The build child: `node --import tsx build-child.ts <projectDir> <outDir> [cacheDir]`, started by
// build-in-child.ts under CPU, memory and time limits. It builds the bundle with @stoa/bundle
// (which never runs project code: the AssemblyScript compiler reads only an in-memory file map, so
// asconfig.json and its transforms are ignored) and writes `bundle.zip` plus `result.json`
// (`{ok: true, id}` or `{ok: false, error: {code, message, data}}`) into outDir. Progress goes to
// stdout, one line at a time. The parent trusts none of it blindly: it re-opens the bundle.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBundle } from '@stoa/bundle/bundle';
import { AppError } from '@stoa/errors';

export interface BuildChildResult {
  readonly ok: boolean;
  readonly id?: string;
  readonly error?: { readonly code: string; readonly message: string; readonly data?: unknown };
}

/** The parent's pid as the kernel sees it now (`process.ppid` is fixed at start); undefined off Linux. */
function currentParent(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // `pid (comm) state ppid …`; comm may contain spaces and parentheses, so parse after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A worker killed mid-build (SIGKILL, the OOM killer) cannot stop us, and its job is retried
 * elsewhere: this build is for nobody. Node has no parent-death signal, so watch for being
 * re-parented and leave (prlimit exec's node, so the parent is the worker itself).
 */
function exitWhenOrphaned(): void {
  const parent = process.ppid;
  setInterval(() => {
    const now = currentParent();
    if (now !== undefined && now !== parent) process.exit(70);
  }, 250).unref();
}

async function main(argv: readonly string[]): Promise<void> {
  exitWhenOrphaned();
  const [projectDir, outDir, cacheDir] = argv;
  if (projectDir === undefined || outDir === undefined)
    throw new Error('usage: build-child <projectDir> <outDir> [cacheDir]');
  let result: BuildChildResult;
  try {
    process.stdout.write('building the bundle (VSQL, then AssemblyScript extensions)\n');
    const built = await buildBundle(projectDir, cacheDir === undefined || cacheDir === '' ? {} : { cacheDir });
    for (const detail of built.extensions) {
      const how = detail.cached ? 'cached' : `compiled in ${Math.round(detail.ms)} ms`;
      process.stdout.write(`extension package ${detail.package}: ${detail.bytes} bytes, ${how}\n`);
    }
    await writeFile(join(outDir, 'bundle.zip'), built.bytes);
    process.stdout.write(`bundle ${built.id}: ${built.bytes.length} bytes\n`);
    result = { ok: true, id: built.id };
  } catch (error) {
    result =
      error instanceof AppError
        ? { ok: false, error: { code: error.code, message: error.message, data: error.data } }
        : {
            ok: false,
            error: {
              code: 'INTERNAL',
              message: error instanceof Error ? (error.stack ?? error.message) : String(error),
            },
          };
  }
  await writeFile(join(outDir, 'result.json'), JSON.stringify(result));
}

main(process.argv.slice(2)).then(
  // The compiler thread idles for a while before it ends; the result is written, so leave now.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `build child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
