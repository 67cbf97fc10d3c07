import { z } from 'zod';
import { ORG_ROLES } from '../../../lib/roles';
import { changeMemberRole, listMembers, removeMember } from '../../domain/members';
import { orgProcedure, router } from '../init';

export const memberRouter = router({
  list: orgProcedure('viewer').query(({ ctx }) => listMembers(ctx.db, ctx.org)),
  changeRole: orgProcedure('admin')
    .input(z.object({ userId: z.uuid(), role: z.enum(ORG_ROLES) }))
    .mutation(({ ctx, input }) => changeMemberRole(ctx.db, ctx.org, { userId: input.userId, role: input.role })),
  /** Admins remove others; any member may remove themselves (leave). */
  remove: orgProcedure('viewer')
    .input(z.object({ userId: z.uuid() }))
    .mutation(({ ctx, input }) => removeMember(ctx.db, ctx.org, { userId: input.userId })),
});
