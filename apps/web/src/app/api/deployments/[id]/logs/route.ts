import { handleDeployLogRequest } from '../../../../../server/routes/deploy-log';
import { getRouteDeps } from '../../../../../server/routes/process-deps';

export const dynamic = 'force-dynamic';

/** The deployment's build and rollout log as Server-Sent Events (backlog, then live, until `end`). */
export async function GET(req: Request, context: { params: Promise<{ id: string }> }) {
  return handleDeployLogRequest(req, await context.params, getRouteDeps());
}
