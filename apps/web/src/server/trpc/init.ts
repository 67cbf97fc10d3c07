/**
 * The tRPC root: procedures and the middlewares that guard them.
 *
 * - `publicProcedure`: anyone.
 * - `protectedProcedure`: a session whose user still exists (loaded per request, so a deleted
 *   user's JWT is worthless), else UNAUTHORIZED. `ctx.actor` is that user.
 * - `orgProcedure(minRole)`: input `{ orgSlug }`; the caller's Membership of that org is loaded per
 *   request — none answers NOT_FOUND (an org you are not in does not exist for you), a role below
 *   `minRole` FORBIDDEN. `ctx.org` is the OrgActor the domain functions scope their queries by.
 * - `adminProcedure`: a platform administrator (`User.isAdmin`, loaded per request), else FORBIDDEN.
 *
 * Domain functions throw AppError; one middleware maps it through ERROR_CODE_MAP (errors.ts).
 */
import { initTRPC, TRPCError } from '@trpc/server';
import { z, ZodError } from 'zod';
import { isAppError } from '@stoa/errors';
import type { OrgRole } from '@stoa/db';
import { orgSlugSchema } from '../../lib/validation';
import { assertRole, loadActor, resolveOrgActor } from '../domain/access';
import { assertPlatformAdmin } from '../domain/nodes';
import type { TrpcContext } from './context';
import { toTrpcError } from './errors';

function describeZodError(error: ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

const t = initTRPC.context<TrpcContext>().create({
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    if (cause instanceof ZodError) {
      return {
        ...shape,
        message: describeZodError(cause),
        data: { ...shape.data, fieldErrors: z.flattenError(cause).fieldErrors },
      };
    }
    return { ...shape, data: { ...shape.data, appCode: isAppError(cause) ? cause.code : undefined } };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) throw toTrpcError(result.error);
  return result;
});

export const publicProcedure = t.procedure.use(mapErrors);

export const protectedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (ctx.session === null) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in first' });
  const actor = await loadActor(ctx.db, ctx.session.user.id);
  return next({ ctx: { actor } });
});

const orgInput = z.object({ orgSlug: orgSlugSchema });

/** A procedure of one org, for members with `minRole` or above. */
export function orgProcedure(minRole: OrgRole) {
  return protectedProcedure.input(orgInput).use(async ({ ctx, input, path, next }) => {
    const org = await resolveOrgActor(ctx.db, ctx.actor, input.orgSlug);
    assertRole(org, minRole, path);
    return next({ ctx: { org } });
  });
}

/** A procedure of the platform's admin area (engine nodes), for platform administrators only. */
export const adminProcedure = protectedProcedure.use(({ ctx, path, next }) => {
  assertPlatformAdmin(ctx.actor, path);
  return next();
});
