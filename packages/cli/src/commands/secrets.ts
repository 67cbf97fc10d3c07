import type { Command } from 'commander';
import { addAdminOptions, openAdminClient, requireOk, type AdminOptions } from '../admin.js';
import { checkSecretName, parseAppRef } from '../args.js';
import type { CliIo, CommandContext, RunAction } from '../context.js';
import { UsageError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';

interface SecretsOptions extends AdminOptions {
  readonly value?: string;
  readonly json?: boolean;
}

/** The node refuses larger values (docs/admin-api.md). */
const MAX_VALUE_BYTES = 64 * 1024;

export function registerSecrets(program: Command, ctx: CommandContext, run: RunAction): void {
  const secrets = program
    .command('secrets')
    .description("manage an app's secrets (read by extensions; values never leave the node)");
  addAdminOptions(
    secrets
      .command('set')
      .description('set a secret (the value from --value, else from stdin)')
      .argument('<owner/app>', 'the app, e.g. acme/todo')
      .argument('<name>', 'secret name, e.g. API_KEY')
      .option('--value <value>', 'the value (visible in shell history and process lists: prefer stdin)'),
  ).action((ref: string, name: string, options: SecretsOptions) => run(() => setSecret(ctx, ref, name, options)));
  addAdminOptions(
    secrets.command('list').description('list secret names').argument('<owner/app>', 'the app, e.g. acme/todo'),
  )
    .option('--json', 'print {names} as JSON')
    .action((ref: string, options: SecretsOptions) => run(() => listSecrets(ctx, ref, options)));
  addAdminOptions(
    secrets
      .command('delete')
      .description('delete a secret')
      .argument('<owner/app>', 'the app, e.g. acme/todo')
      .argument('<name>', 'secret name'),
  ).action((ref: string, name: string, options: SecretsOptions) => run(() => deleteSecret(ctx, ref, name, options)));
}

async function setSecret(ctx: CommandContext, ref: string, name: string, options: SecretsOptions): Promise<number> {
  const { owner, app } = parseAppRef(ref);
  checkSecretName(name);
  const admin = await openAdminClient(ctx, options);
  const value = options.value ?? (await readValueFromStdin(ctx));
  if (Buffer.byteLength(value, 'utf8') > MAX_VALUE_BYTES) {
    throw new UsageError(`secret ${name}: the value is larger than ${MAX_VALUE_BYTES} bytes`);
  }
  requireOk(await admin.putSecret(owner, app, name, value), `set secret ${name} of ${owner}/${app}`);
  ctx.print(`set secret ${name} of ${owner}/${app}`);
  return EXIT_CODES.OK;
}

async function listSecrets(ctx: CommandContext, ref: string, options: SecretsOptions): Promise<number> {
  const { owner, app } = parseAppRef(ref);
  const admin = await openAdminClient(ctx, options);
  const names = requireOk(await admin.listSecrets(owner, app), `list secrets of ${owner}/${app}`);
  if (options.json === true) ctx.printJson({ names });
  else if (names.length === 0) ctx.note(`${owner}/${app} has no secrets`);
  else ctx.print(...names);
  return EXIT_CODES.OK;
}

async function deleteSecret(ctx: CommandContext, ref: string, name: string, options: SecretsOptions): Promise<number> {
  const { owner, app } = parseAppRef(ref);
  checkSecretName(name);
  const admin = await openAdminClient(ctx, options);
  requireOk(await admin.deleteSecret(owner, app, name), `delete secret ${name} of ${owner}/${app}`);
  ctx.print(`deleted secret ${name} of ${owner}/${app}`);
  return EXIT_CODES.OK;
}

/** All of stdin, minus one trailing newline (what `echo` and here-strings add). */
async function readValueFromStdin(ctx: CommandContext): Promise<string> {
  const stdin: NonNullable<CliIo['stdin']> = ctx.io.stdin ?? process.stdin;
  if (stdin.isTTY === true) ctx.note('type the value, then Ctrl-D (or pass --value, or pipe it in)');
  // Streaming decode: a multi-byte character may be split across chunks.
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return (text + decoder.decode()).replace(/\r?\n$/, '');
}
