import { getDb } from '../../../server/db';

export const dynamic = 'force-dynamic';

/** 200 when the portal can reach its database, 503 otherwise (for probes and the e2e test). */
export async function GET(): Promise<Response> {
  try {
    await getDb().$queryRaw`SELECT 1`;
    return Response.json({ status: 'ok' });
  } catch (error) {
    console.error('healthz: database unreachable:', error);
    return Response.json({ status: 'unavailable', database: 'unreachable' }, { status: 503 });
  }
}
