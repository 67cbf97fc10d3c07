import { z } from 'zod';
import { ORG_ROLES } from '../../../lib/roles';
import { emailSchema } from '../../../lib/validation';
import { acceptInvitation, createInvitation, listInvitations, revokeInvitation } from '../../domain/invitations';
import { orgProcedure, protectedProcedure, router } from '../init';

export const invitationRouter = router({
  /** Returns the token once; only its sha256 is stored. */
  create: orgProcedure('admin')
    .input(z.object({ email: emailSchema, role: z.enum(ORG_ROLES) }))
    .mutation(({ ctx, input }) => createInvitation(ctx.db, ctx.org, { email: input.email, role: input.role })),
  list: orgProcedure('admin').query(({ ctx }) => listInvitations(ctx.db, ctx.org)),
  revoke: orgProcedure('admin')
    .input(z.object({ invitationId: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      await revokeInvitation(ctx.db, ctx.org, { invitationId: input.invitationId });
      return { invitationId: input.invitationId };
    }),
  /** Not org-scoped: the token names the org; the invitation's email must be the caller's. */
  accept: protectedProcedure
    .input(z.object({ token: z.string().trim().min(16).max(200) }))
    .mutation(({ ctx, input }) => acceptInvitation(ctx.db, ctx.actor, input)),
});
