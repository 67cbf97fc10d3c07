import type { Command } from 'commander';
import { addAdminOptions, openAdminClient, requireOk, type AdminOptions } from '../admin.js';
import { parseAppRef } from '../args.js';
import type { CommandContext, RunAction } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';

interface UndeployOptions extends AdminOptions {
  readonly json?: boolean;
}

export function registerUndeploy(program: Command, ctx: CommandContext, run: RunAction): void {
  const command = program
    .command('undeploy')
    .description('stop serving an app (data, history and secrets are kept)')
    .argument('<owner/app>', 'the app, e.g. acme/todo');
  addAdminOptions(command)
    .option('--json', 'print the AppInfo as JSON')
    .action((ref: string, options: UndeployOptions) => run(() => undeploy(ctx, ref, options)));
}

async function undeploy(ctx: CommandContext, ref: string, options: UndeployOptions): Promise<number> {
  const { owner, app } = parseAppRef(ref);
  const admin = await openAdminClient(ctx, options);
  const info = requireOk(await admin.undeploy(owner, app), `undeploy ${owner}/${app}`);
  if (options.json === true) {
    ctx.printJson(info);
  } else {
    ctx.print(`undeployed ${owner}/${app}: data, history and secrets are kept; deploy or roll back to serve it again`);
  }
  return EXIT_CODES.OK;
}
