import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
// Re-exported by @stoa/bundle (the CLI may not import @stoa/extension-sdk): the very codegen the
// extensions build serves to the compiler, so the file on disk matches what is compiled.
import { codegen } from '@stoa/bundle/extensions';
import { readProject } from '@stoa/bundle/project';
import type { Command } from 'commander';
import type { CommandContext, RunAction } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';
import { listWasmPackages } from '../wasm-packages.js';

export function registerCodegen(program: Command, ctx: CommandContext, run: RunAction): void {
  program
    .command('codegen')
    .description('write extensions/<pkg>/generated.ts (typed AssemblyScript helpers) for each WASM package')
    .argument('[dir]', 'app project folder', '.')
    .action((dir: string) => run(() => generate(ctx, dir)));
}

async function generate(ctx: CommandContext, dirArg: string): Promise<number> {
  const dir = ctx.resolvePath(dirArg);
  const { appdef } = await readProject(dir);
  const packages = listWasmPackages(appdef);
  if (packages.length === 0) {
    ctx.note(`${dirArg}: no package declares EXTENSION ENGINE WASM; nothing to generate`);
    return EXIT_CODES.OK;
  }
  for (const pkg of packages) {
    const file = join(dir, 'extensions', pkg, 'generated.ts');
    const text = codegen(appdef, pkg);
    const shown = relative(ctx.io.cwd, file) || file;
    const before = await readFile(file, 'utf8').catch(() => undefined);
    if (before === text) {
      ctx.print(`unchanged ${shown}`);
      continue;
    }
    await mkdir(join(dir, 'extensions', pkg), { recursive: true });
    await writeFile(file, text);
    ctx.print(`wrote ${shown}`);
  }
  return EXIT_CODES.OK;
}
