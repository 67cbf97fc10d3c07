// `POST /api/webhooks/github/{appId}`: the push webhook of an app's git source (GitHub-compatible).
//
//   no such app / no git source       → 404
//   body over 1 MiB                   → 413
//   X-Hub-Signature-256 missing/wrong → 401, nothing written or enqueued
//   X-GitHub-Event: ping              → 200
//   any event but push                → 202 { ignored }
//   push of another ref, or a delete  → 202 { ignored }
//   push of the source's branch       → 202 { deploymentId } (a queued git deployment + its build job)
//   the same X-GitHub-Delivery again  → 200 { deploymentId, duplicate: true }, nothing new
//
// The signature is checked before anything else is read from the request — event, delivery id and
// payload all come from the sender. No session: the secret is the credential.
import { AppError } from '@stoa/errors';
import { z } from 'zod';
import { readBodyCapped } from '../http/read-body';
import { errorResponse, jsonResponse } from '../http/responses';
import {
  DELIVERY_ID_PATTERN,
  MAX_WEBHOOK_BODY_BYTES,
  pushEventSchema,
  reasonToIgnorePush,
  recordGitPush,
  verifyWebhookSignature,
} from '../domain/webhooks';
import type { RouteDeps } from './deps';

const uuid = z.uuid();

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new AppError('BAD_REQUEST', 'the payload is not JSON (set the webhook content type to application/json)');
  }
}

export async function handleGithubWebhook(
  req: Request,
  params: { appId: string },
  deps: Pick<RouteDeps, 'db' | 'jobs'>,
): Promise<Response> {
  try {
    const notFound = new AppError('NOT_FOUND', 'no git source for this app');
    if (!uuid.safeParse(params.appId).success) throw notFound;
    const source = await deps.db.gitSource.findUnique({
      where: { appId: params.appId },
      include: { app: { select: { id: true, orgId: true, name: true } } },
    });
    if (source === null) throw notFound;

    const body = await readBodyCapped(req, MAX_WEBHOOK_BODY_BYTES);
    if (!verifyWebhookSignature(source.webhookSecret, body, req.headers.get('x-hub-signature-256'))) {
      throw new AppError('UNAUTHENTICATED', 'X-Hub-Signature-256 is missing or does not match the secret');
    }

    const event = req.headers.get('x-github-event') ?? '';
    if (event === 'ping') return jsonResponse({ ok: true });
    if (event !== 'push') return jsonResponse({ ignored: `event ${event === '' ? '(none)' : event}` }, 202);
    const parsed = pushEventSchema.safeParse(parseJson(body));
    if (!parsed.success) {
      throw new AppError('BAD_REQUEST', `not a push payload: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    const ignored = reasonToIgnorePush(parsed.data, source.branch);
    if (ignored !== undefined) return jsonResponse({ ignored }, 202);

    const deliveryId = req.headers.get('x-github-delivery') ?? '';
    if (!DELIVERY_ID_PATTERN.test(deliveryId)) {
      throw new AppError('BAD_REQUEST', 'X-GitHub-Delivery is missing or malformed');
    }
    const recorded = await recordGitPush(
      deps.db,
      { app: source.app, deliveryId, commitSha: parsed.data.after, branch: source.branch },
      deps.jobs,
    );
    return recorded.duplicate
      ? jsonResponse({ deploymentId: recorded.deploymentId, duplicate: true }, 200)
      : jsonResponse({ deploymentId: recorded.deploymentId }, 202);
  } catch (error) {
    return errorResponse(error, 'POST /api/webhooks/github/…');
  }
}
