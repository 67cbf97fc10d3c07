import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { buildBundle, type BuiltBundle } from '@stoa/bundle/bundle';
import type { Command } from 'commander';
import type { CommandContext, RunAction } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatBytes, formatDuration } from '../format.js';
import { withProgress } from '../progress.js';

interface BuildOptions {
  readonly out?: string;
  readonly json?: boolean;
}

/** Where `stoa build` puts bundles by default, inside the project. */
export const BUNDLES_DIR = join('.stoa', 'bundles');

export function registerBuild(program: Command, ctx: CommandContext, run: RunAction): void {
  program
    .command('build')
    .description('compile the project and write its bundle (a zip whose sha256 is its id)')
    .argument('[dir]', 'app project folder', '.')
    .option('--out <file>', 'bundle file to write (default: <dir>/.stoa/bundles/<id>.zip)')
    .option('--json', 'print {id, bytes, file, manifest} as JSON')
    .action((dir: string, options: BuildOptions) => run(() => build(ctx, dir, options)));
}

/** Builds the bundle of `dir` under a spinner; shared with `stoa deploy`. */
export async function buildWithProgress(ctx: CommandContext, dir: string): Promise<{ built: BuiltBundle; ms: number }> {
  const started = performance.now();
  const built = await withProgress(ctx.io.stderr, `building ${dir}`, ctx.interactive, () => buildBundle(dir));
  return { built, ms: performance.now() - started };
}

async function build(ctx: CommandContext, dirArg: string, options: BuildOptions): Promise<number> {
  const dir = ctx.resolvePath(dirArg);
  const { built, ms } = await buildWithProgress(ctx, dir);
  const file = options.out === undefined ? join(dir, BUNDLES_DIR, `${built.id}.zip`) : ctx.resolvePath(options.out);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, built.bytes);

  if (options.json === true) {
    ctx.printJson({ id: built.id, bytes: built.bytes.length, file, manifest: built.manifest });
    return EXIT_CODES.OK;
  }
  const modules =
    built.extensions.length === 0
      ? 'none'
      : built.extensions
          .map(
            (m) =>
              `${m.package} ${formatBytes(m.bytes)}${m.cached ? ' (cached)' : ` (compiled in ${formatDuration(m.ms)})`}`,
          )
          .join(', ');
  ctx.print(
    `built ${built.manifest.name} → ${relative(ctx.io.cwd, file) || file}`,
    `  id       ${built.id}`,
    `  size     ${formatBytes(built.bytes.length)} (${built.bytes.length} bytes)`,
    `  modules  ${modules}`,
    `  time     ${formatDuration(ms)}`,
  );
  return EXIT_CODES.OK;
}
