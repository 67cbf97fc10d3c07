// `deploy.build` (payload {deploymentId}): the deployment's source becomes a stored bundle, then
// `deploy.rollout` is enqueued.
//
//   queued | building ──claim (attempts+1, startedAt)──▶ building ──fetch/unpack, build──▶ built
//
// - git: the app's GitSource.repoUrl at the deployment's commitSha (fetchGitCommit, URL policy and
//   limits from the environment); upload/cli: the SourceUpload archive (unpackUpload); rollback:
//   the deployment already names a bundle — no build, straight to `built`.
// - The build runs in the limited child (buildInChild); its bundle is stored as a Bundle row (id =
//   sha256; an existing row is kept: bundles are immutable). The project must be the app it is
//   deployed as (stoa.json `name` = App.name; the engine would refuse it later).
// - Idempotent: a job for a deployment that is already built or rolling out only (re-)enqueues the
//   rollout; one for a final deployment does nothing. A deployment whose build was started
//   MAX_BUILD_STARTS times without finishing (a build that kills its worker, again and again)
//   fails instead of looping through the reconciler forever.
// - The uploaded archive is dropped once no unfinished build needs it (schema: "kept until its
//   build ends"). The job's working directory is removed whatever happens.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db, Prisma } from '@stoa/db';
import { JOBS } from '@stoa/jobs';
import { buildInChild, type BuiltInChild } from '../build/build-in-child.js';
import { fetchGitCommit } from '../build/git-fetch.js';
import { unpackUpload } from '../build/unpack-upload.js';
import { DeployStepError } from '../failures.js';
import type { DeployLog } from '../logs/deploy-log.js';
import { isFinal, runDeploymentJob, type DeployJob, type HandlerDeps, type Skipped } from './deploy-job.js';

export type BuildOutcome =
  | { readonly result: 'built'; readonly bundleId: string; readonly buildMs: number | null }
  | { readonly result: 'rollout-enqueued'; readonly bundleId: string | null }
  | Skipped;

const BUILD_STATES = ['queued', 'building'] as const;
/** Starts of one deployment's build before it is given up (BullMQ attempts, stalls and reconciles together). */
export const MAX_BUILD_STARTS = JOBS['deploy.build'].attempts * 2;

const deploymentWithSource = {
  app: { include: { org: true, gitSource: true } },
  sourceUpload: { select: { id: true, orgId: true, bytes: true, size: true } },
} as const satisfies Prisma.DeploymentInclude;

type LoadedDeployment = Prisma.DeploymentGetPayload<{ include: typeof deploymentWithSource }>;

export async function handleDeployBuild(deps: HandlerDeps, job: DeployJob): Promise<BuildOutcome> {
  return runDeploymentJob(
    'deploy.build',
    deps,
    job,
    { owns: BUILD_STATES, afterFinalFailure: (id) => dropSourceUpload(deps.db, id) },
    async ({ deploymentId, log }) => {
      const { db } = deps;
      const deployment = await db.deployment.findUnique({ where: { id: deploymentId }, include: deploymentWithSource });
      if (deployment === null) return { result: 'skipped', status: 'missing', reason: 'no such deployment' };
      if (isFinal(deployment.status)) {
        return { result: 'skipped', status: deployment.status, reason: 'the deployment is final' };
      }
      if (deployment.status === 'built' || deployment.status === 'rolling_out') {
        // A retry after the database said "built" but before the rollout was enqueued.
        await deps.queue.enqueue('deploy.rollout', { deploymentId });
        return { result: 'rollout-enqueued', bundleId: deployment.bundleId };
      }
      if (deployment.attempts >= MAX_BUILD_STARTS) {
        throw new DeployStepError(
          'INTERNAL',
          `the build was started ${deployment.attempts} times without finishing; giving up`,
          false,
        );
      }
      const claimed = await db.deployment.updateMany({
        where: { id: deploymentId, status: { in: [...BUILD_STATES] } },
        data: { status: 'building', startedAt: deployment.startedAt ?? new Date(), attempts: { increment: 1 } },
      });
      if (claimed.count === 0) return { result: 'skipped', status: deployment.status, reason: 'moved on meanwhile' };
      const attempt = deployment.attempts + 1;
      log.line(`build of ${deployment.app.org.slug}/${deployment.app.name} started (attempt ${attempt})`);

      if (deployment.source === 'rollback') return rollBack(deps, deployment, log);

      const work = await mkdtemp(join(deps.settings.tempRoot, `stoa-deploy-${deploymentId.slice(0, 8)}-`));
      try {
        const projectDir = await fetchSource(deps, deployment, work, log);
        log.progress('build');
        const { build } = deps.settings;
        const built = await buildInChild({
          projectDir,
          limits: { timeoutMs: build.timeoutMs, cpuSeconds: build.cpuSeconds, memoryMb: build.memoryMb },
          prlimit: build.prlimit,
          ...(build.cacheDir === undefined ? {} : { cacheDir: build.cacheDir }),
          log: (line) => log.line(line),
        });
        if (built.manifest.name !== deployment.app.name) {
          throw new DeployStepError(
            'VALIDATION_FAILED',
            `stoa.json names the app "${built.manifest.name}", but this deployment is for "${deployment.app.name}"`,
            false,
          );
        }
        await storeBundle(db, deployment.app.orgId, built);
        const moved = await db.deployment.updateMany({
          where: { id: deploymentId, status: 'building' },
          data: { status: 'built', bundleId: built.id, error: null },
        });
        log.line(`bundle ${built.id} built in ${built.ms} ms and stored`);
        await dropSourceUpload(db, deploymentId);
        if (moved.count === 0) return { result: 'skipped', status: 'building', reason: 'moved on meanwhile' };
        await deps.queue.enqueue('deploy.rollout', { deploymentId });
        return { result: 'built', bundleId: built.id, buildMs: built.ms };
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
  );
}

/** Fetches (git) or unpacks (upload, cli) the deployment's source into `work`; the project folder. */
async function fetchSource(
  deps: HandlerDeps,
  deployment: LoadedDeployment,
  work: string,
  log: DeployLog,
): Promise<string> {
  const { app } = deployment;
  if (deployment.source === 'git') {
    const git = app.gitSource;
    if (git === null) throw new DeployStepError('VALIDATION_FAILED', `app ${app.name} has no git source`, false);
    if (deployment.commitSha === null) {
      throw new DeployStepError('VALIDATION_FAILED', 'a git deployment needs the commit to build', false);
    }
    log.progress('fetch');
    const { settings } = deps;
    const fetched = await fetchGitCommit({
      repoUrl: git.repoUrl,
      commitSha: deployment.commitSha,
      branch: deployment.branch ?? git.branch,
      dir: join(work, 'checkout'),
      limits: { timeoutMs: settings.git.timeoutMs, maxBytes: settings.git.maxBytes, maxFiles: settings.git.maxFiles },
      allow: settings.git.allow,
      log: (line) => log.line(line),
    });
    log.line(`checked out ${fetched.commitSha}: ${fetched.files} files, ${fetched.bytes} bytes in ${fetched.ms} ms`);
    return fetched.dir;
  }
  const upload = deployment.sourceUpload;
  if (upload === null) {
    throw new DeployStepError('NOT_FOUND', 'the uploaded project archive is gone (deleted with its build?)', false);
  }
  if (upload.orgId !== app.orgId) {
    throw new DeployStepError('FORBIDDEN', 'the uploaded archive belongs to another organisation', false);
  }
  log.progress('unpack');
  const unpacked = await unpackUpload(upload.bytes, join(work, 'source'), {
    maxBytes: deps.settings.upload.maxBytes,
    maxEntries: deps.settings.upload.maxEntries,
  });
  log.line(`unpacked the archive (${upload.size} bytes): ${unpacked.files} files, ${unpacked.bytes} bytes`);
  return unpacked.projectDir;
}

/** A rollback re-activates a bundle the app had: checked, then straight to `built`. */
async function rollBack(deps: HandlerDeps, deployment: LoadedDeployment, log: DeployLog): Promise<BuildOutcome> {
  const { db } = deps;
  const bundleId = deployment.bundleId;
  if (bundleId === null) {
    throw new DeployStepError('VALIDATION_FAILED', 'a rollback deployment must name the bundle to re-activate', false);
  }
  const bundle = await db.bundle.findUnique({ where: { id: bundleId }, select: { orgId: true } });
  const usedByApp = await db.deployment.count({
    where: { appId: deployment.appId, bundleId, id: { not: deployment.id } },
  });
  // Scoped: only a bundle of this organisation, or one this app ran before (bundles are shared by id).
  if (bundle === null || (bundle.orgId !== deployment.app.orgId && usedByApp === 0)) {
    throw new DeployStepError('NOT_FOUND', `bundle ${bundleId} is not one of this app's bundles`, false);
  }
  const moved = await db.deployment.updateMany({
    where: { id: deployment.id, status: 'building' },
    data: { status: 'built', error: null },
  });
  log.line(`rollback to bundle ${bundleId}: nothing to build`);
  if (moved.count === 0) return { result: 'skipped', status: 'building', reason: 'moved on meanwhile' };
  await deps.queue.enqueue('deploy.rollout', { deploymentId: deployment.id });
  return { result: 'built', bundleId, buildMs: null };
}

/** Stores the bundle unless a row with its id exists (same id = same bytes). */
async function storeBundle(db: Db, orgId: string, built: BuiltInChild): Promise<void> {
  await db.bundle.createMany({
    data: [
      {
        id: built.id,
        orgId,
        bytes: new Uint8Array(built.bytes),
        size: built.bytes.length,
        manifest: JSON.parse(JSON.stringify(built.manifest)) as Prisma.InputJsonObject,
      },
    ],
    skipDuplicates: true,
  });
}

/** Deletes the deployment's uploaded archive once no queued or building deployment needs it. */
async function dropSourceUpload(db: Db, deploymentId: string): Promise<void> {
  await db.sourceUpload.deleteMany({
    where: {
      AND: [
        { deployments: { some: { id: deploymentId } } },
        { deployments: { none: { status: { in: [...BUILD_STATES] } } } },
      ],
    },
  });
}
