import { readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { APP_NAME_PATTERN } from '@stoa/bundle/project';
import { AppError } from '@stoa/errors';
import { Option, type Command } from 'commander';
import type { CommandContext, RunAction } from '../context.js';
import { UsageError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { TEMPLATES, copyTemplate, finishTemplate, readAppName, renameApp, type TemplateName } from '../templates.js';

interface InitOptions {
  readonly template: TemplateName;
  readonly name?: string;
}

// stoa.json allows `-`, but the name is also the VSQL APPLICATION (and package) name, an identifier.
const INIT_NAME_PATTERN = /^[a-z][a-z0-9]{0,62}$/;

export function registerInit(program: Command, ctx: CommandContext, run: RunAction): void {
  program
    .command('init')
    .description('create an app project from a template')
    .argument('<dir>', 'folder to create (must be empty or absent)')
    .addOption(new Option('--template <name>', 'project template').choices(TEMPLATES).default('todo'))
    .option('--name <app>', "app name (stoa.json name and VSQL APPLICATION; default: the template's)")
    .action((dir: string, options: InitOptions) => run(() => init(ctx, dir, options)));
}

async function init(ctx: CommandContext, dirArg: string, options: InitOptions): Promise<number> {
  if (options.name !== undefined && (!INIT_NAME_PATTERN.test(options.name) || !APP_NAME_PATTERN.test(options.name))) {
    throw new UsageError(
      `--name ${JSON.stringify(options.name)}: 1-63 lowercase letters and digits, starting with a letter (it is also the VSQL APPLICATION name, so no "-")`,
    );
  }
  if (options.name === 'sys') throw new UsageError('--name sys: reserved for the built-in package');
  const dir = ctx.resolvePath(dirArg);
  const existed = await requireEmptyOrAbsent(dir);
  try {
    await copyTemplate(options.template, dir);
    const templateName = await readAppName(dir);
    const name = options.name ?? templateName;
    if (name !== templateName) await renameApp(dir, templateName, name);
    await finishTemplate(dir, name);
    const shown = relative(ctx.io.cwd, dir) || '.';
    ctx.print(
      `created ${shown} from template ${options.template} (app ${name})`,
      '',
      'next:',
      ...(shown === '.' ? [] : [`  cd ${shown}`]),
      '  stoa dev                        # serve it locally, reloading on every save',
      '  stoa build                      # compile and bundle',
      '  stoa deploy --url <adminUrl> --key <keyFile>',
    );
    return EXIT_CODES.OK;
  } catch (error) {
    // Leave nothing half-made behind: the folder was empty or absent before.
    await undo(dir, existed);
    throw error;
  }
}

/** True when `dir` exists (empty); throws when it is a file or holds anything. */
async function requireEmptyOrAbsent(dir: string): Promise<boolean> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (!isDirectory) throw new AppError('CONFLICT', `${dir} exists and is not a folder`);
  const entries = await readdir(dir);
  if (entries.length > 0) {
    throw new AppError(
      'CONFLICT',
      `${dir} is not empty (${entries.length} entries): stoa init only creates new projects`,
    );
  }
  return true;
}

async function undo(dir: string, existed: boolean): Promise<void> {
  if (!existed) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  for (const entry of await readdir(dir).catch(() => [])) await rm(join(dir, entry), { recursive: true, force: true });
}
