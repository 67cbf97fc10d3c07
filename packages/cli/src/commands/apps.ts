import type { AppDetail } from '@stoa/client/admin';
import type { Command } from 'commander';
import { addAdminOptions, openAdminClient, requireOk, type AdminOptions } from '../admin.js';
import { parseAppRef } from '../args.js';
import type { CommandContext, RunAction } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatApps, formatDeployment } from '../format.js';

interface AppsOptions extends AdminOptions {
  readonly json?: boolean;
}

export function registerApps(program: Command, ctx: CommandContext, run: RunAction): void {
  const command = program
    .command('apps')
    .description("list the node's apps, or show one with its deploy history")
    .argument('[owner/app]', 'show this app in detail');
  addAdminOptions(command)
    .option('--json', 'print the AppInfo list / AppDetail as JSON')
    .action((ref: string | undefined, options: AppsOptions) => run(() => apps(ctx, ref, options)));
}

async function apps(ctx: CommandContext, ref: string | undefined, options: AppsOptions): Promise<number> {
  const target = ref === undefined ? undefined : parseAppRef(ref);
  const admin = await openAdminClient(ctx, options);
  if (target === undefined) {
    const list = requireOk(await admin.listApps(), 'list apps');
    if (options.json === true) ctx.printJson(list);
    else if (list.length === 0) ctx.note('no apps on this node');
    else ctx.print(...formatApps(list, ctx.out));
    return EXIT_CODES.OK;
  }
  const detail = requireOk(await admin.getApp(target.owner, target.app), `show ${target.owner}/${target.app}`);
  if (options.json === true) ctx.printJson(detail);
  else ctx.print(...describeApp(ctx, detail));
  return EXIT_CODES.OK;
}

function describeApp(ctx: CommandContext, d: AppDetail): string[] {
  const status = d.status === 'active' ? ctx.out.green(d.status) : ctx.out.yellow(d.status);
  const serving =
    d.active === null
      ? `serving   ${d.versionHash}`
      : `serving   version ${d.active.version}, bundle ${d.active.bundle} (${d.active.kind} ${d.active.at} by ${d.active.by})`;
  const lines = [
    `${ctx.out.bold(`${d.owner}/${d.name}`)}  ${status}  (${d.source}, ${d.partitions} partitions)`,
    serving,
  ];
  if (d.history.length > 0)
    lines.push(
      'history (newest first):',
      ...d.history.flatMap((h) => formatDeployment(h, ctx.out)).map((l) => `  ${l}`),
    );
  return lines;
}
