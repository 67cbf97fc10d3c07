import { z } from 'zod';
import { appNameSchema } from '../../../lib/validation';
import { createApp, getApp, listApps } from '../../domain/apps';
import { orgProcedure, router } from '../init';

export const appsRouter = router({
  list: orgProcedure('viewer').query(({ ctx }) => listApps(ctx.db, ctx.org)),
  create: orgProcedure('developer')
    .input(z.object({ name: appNameSchema }))
    .mutation(({ ctx, input }) => createApp(ctx.db, ctx.org, { name: input.name })),
  get: orgProcedure('viewer')
    .input(z.object({ name: appNameSchema }))
    .query(({ ctx, input }) => getApp(ctx.db, ctx.org, { name: input.name })),
});
