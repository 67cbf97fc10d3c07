import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { getPortalSession } from '../../../../server/auth/session';
import { getDb } from '../../../../server/db';
import { getServices } from '../../../../server/services';
import { appRouter } from '../../../../server/trpc/root';

export const dynamic = 'force-dynamic';

function handle(req: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: async () => ({ db: getDb(), session: await getPortalSession(), services: getServices() }),
    onError({ error, path }) {
      // Expected failures are answers, not crashes; only the unexpected are logged (with cause).
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`tRPC ${path ?? '?'} failed:`, error.cause ?? error);
    },
  });
}

export { handle as GET, handle as POST };
