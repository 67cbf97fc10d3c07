import { z } from 'zod';
import { nodeNameSchema, nodeUrlSchema } from '../../../lib/validation';
import { checkNode, listNodes, registerNode, removeNode, seedEngineNodes } from '../../domain/nodes';
import { adminProcedure, router } from '../init';

const nodeInput = z.object({ nodeId: z.uuid() });

/** Node lists whose STOA_ENGINE_URLS were registered already (once per process and list). */
const seeded = new WeakSet<readonly string[]>();

export const nodeRouter = router({
  list: adminProcedure.query(async ({ ctx }) => {
    const urls = ctx.services.engineUrls;
    if (!seeded.has(urls)) {
      await seedEngineNodes(ctx.db, urls);
      seeded.add(urls);
    }
    return listNodes(ctx.db, ctx.actor);
  }),
  register: adminProcedure
    .input(z.object({ url: nodeUrlSchema, name: nodeNameSchema.optional() }))
    .mutation(({ ctx, input }) => registerNode(ctx.db, ctx.actor, input)),
  remove: adminProcedure.input(nodeInput).mutation(({ ctx, input }) => removeNode(ctx.db, ctx.actor, input)),
  /** Asks the node's /readyz (short timeout) and records lastStatus/lastSeenAt. */
  check: adminProcedure
    .input(nodeInput)
    .mutation(({ ctx, input }) => checkNode(ctx.db, ctx.actor, input, { timeoutMs: ctx.services.nodeCheckTimeoutMs })),
});
