import { getRouteDeps } from '../../../../../../../server/routes/process-deps';
import { handleSessionUpload } from '../../../../../../../server/routes/upload';

export const dynamic = 'force-dynamic';

/** The upload form: the project archive (application/zip, ≤ 32 MiB) → 201 { deploymentId }. */
export async function POST(req: Request, context: { params: Promise<{ slug: string; app: string }> }) {
  return handleSessionUpload(req, await context.params, getRouteDeps());
}
