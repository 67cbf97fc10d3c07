import type { AnyTRPCProcedure, inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { createCallerFactory, router } from './init';
import { appsRouter } from './routers/app';
import { authRouter } from './routers/auth';
import { deploymentRouter } from './routers/deployment';
import { gitSourceRouter } from './routers/git-source';
import { invitationRouter } from './routers/invitation';
import { memberRouter } from './routers/member';
import { nodeRouter } from './routers/node';
import { orgRouter } from './routers/org';
import { tokenRouter } from './routers/token';

/** The portal's API, served at /api/trpc. Procedures are thin: parse input, call a domain function. */
export const appRouter = router({
  auth: authRouter,
  org: orgRouter,
  member: memberRouter,
  invitation: invitationRouter,
  app: appsRouter,
  deployment: deploymentRouter,
  gitSource: gitSourceRouter,
  token: tokenRouter,
  node: nodeRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

type PathsOf<R> = {
  [K in keyof R & string]: R[K] extends AnyTRPCProcedure ? K : `${K}.${PathsOf<R[K]>}`;
}[keyof R & string];

/** Every procedure path (`org.create`, …): tests key their case tables by it. */
export type ProcedurePath = PathsOf<AppRouter['_def']['record']>;

/** The procedure paths at run time, sorted. */
export function listProcedurePaths(): string[] {
  return Object.keys(appRouter._def.procedures).sort();
}

export const createCaller = createCallerFactory(appRouter);
