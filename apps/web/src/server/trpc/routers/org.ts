import { z } from 'zod';
import { newOrgSlugSchema, orgNameSchema } from '../../../lib/validation';
import { createOrg, getOrg, listMyOrgs } from '../../domain/orgs';
import { orgProcedure, protectedProcedure, router } from '../init';

export const orgRouter = router({
  listMine: protectedProcedure.query(({ ctx }) => listMyOrgs(ctx.db, ctx.actor)),
  create: protectedProcedure
    .input(z.object({ slug: newOrgSlugSchema, name: orgNameSchema }))
    .mutation(({ ctx, input }) => createOrg(ctx.db, ctx.actor, input)),
  get: orgProcedure('viewer').query(({ ctx }) => getOrg(ctx.db, ctx.org)),
});
