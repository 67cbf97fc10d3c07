import { handleTokenDeployLogRequest } from '../../../../../../../../../../server/routes/deploy-log';
import { getRouteDeps } from '../../../../../../../../../../server/routes/process-deps';

export const dynamic = 'force-dynamic';

/** Tools (`stoa deploy`): Bearer portal access token → the deployment's log as Server-Sent Events. */
export async function GET(req: Request, context: { params: Promise<{ slug: string; app: string; id: string }> }) {
  return handleTokenDeployLogRequest(req, await context.params, getRouteDeps());
}
