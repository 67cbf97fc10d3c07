import type { RollbackTarget } from '@stoa/client/admin';
import type { Command } from 'commander';
import { addAdminOptions, openAdminClient, requireOk, type AdminOptions } from '../admin.js';
import { checkBundleId, integerIn, parseAppRef } from '../args.js';
import type { CommandContext, RunAction } from '../context.js';
import { UsageError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { printDeployResult } from './deploy.js';

interface RollbackOptions extends AdminOptions {
  readonly version?: number;
  readonly bundle?: string;
  readonly json?: boolean;
}

export function registerRollback(program: Command, ctx: CommandContext, run: RunAction): void {
  const command = program
    .command('rollback')
    .description("re-activate a version from the app's history (no compatibility check)")
    .argument('<owner/app>', 'the app, e.g. acme/todo')
    .option(
      '--version <n>',
      'version number to re-activate (see stoa apps owner/app)',
      integerIn(1, Number.MAX_SAFE_INTEGER),
    )
    .option('--bundle <id>', 'bundle id to re-activate');
  addAdminOptions(command)
    .option('--json', 'print the DeployResult as JSON')
    .action((ref: string, options: RollbackOptions) => run(() => rollback(ctx, ref, options)));
}

async function rollback(ctx: CommandContext, ref: string, options: RollbackOptions): Promise<number> {
  const { owner, app } = parseAppRef(ref);
  if ((options.version === undefined) === (options.bundle === undefined)) {
    throw new UsageError('give exactly one of --version <n> and --bundle <id>');
  }
  const target: RollbackTarget =
    options.version !== undefined ? { version: options.version } : { bundle: checkBundleId(options.bundle ?? '') };
  const admin = await openAdminClient(ctx, options);
  const result = requireOk(await admin.rollback(owner, app, target), `roll back ${owner}/${app}`);
  if (options.json === true) ctx.printJson(result);
  else printDeployResult(ctx, result, 'rolled back');
  return EXIT_CODES.OK;
}
