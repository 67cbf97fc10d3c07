// Deployments from a project archive: `POST /api/orgs/{slug}/apps/{app}/deployments` (the portal's
// upload form, session cookie) and `POST /api/v1/orgs/{slug}/apps/{app}/deployments` (tools such as
// `stoa deploy`, `Authorization: Bearer stoa_pat_…`). Both are org-scoped exactly like the tRPC
// procedures — not a member (or a token of another org) → 404, below developer → 403, an app of
// another org → 404 — and all of it is checked before the body is read.
//
// The body is the zip itself (`Content-Type: application/zip`), read with a 32 MiB cap (413). The
// content type doubles as CSRF protection for the cookie route: a cross-site page cannot send
// `application/zip` without a CORS preflight, which the portal never grants.
import { AppError } from '@stoa/errors';
import { appNameSchema, orgSlugSchema } from '../../lib/validation';
import { assertRole, loadActor, resolveOrgActor, type OrgActor } from '../domain/access';
import { createUploadDeployment, findOrgApp, MAX_UPLOAD_BYTES } from '../domain/deployments';
import { authenticateAccessToken } from '../domain/tokens';
import { readBodyCapped } from '../http/read-body';
import { errorResponse, jsonResponse } from '../http/responses';
import type { RouteDeps } from './deps';

export interface UploadParams {
  readonly slug: string;
  readonly app: string;
}

type UploadDeps = Pick<RouteDeps, 'db' | 'jobs' | 'getSession'>;

function parseParams(params: UploadParams): { slug: string; appName: string } {
  const slug = orgSlugSchema.safeParse(params.slug);
  if (!slug.success) throw new AppError('NOT_FOUND', `org ${params.slug} not found`);
  const app = appNameSchema.safeParse(params.app);
  if (!app.success) throw new AppError('NOT_FOUND', `app ${params.app} not found`);
  return { slug: slug.data, appName: app.data };
}

function isZipContentType(req: Request): boolean {
  const type = req.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/zip' || type === 'application/x-zip-compressed';
}

async function receiveArchive(
  req: Request,
  deps: UploadDeps,
  actor: OrgActor,
  appName: string,
  source: 'upload' | 'cli',
): Promise<Response> {
  assertRole(actor, 'developer', 'deploying');
  await findOrgApp(deps.db, actor, appName);
  if (!isZipContentType(req)) {
    return jsonResponse({ code: 'BAD_REQUEST', message: 'send the project archive as application/zip' }, 415);
  }
  const archive = await readBodyCapped(req, MAX_UPLOAD_BYTES);
  const deployment = await createUploadDeployment(deps.db, actor, { appName, archive, source }, deps.jobs);
  return jsonResponse({ deploymentId: deployment.id, deployment }, 201);
}

/** The upload form's route: the next-auth session's user, a member of the org. */
export async function handleSessionUpload(req: Request, params: UploadParams, deps: UploadDeps): Promise<Response> {
  try {
    const session = await deps.getSession();
    if (session === null) throw new AppError('UNAUTHENTICATED', 'sign in first');
    const { slug, appName } = parseParams(params);
    const actor = await resolveOrgActor(deps.db, await loadActor(deps.db, session.user.id), slug);
    return await receiveArchive(req, deps, actor, appName, 'upload');
  } catch (error) {
    return errorResponse(error, 'POST /api/orgs/…/deployments');
  }
}

/** `Authorization: Bearer <token>` → the token, or UNAUTHENTICATED. */
export function bearerTokenOf(req: Request): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get('authorization') ?? '');
  if (match?.[1] === undefined)
    throw new AppError('UNAUTHENTICATED', 'send Authorization: Bearer <portal access token>');
  return match[1];
}

/** The tools' route: a portal access token of this org, its user developer or above there now. */
export async function handleTokenUpload(req: Request, params: UploadParams, deps: UploadDeps): Promise<Response> {
  try {
    const token = bearerTokenOf(req);
    const { slug, appName } = parseParams(params);
    const actor = await authenticateAccessToken(deps.db, token, slug);
    return await receiveArchive(req, deps, actor, appName, 'cli');
  } catch (error) {
    return errorResponse(error, 'POST /api/v1/orgs/…/deployments');
  }
}
