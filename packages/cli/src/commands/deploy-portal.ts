// `stoa deploy --portal`: the project goes to the control plane instead of straight to an engine.
// The CLI packs the folder, uploads it with a portal access token as a new deployment, and follows
// the deployment's build and rollout log until it is live or failed. The worker builds it, so what
// runs is what the portal's history shows (source "cli", who, when, schema diff).
import { createPortalClient, type DeployLogEvent } from '@stoa/client/portal';
import { isAppError, type AppError } from '@stoa/errors';
import { requireOk } from '../admin.js';
import { checkAdminUrl, checkOwner } from '../args.js';
import type { CommandContext } from '../context.js';
import { CliFailure, UsageError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatBytes, formatDuration, shortId } from '../format.js';
import { packProject } from '../pack-project.js';
import { withProgress } from '../progress.js';

export interface PortalDeployOptions {
  readonly portal?: string;
  readonly org?: string;
  readonly follow?: boolean;
  readonly json?: boolean;
}

/** A follow failure as the exit code table says: 401/403 → 4, the portal gone → 5, else 1. */
function toCliFailure(error: AppError): CliFailure {
  if (error instanceof CliFailure) return error;
  const exitCode =
    error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN'
      ? EXIT_CODES.AUTH
      : error.code === 'UNAVAILABLE' || error.code === 'TIMEOUT'
        ? EXIT_CODES.UNREACHABLE
        : EXIT_CODES.FAILURE;
  return new CliFailure(error.code, error.message, exitCode);
}

/** Uploads of a large project on a slow link must fit. */
const UPLOAD_TIMEOUT_MS = 120_000;
const TOKEN_PREFIX = 'stoa_pat_';

interface PortalTarget {
  readonly url: string;
  readonly org: string;
  readonly token: string;
}

/** --portal/--org or their env defaults, and the token (environment only: argv is visible in `ps`). */
export function resolvePortalTarget(ctx: CommandContext, options: PortalDeployOptions): PortalTarget {
  const url = options.portal ?? ctx.env.portalUrl;
  if (url === undefined) throw new UsageError('no portal URL: pass --portal <url> or set STOA_PORTAL_URL');
  checkAdminUrl(url, options.portal === undefined ? 'STOA_PORTAL_URL' : '--portal');
  const org = options.org ?? ctx.env.org;
  if (org === undefined) throw new UsageError('no org: pass --org <slug> or set STOA_ORG (the org in the portal URL)');
  const token = ctx.env.portalToken;
  if (token === undefined) {
    throw new UsageError('no portal access token: set STOA_PORTAL_TOKEN (create one in the portal under Tokens)');
  }
  if (!token.startsWith(TOKEN_PREFIX)) {
    throw new UsageError(`STOA_PORTAL_TOKEN is not a portal access token (they start with ${TOKEN_PREFIX})`);
  }
  try {
    checkOwner(org);
  } catch {
    throw new UsageError(`org ${JSON.stringify(org)}: 1-63 characters a-z 0-9 _ -, starting with a letter or digit`);
  }
  return { url: url.replace(/\/+$/, ''), org, token };
}

export async function deployThroughPortal(
  ctx: CommandContext,
  dir: string,
  options: PortalDeployOptions,
): Promise<number> {
  const target = resolvePortalTarget(ctx, options);
  const packed = await withProgress(ctx.io.stderr, 'packing the project', ctx.interactive, () => packProject(dir));
  const app = packed.manifest.name;
  const where = `${target.org}/${app}`;
  const portal = createPortalClient({
    baseUrl: target.url,
    token: target.token,
    timeoutMs: UPLOAD_TIMEOUT_MS,
    ...(ctx.io.fetch === undefined ? {} : { fetch: ctx.io.fetch }),
  });

  const started = Date.now();
  const created = requireOk(
    await withProgress(
      ctx.io.stderr,
      `uploading ${packed.files.length} files (${formatBytes(packed.bytes.length)}) to ${target.url}`,
      ctx.interactive,
      () => portal.createDeployment(target.org, app, packed.bytes),
    ),
    `deploy ${where} through the portal`,
    'portal',
  );
  const id = created.deploymentId;
  const appPage = `${target.url}/orgs/${encodeURIComponent(target.org)}/apps/${encodeURIComponent(app)}`;
  ctx.note(`deployment ${shortId(id)} of ${where} queued (${appPage})`);
  if (options.follow === false) {
    if (options.json === true) ctx.printJson({ deploymentId: id, org: target.org, app, status: 'queued' });
    else ctx.print(id);
    return EXIT_CODES.OK;
  }

  // From here on the deployment exists and goes on without us: a failure to follow says where to look.
  const lost = (error: unknown): CliFailure => {
    const failure = isAppError(error) ? toCliFailure(error) : undefined;
    if (failure === undefined) throw error;
    return new CliFailure(
      failure.code,
      `${failure.message}\ndeployment ${shortId(id)} continues without the CLI: ${appPage}`,
      failure.exitCode,
    );
  };
  // With --json, stdout carries only the final document; the log goes to stderr.
  const logLine = options.json === true ? ctx.note.bind(ctx) : ctx.print.bind(ctx);
  const colors = options.json === true ? ctx.err : ctx.out;
  let stage: string | undefined;
  let end: Extract<DeployLogEvent, { type: 'end' }> | undefined;
  try {
    const followed = requireOk(
      await portal.followDeployment(target.org, app, id, ctx.io.signal === undefined ? {} : { signal: ctx.io.signal }),
      `follow deployment ${shortId(id)}`,
      'portal',
    );
    for await (const event of followed) {
      if (event.type === 'line') {
        const text =
          event.level === 'error'
            ? colors.red(event.text)
            : event.level === 'warn'
              ? colors.yellow(event.text)
              : event.text;
        logLine(text);
      } else if (event.type === 'progress') {
        // Percent updates are many; a stage change is what a reader follows.
        if (event.stage !== stage) logLine(colors.dim(`» ${event.stage}`));
        stage = event.stage;
      } else {
        end = event;
      }
    }
  } catch (error) {
    throw lost(error);
  }
  if (end === undefined) {
    // Ctrl-C (the signal) ended the stream: the deployment goes on without us.
    ctx.note(`stopped following; deployment ${shortId(id)} continues (${appPage})`);
    return EXIT_CODES.FAILURE;
  }
  const took = formatDuration(Date.now() - started);
  if (options.json === true) {
    ctx.printJson({
      deploymentId: id,
      org: target.org,
      app,
      status: end.status,
      ...(end.text === undefined ? {} : { text: end.text }),
    });
  }
  if (end.status === 'live') {
    if (options.json !== true) ctx.print(`${ctx.out.green('live')} ${where}: deployment ${shortId(id)} in ${took}`);
    return EXIT_CODES.OK;
  }
  throw new CliFailure(
    'VALIDATION_FAILED',
    `deployment ${shortId(id)} of ${where} failed after ${took}${end.text === undefined ? '' : `: ${end.text}`}`,
    EXIT_CODES.FAILURE,
  );
}
