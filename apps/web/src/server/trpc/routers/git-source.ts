import { z } from 'zod';
import { appNameSchema, gitBranchSchema, repoUrlSchema } from '../../../lib/validation';
import { getGitSource, rotateWebhookSecret, setGitSource } from '../../domain/git-sources';
import { orgProcedure, router } from '../init';

const appInput = z.object({ appName: appNameSchema });

export const gitSourceRouter = router({
  /** The app's repository, branch and webhook path, or null; never the secret. */
  get: orgProcedure('admin')
    .input(appInput)
    .query(({ ctx, input }) => getGitSource(ctx.db, ctx.org, input)),
  /** Creates (returning the webhook secret once) or updates (keeping the secret) the git source. */
  set: orgProcedure('admin')
    .input(appInput.extend({ repoUrl: repoUrlSchema, branch: gitBranchSchema.default('main') }))
    .mutation(({ ctx, input }) => setGitSource(ctx.db, ctx.org, input)),
  /** A new webhook secret, returned once; the old one stops verifying at once. */
  rotateSecret: orgProcedure('admin')
    .input(appInput)
    .mutation(({ ctx, input }) => rotateWebhookSecret(ctx.db, ctx.org, input)),
});
