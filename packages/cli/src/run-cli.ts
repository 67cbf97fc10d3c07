import { Command, CommanderError } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { registerApps } from './commands/apps.js';
import { registerBuild } from './commands/build.js';
import { registerCodegen } from './commands/codegen.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDev } from './commands/dev.js';
import { registerInit } from './commands/init.js';
import { registerKeygen } from './commands/keygen.js';
import { registerLogs } from './commands/logs.js';
import { registerRollback } from './commands/rollback.js';
import { registerSecrets } from './commands/secrets.js';
import { registerUndeploy } from './commands/undeploy.js';
import { CommandContext, type CliIo } from './context.js';
import { parseCliEnv, readProcessEnv } from './env.js';
import { describeError, exitCodeOf } from './errors.js';
import { EXIT_CODES } from './exit-codes.js';

export const VERSION: string = packageJson.version;

/**
 * Runs one `stoa` command line (`argv` without node and the script) against `io` and resolves to
 * its exit code; never rejects and never exits the process, so tests run commands in-process.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const env = io.env === undefined ? readProcessEnv() : parseCliEnv(io.env);
  const ctx = new CommandContext(io, env);
  let exitCode: number = EXIT_CODES.OK;
  const run = async (action: () => Promise<number>): Promise<void> => {
    exitCode = await action();
  };
  const program = createProgram(ctx);
  // Commands are registered after the output settings so that they inherit them.
  for (const register of [
    registerInit,
    registerDev,
    registerBuild,
    registerDeploy,
    registerRollback,
    registerUndeploy,
    registerApps,
    registerLogs,
    registerCodegen,
    registerSecrets,
    registerKeygen,
  ]) {
    register(program, ctx, run);
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    // Commander has printed its own message (unknown option, missing argument, …); help and
    // --version end here too, with exit code 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.OK : EXIT_CODES.USAGE;
    ctx.note(`${ctx.err.red('error:')} ${describeError(error)}`);
    return exitCodeOf(error);
  }
}

function createProgram(ctx: CommandContext): Command {
  return new Command('stoa')
    .description('Build, deploy and manage Stoa apps')
    .version(VERSION, '-V, --version', 'print the stoa version')
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void ctx.io.stdout.write(text),
      writeErr: (text) => void ctx.io.stderr.write(text),
    })
    .showHelpAfterError('(stoa --help lists the commands; stoa <command> --help their options)');
}
