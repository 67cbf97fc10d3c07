import type { Command } from 'commander';
import { integerIn } from '../args.js';
import type { CommandContext, RunAction } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';

interface DevOptions {
  readonly port: number;
  readonly host: string;
  readonly dataDir?: string;
  readonly reset?: boolean;
  readonly watch: boolean;
}

export function registerDev(program: Command, ctx: CommandContext, run: RunAction): void {
  program
    .command('dev')
    .description('serve the project on an embedded engine (LMDB in <dir>/.stoa/dev) and reload it on every change')
    .argument('[dir]', 'app project folder', '.')
    .option('--port <port>', 'HTTP port (0 = any free port)', integerIn(0, 65_535), 8080)
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--data-dir <dir>', 'dev data (default: <dir>/.stoa/dev)')
    .option('--reset', 'wipe the dev data before starting')
    .option('--no-watch', 'serve without reloading on file changes')
    .action((dir: string, options: DevOptions) => run(() => dev(ctx, dir, options)));
}

async function dev(ctx: CommandContext, dirArg: string, options: DevOptions): Promise<number> {
  // Imported here: the embedded engine is the CLI's heaviest code, and only `dev` needs it.
  const { startDevServer } = await import('../dev/dev-server.js');
  const server = await startDevServer({
    dir: ctx.resolvePath(dirArg),
    port: options.port,
    host: options.host,
    ...(options.dataDir === undefined ? {} : { dataDir: ctx.resolvePath(options.dataDir) }),
    reset: options.reset === true,
    watch: options.watch,
    print: (text) => void ctx.io.stdout.write(text),
    warn: (text) => void ctx.io.stderr.write(text),
  });
  ctx.print(
    `stoa dev: ${server.app ?? 'no app yet (fix the errors above)'} on ${server.url}`,
    `  openapi   ${server.url}/api/v2/apps/${server.app ?? 'local/<app>'}/openapi.json`,
    `  admin     stoa deploy --url ${server.url} --key ${server.adminKeyFile}   |   stoa logs --follow --url ${server.url} --key ${server.adminKeyFile}`,
    options.watch ? '  watching  stoa.json, schema/, extensions/ (Ctrl-C stops)' : '  not watching (--no-watch)',
  );
  // Serves until the process is interrupted (the binary aborts the signal on Ctrl-C).
  const signal = ctx.io.signal;
  if (signal !== undefined && !signal.aborted) {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  await server.close();
  return EXIT_CODES.OK;
}
