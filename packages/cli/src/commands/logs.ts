import type { LogEntry } from '@stoa/client/admin';
import type { Command } from 'commander';
import { addAdminOptions, openAdminClient, requireOk, type AdminOptions } from '../admin.js';
import { integerIn, parseAppRef } from '../args.js';
import type { CommandContext, RunAction } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatLogEntry } from '../format.js';

interface LogsOptions extends AdminOptions {
  readonly app?: string;
  readonly follow?: boolean;
  readonly since?: number;
  readonly limit?: number;
  readonly json?: boolean;
}

/** The node keeps at most this many lines per answer (docs/admin-api.md). */
const MAX_LIMIT = 1000;

export function registerLogs(program: Command, ctx: CommandContext, run: RunAction): void {
  const command = program
    .command('logs')
    .description("read the node's recent log lines (or follow them)")
    .option('--app <owner/app>', 'only lines about this app')
    .option('--follow', 'keep printing new lines until interrupted (Ctrl-C)')
    .option('--since <n>', 'only lines after this sequence number', integerIn(0, Number.MAX_SAFE_INTEGER))
    .option('--limit <n>', `at most this many lines (1…${MAX_LIMIT}, default 200)`, integerIn(1, MAX_LIMIT));
  addAdminOptions(command)
    .option('--json', 'one JSON object per line')
    .action((options: LogsOptions) => run(() => logs(ctx, options)));
}

async function logs(ctx: CommandContext, options: LogsOptions): Promise<number> {
  if (options.app !== undefined) parseAppRef(options.app);
  const admin = await openAdminClient(ctx, options);
  const print = (entry: LogEntry): void => {
    ctx.io.stdout.write(`${options.json === true ? JSON.stringify(entry) : formatLogEntry(entry, ctx.out)}\n`);
  };
  const filter = {
    ...(options.app === undefined ? {} : { app: options.app }),
    ...(options.since === undefined ? {} : { since: options.since }),
  };
  if (options.follow !== true) {
    const page = requireOk(
      await admin.readLogs({ ...filter, ...(options.limit === undefined ? {} : { limit: options.limit }) }),
      'read logs',
    );
    for (const entry of page.entries) print(entry);
    return EXIT_CODES.OK;
  }
  const signal = ctx.io.signal;
  const stream = requireOk(
    await admin.followLogs({ ...filter, ...(signal === undefined ? {} : { signal }) }),
    'follow logs',
  );
  for await (const entry of stream) print(entry);
  // Interrupting is how a follow ends; the node closing the stream is reported.
  if (signal?.aborted !== true) ctx.note('the node closed the log stream');
  return EXIT_CODES.OK;
}
