import { handleGithubWebhook } from '../../../../../server/routes/github-webhook';
import { getRouteDeps } from '../../../../../server/routes/process-deps';

export const dynamic = 'force-dynamic';

/** GitHub-compatible push webhook of the app's git source (signed with its secret). */
export async function POST(req: Request, context: { params: Promise<{ appId: string }> }) {
  return handleGithubWebhook(req, await context.params, getRouteDeps());
}
