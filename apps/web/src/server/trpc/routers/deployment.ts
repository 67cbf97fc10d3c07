import { z } from 'zod';
import { appNameSchema } from '../../../lib/validation';
import { getDeployment, listDeployments, MAX_HISTORY_LIMIT, rollbackDeployment } from '../../domain/deployments';
import { orgProcedure, router } from '../init';

export const deploymentRouter = router({
  /** An app's deployments, newest first. */
  list: orgProcedure('viewer')
    .input(z.object({ appName: appNameSchema, limit: z.number().int().min(1).max(MAX_HISTORY_LIMIT).optional() }))
    .query(({ ctx, input }) => listDeployments(ctx.db, ctx.org, input)),
  get: orgProcedure('viewer')
    .input(z.object({ deploymentId: z.uuid() }))
    .query(({ ctx, input }) => getDeployment(ctx.db, ctx.org, input)),
  /** A new `rollback` deployment re-activating the bundle of `deploymentId` (which was live). */
  rollback: orgProcedure('developer')
    .input(z.object({ appName: appNameSchema, deploymentId: z.uuid() }))
    .mutation(({ ctx, input }) => rollbackDeployment(ctx.db, ctx.org, input, ctx.services.jobs)),
});
