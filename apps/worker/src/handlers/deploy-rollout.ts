// `deploy.rollout` (payload {deploymentId}): the deployment's bundle onto every registered engine
// node (EngineNode rows), activated there as `<org slug>/<app name>`.
//
//   built | rolling_out ──claim──▶ rolling_out ──rolloutBundle──▶ live (+ the app's previous live → superseded)
//
// The last step is one transaction: the deployment becomes live (schema diff, finishedAt) only if
// it is still rolling out, and only then is the app's earlier live deployment marked superseded;
// the app row is locked first so two rollouts of one app finishing together cannot both stay live.
// A rollout is idempotent on the nodes (an uploaded bundle is "already stored", an active one
// `unchanged`), so a retry after a partial rollout converges. A job for a deployment that is not
// built yet gets the build enqueued (it only happens when a job was lost); one for a final
// deployment does nothing.
import { rolloutBundle } from '../rollout/rollout.js';
import { DeployStepError } from '../failures.js';
import { isFinal, runDeploymentJob, type DeployJob, type HandlerDeps, type Skipped } from './deploy-job.js';

export type RolloutOutcome =
  | {
      readonly result: 'live';
      readonly bundleId: string;
      readonly nodes: number;
      /** Deployments of the app this one superseded. */
      readonly superseded: number;
    }
  | { readonly result: 'build-enqueued' }
  | Skipped;

const ROLLOUT_STATES = ['built', 'rolling_out'] as const;

export async function handleDeployRollout(deps: HandlerDeps, job: DeployJob): Promise<RolloutOutcome> {
  return runDeploymentJob('deploy.rollout', deps, job, { owns: ROLLOUT_STATES }, async ({ deploymentId, log }) => {
    const { db, settings } = deps;
    const deployment = await db.deployment.findUnique({
      where: { id: deploymentId },
      include: { app: { include: { org: true } } },
    });
    if (deployment === null) return { result: 'skipped', status: 'missing', reason: 'no such deployment' };
    if (isFinal(deployment.status)) {
      return { result: 'skipped', status: deployment.status, reason: 'the deployment is final' };
    }
    if (deployment.status === 'queued' || deployment.status === 'building') {
      await deps.queue.enqueue('deploy.build', { deploymentId });
      return { result: 'build-enqueued' };
    }
    const bundleId = deployment.bundleId;
    if (bundleId === null) {
      throw new DeployStepError('INTERNAL', `deployment is ${deployment.status} but names no bundle`, false);
    }
    const claimed = await db.deployment.updateMany({
      where: { id: deploymentId, status: { in: [...ROLLOUT_STATES] } },
      data: { status: 'rolling_out' },
    });
    if (claimed.count === 0) return { result: 'skipped', status: deployment.status, reason: 'moved on meanwhile' };

    const bundle = await db.bundle.findUnique({ where: { id: bundleId }, select: { id: true, bytes: true } });
    if (bundle === null) throw new DeployStepError('NOT_FOUND', `bundle ${bundleId} is not stored`, false);
    const nodes = await db.engineNode.findMany({ select: { url: true }, orderBy: { createdAt: 'asc' } });
    const owner = deployment.app.org.slug;
    const app = deployment.app.name;
    log.line(`rolling out bundle ${bundleId.slice(0, 12)} as ${owner}/${app} to ${nodes.length} node(s)`);
    const result = await rolloutBundle({
      bundle,
      owner,
      app,
      nodes,
      adminKey: settings.adminKey,
      subject: settings.subject,
      timeoutMs: settings.rollout.timeoutMs,
      rollback: deployment.source === 'rollback',
      log: (line) => log.line(line),
      progress: (stage, pct) => log.progress(stage, pct),
    });

    const superseded = await db.$transaction(async (tx) => {
      // Serialises the final step of concurrent rollouts of one app (see the header).
      await tx.$queryRaw`SELECT "id" FROM "App" WHERE "id" = ${deployment.appId}::uuid FOR UPDATE`;
      const live = await tx.deployment.updateMany({
        where: { id: deploymentId, status: 'rolling_out' },
        data: { status: 'live', schemaDiff: result.diff, finishedAt: new Date(), error: null },
      });
      if (live.count === 0) return undefined;
      const previous = await tx.deployment.updateMany({
        where: { appId: deployment.appId, status: 'live', id: { not: deploymentId } },
        data: { status: 'superseded' },
      });
      return previous.count;
    });
    if (superseded === undefined) {
      return { result: 'skipped', status: 'rolling_out', reason: 'moved on during the rollout' };
    }
    log.progress('done');
    log.end('live', `${owner}/${app} is live with bundle ${bundleId} on ${result.nodes.length} node(s)`);
    deps.logger.info({ deploymentId, owner, app, bundleId, superseded }, 'deployment live');
    return { result: 'live', bundleId, nodes: result.nodes.length, superseded };
  });
}
