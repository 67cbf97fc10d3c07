// The admin commands' common part: --url/--key (or their env defaults), the key file, the token
// subject, and turning failed requests into CliFailures with the right exit code.
import { readFile, stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import {
  createAdminClient,
  parseAdminKeyFile,
  type AdminClient,
  type AdminPrivateJwk,
  type Result,
} from '@stoa/client/admin';
import { AppError, isAppError } from '@stoa/errors';
import type { Command } from 'commander';
import { checkAdminUrl } from './args.js';
import type { CommandContext } from './context.js';
import { UsageError, fromClientError, type Peer } from './errors.js';

export interface AdminOptions {
  readonly url?: string;
  readonly key?: string;
}

/** Per-request deadline of the admin commands (an upload of a 32 MiB bundle must fit). */
const REQUEST_TIMEOUT_MS = 120_000;

/** Adds `--url` and `--key` to an admin command. */
export function addAdminOptions(command: Command): Command {
  return command
    .option('--url <adminUrl>', 'engine admin URL (default: $STOA_ADMIN_URL)')
    .option('--key <keyFile>', 'private admin key file, a JWK (default: $STOA_ADMIN_KEY_FILE)');
}

/** Where the admin API is and which key signs: a UsageError when either is missing. */
export function resolveAdminTarget(ctx: CommandContext, options: AdminOptions): { url: string; keyFile: string } {
  const url = options.url ?? ctx.env.adminUrl;
  if (url === undefined) throw new UsageError('no engine admin URL: pass --url <adminUrl> or set STOA_ADMIN_URL');
  checkAdminUrl(url, options.url === undefined ? 'STOA_ADMIN_URL' : '--url');
  const keyFile = options.key ?? ctx.env.adminKeyFile;
  if (keyFile === undefined) {
    throw new UsageError(
      'no admin key: pass --key <keyFile> or set STOA_ADMIN_KEY_FILE (create one with stoa keygen <file>)',
    );
  }
  return { url, keyFile: ctx.resolvePath(keyFile) };
}

/** Reads and checks the private key file; warns when others may read it. */
export async function readAdminKey(ctx: CommandContext, file: string): Promise<AdminPrivateJwk> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
    const { mode } = await stat(file);
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      ctx.note(
        ctx.err.yellow(
          `warning: key file ${file} is readable by others (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
        ),
      );
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found (create one with stoa keygen <file>)' : (error as Error).message;
    throw new AppError('NOT_FOUND', `key file ${file}: ${why}`, { cause: error });
  }
  try {
    return parseAdminKeyFile(text);
  } catch (error) {
    if (isAppError(error)) throw new AppError(error.code, `key file ${file}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** `cli:<user>@<hostname>`: who acts, recorded in the app's deploy history. */
export function tokenSubject(ctx: CommandContext): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to the environment.
    user = undefined;
  }
  return `cli:${user ?? ctx.env.user ?? 'unknown'}@${hostname()}`;
}

/** The admin client for --url/--key; throws UsageError / key file errors before any request. */
export async function openAdminClient(ctx: CommandContext, options: AdminOptions): Promise<AdminClient> {
  const { url, keyFile } = resolveAdminTarget(ctx, options);
  const key = await readAdminKey(ctx, keyFile);
  return createAdminClient({
    baseUrl: url,
    key,
    subject: tokenSubject(ctx),
    timeoutMs: REQUEST_TIMEOUT_MS,
    ...(ctx.io.fetch === undefined ? {} : { fetch: ctx.io.fetch }),
  });
}

/** The value, or a CliFailure (exit 4 for 401/403, 5 when unreachable, else 1). */
export function requireOk<T>(result: Result<T>, action: string, peer: Peer = 'engine'): T {
  if (result.ok) return result.value;
  throw fromClientError(result.error, action, peer);
}
