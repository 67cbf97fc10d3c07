import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { generateAdminKeyPair } from '@stoa/client/admin';
import { AppError } from '@stoa/errors';
import type { Command } from 'commander';
import type { CommandContext, RunAction } from '../context.js';
import { EXIT_CODES } from '../exit-codes.js';

interface KeygenOptions {
  readonly public?: string;
}

export function registerKeygen(program: Command, ctx: CommandContext, run: RunAction): void {
  program
    .command('keygen')
    .description('create an admin key pair (private JWK file; public JWK printed for STOA_ADMIN_PUBLIC_KEY)')
    .argument('<file>', 'private key file to create (never overwritten)')
    .option('--public <file>', 'also write the public JWK to this file')
    .action((file: string, options: KeygenOptions) => run(() => keygen(ctx, file, options)));
}

async function keygen(ctx: CommandContext, fileArg: string, options: KeygenOptions): Promise<number> {
  const file = ctx.resolvePath(fileArg);
  const publicFile = options.public === undefined ? undefined : ctx.resolvePath(options.public);
  // Both checked before writing either, so a refusal leaves nothing behind.
  for (const target of [file, publicFile]) if (target !== undefined && existsSync(target)) throw alreadyExists(target);
  const { privateJwk, publicJwk } = await generateAdminKeyPair();
  // `wx`: refuse to replace a key file; losing the old private key would lock its users out.
  await writeNew(file, `${JSON.stringify(privateJwk, null, 2)}\n`, 0o600);
  if (publicFile !== undefined) await writeNew(publicFile, `${JSON.stringify(publicJwk, null, 2)}\n`, 0o644);
  ctx.print(JSON.stringify(publicJwk));
  ctx.note(
    `wrote the private key to ${file} (mode 0600; keep it secret)${publicFile === undefined ? '' : ` and the public key to ${publicFile}`}`,
    "trust it on the engine node with STOA_ADMIN_PUBLIC_KEY='<the JSON above>' (or @<public key file>)",
    `then: stoa deploy --url <adminUrl> --key ${fileArg}`,
  );
  return EXIT_CODES.OK;
}

async function writeNew(file: string, text: string, mode: number): Promise<void> {
  try {
    await writeFile(file, text, { flag: 'wx', mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyExists(file);
    throw error;
  }
}

function alreadyExists(file: string): AppError {
  return new AppError('CONFLICT', `${file} already exists: stoa keygen never overwrites a key file`);
}
