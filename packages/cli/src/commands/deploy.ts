import { readFile } from 'node:fs/promises';
import { openBundle } from '@stoa/bundle/bundle';
import { isIncompatible, type BundleInfo, type BundleManifest, type DeployResult } from '@stoa/client/admin';
import { AppError, isAppError } from '@stoa/errors';
import type { Command } from 'commander';
import { addAdminOptions, openAdminClient, requireOk, type AdminOptions } from '../admin.js';
import { checkOwner } from '../args.js';
import type { CommandContext, RunAction } from '../context.js';
import { UsageError } from '../errors.js';
import { EXIT_CODES } from '../exit-codes.js';
import { formatBreaking, formatBytes, formatDiff, formatDuration, shortId } from '../format.js';
import { withProgress } from '../progress.js';
import { buildWithProgress } from './build.js';
import { deployThroughPortal, type PortalDeployOptions } from './deploy-portal.js';

interface DeployOptions extends AdminOptions, PortalDeployOptions {
  readonly owner?: string;
  readonly bundle?: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
}

/** The owner when neither --owner nor STOA_OWNER says: the single-node convention (`local/todo`). */
export const DEFAULT_OWNER = 'local';

export function registerDeploy(program: Command, ctx: CommandContext, run: RunAction): void {
  const command = program
    .command('deploy')
    .description('build (or read) a bundle, upload it and activate it; prints the schema diff')
    .argument('[dir]', 'app project folder (default: .)');
  addAdminOptions(command)
    .option('--owner <owner>', `app owner (default: $STOA_OWNER or ${DEFAULT_OWNER})`)
    .option('--bundle <zipfile>', 'deploy this bundle file instead of building a project')
    .option('--dry-run', 'upload and show what would change, activate nothing')
    .option('--json', 'print {bundle, result} (or {bundle, refused}) as JSON')
    .option(
      '--portal <url>',
      'deploy through the portal instead (default: $STOA_PORTAL_URL); token in $STOA_PORTAL_TOKEN',
    )
    .option('--org <slug>', 'with --portal: the org (default: $STOA_ORG)')
    .option('--no-follow', 'with --portal: print the deployment id instead of following its log')
    .action((dir: string | undefined, options: DeployOptions) => run(() => deploy(ctx, dir, options)));
}

interface LocalBundle {
  readonly id: string;
  readonly bytes: Uint8Array;
  readonly manifest: BundleManifest;
}

/**
 * Where the deploy goes: `--url` → an engine's admin API, `--portal` (or `--org`) → the portal;
 * neither → $STOA_PORTAL_URL when set, else $STOA_ADMIN_URL. Options of the other path are refused.
 */
function usesPortal(ctx: CommandContext, options: DeployOptions): boolean {
  const portal = options.portal !== undefined || options.org !== undefined;
  if (portal && options.url !== undefined) throw new UsageError('give --url (an engine) or --portal, not both');
  const chosen = portal || (options.url === undefined && ctx.env.portalUrl !== undefined);
  if (chosen) {
    const engineOnly = (
      [
        ['--key', options.key],
        ['--owner', options.owner],
        ['--bundle', options.bundle],
        ['--dry-run', options.dryRun],
      ] as const
    ).find(([, value]) => value !== undefined);
    if (engineOnly !== undefined) {
      throw new UsageError(`${engineOnly[0]} is for deploys straight to an engine (--url), not through the portal`);
    }
  } else if (options.follow === false) {
    throw new UsageError('--no-follow is for deploys through the portal (--portal)');
  }
  return chosen;
}

async function deploy(ctx: CommandContext, dirArg: string | undefined, options: DeployOptions): Promise<number> {
  if (usesPortal(ctx, options)) return deployThroughPortal(ctx, ctx.resolvePath(dirArg ?? '.'), options);
  if (dirArg !== undefined && options.bundle !== undefined) {
    throw new UsageError('give a project folder or --bundle <zipfile>, not both');
  }
  const owner = checkOwner(options.owner ?? ctx.env.owner ?? DEFAULT_OWNER);
  // Credentials first: a missing key should not cost a build.
  const admin = await openAdminClient(ctx, options);
  const bundle =
    options.bundle === undefined
      ? (await buildWithProgress(ctx, ctx.resolvePath(dirArg ?? '.'))).built
      : readBundleFile(options.bundle, await readBundleBytes(ctx.resolvePath(options.bundle)));
  const app = bundle.manifest.name;

  const uploaded = requireOk(
    await withProgress(ctx.io.stderr, `uploading ${formatBytes(bundle.bytes.length)}`, ctx.interactive, () =>
      admin.putBundle(bundle.id, bundle.bytes),
    ),
    `upload bundle ${shortId(bundle.id)}`,
  );
  const bundleSummary = { id: uploaded.id, bytes: uploaded.bytes, created: uploaded.created };
  const res = await withProgress(ctx.io.stderr, `deploying ${owner}/${app}`, ctx.interactive, () =>
    admin.deploy(owner, app, { bundle: bundle.id, ...(options.dryRun === true ? { dryRun: true } : {}) }),
  );

  if (!res.ok && isIncompatible(res.error)) {
    const { breaking, diff } = res.error.data;
    if (options.json === true) ctx.printJson({ bundle: bundleSummary, refused: { breaking, diff } });
    const plural = breaking.length === 1 ? 'change' : 'changes';
    ctx.note(
      `${ctx.err.red('error:')} deploy of ${owner}/${app} refused: ${breaking.length} breaking ${plural} against the live version`,
      ...formatBreaking(breaking, ctx.err).map((line) => `  ${line}`),
      ...(diff.entries.length === 0
        ? []
        : ['schema changes:', ...formatDiff(diff.entries, ctx.err).map((l) => `  ${l}`)]),
      'nothing was changed on the node',
    );
    return EXIT_CODES.INCOMPATIBLE;
  }
  const result = requireOk(res, `deploy ${owner}/${app}`);
  if (options.json === true) {
    ctx.printJson({ bundle: bundleSummary, result });
    return EXIT_CODES.OK;
  }
  ctx.print(describeUpload(uploaded));
  printDeployResult(ctx, result, 'deployed');
  return EXIT_CODES.OK;
}

function describeUpload(info: BundleInfo): string {
  const where = info.created ? 'uploaded' : 'already on the node';
  return `bundle ${shortId(info.id)} (${formatBytes(info.bytes)}) ${where}`;
}

/** The human account of a deploy or rollback: the diff as the engine returned it, version, activation time. */
export function printDeployResult(ctx: CommandContext, result: DeployResult, verb: 'deployed' | 'rolled back'): void {
  const entries = result.diff.entries;
  const diffLines =
    entries.length === 0
      ? []
      : [`schema changes in ${result.app}:`, ...formatDiff(entries, ctx.out).map((l) => `  ${l}`)];
  if (result.unchanged) {
    ctx.print(`${result.app} already runs this bundle: nothing to do`);
    return;
  }
  if (result.dryRun) {
    ctx.print(
      ...diffLines,
      entries.length === 0 ? 'dry run: no schema changes; nothing activated' : 'dry run: nothing activated',
    );
    return;
  }
  const deployment = result.deployment;
  if (deployment === null) {
    ctx.print(...diffLines, `${result.app}: nothing activated`);
    return;
  }
  const first = deployment.version === 1 && verb === 'deployed';
  const context = first
    ? ['first deploy: no earlier version to compare with']
    : entries.length === 0
      ? ['no schema changes']
      : diffLines;
  ctx.print(
    ...context,
    `${ctx.out.green(verb)} ${result.app} version ${deployment.version} (bundle ${shortId(deployment.bundle)}, activation ${formatDuration(result.activationMs)})`,
  );
}

async function readBundleBytes(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    throw new AppError('NOT_FOUND', `bundle file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Verifies the zip as the node will (so a broken file fails here, before any upload). */
function readBundleFile(file: string, bytes: Uint8Array): LocalBundle {
  try {
    const { id, manifest } = openBundle(bytes);
    return { id, bytes, manifest };
  } catch (error) {
    if (isAppError(error)) throw new AppError(error.code, `bundle file ${file}: ${error.message}`, { cause: error });
    throw error;
  }
}
