import { getRouteDeps } from '../../../../../../../../server/routes/process-deps';
import { handleTokenUpload } from '../../../../../../../../server/routes/upload';

export const dynamic = 'force-dynamic';

/** Tools (`stoa deploy`): Bearer portal access token + the project archive → 201 { deploymentId }. */
export async function POST(req: Request, context: { params: Promise<{ slug: string; app: string }> }) {
  return handleTokenUpload(req, await context.params, getRouteDeps());
}
