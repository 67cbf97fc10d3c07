import { z } from 'zod';
import { tokenNameSchema } from '../../../lib/validation';
import { createToken, listTokens, MAX_TOKEN_DAYS, revokeToken } from '../../domain/tokens';
import { orgProcedure, router } from '../init';

export const tokenRouter = router({
  /** The caller's own tokens in the org (never the tokens themselves). */
  list: orgProcedure('viewer').query(({ ctx }) => listTokens(ctx.db, ctx.org)),
  /** Returns the token once; only its sha256 and a prefix are stored. */
  create: orgProcedure('developer')
    .input(z.object({ name: tokenNameSchema, expiresInDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).optional() }))
    .mutation(({ ctx, input }) => createToken(ctx.db, ctx.org, input)),
  revoke: orgProcedure('viewer')
    .input(z.object({ tokenId: z.uuid() }))
    .mutation(({ ctx, input }) => revokeToken(ctx.db, ctx.org, input)),
});
