// Rows the worker would write (bundles, deployments in any state), inserted directly so tests of the
// portal can set up a deploy history without running builds.
import { createHash, randomBytes } from 'node:crypto';
import type { Db, DeploymentSource, DeploymentStatus } from '@stoa/db';

/** A stored bundle of `orgId` with random bytes; returns its id (sha256). */
export async function insertBundle(db: Db, orgId: string): Promise<string> {
  const bytes = randomBytes(64);
  const id = createHash('sha256').update(bytes).digest('hex');
  await db.bundle.create({ data: { id, orgId, bytes: new Uint8Array(bytes), size: bytes.length, manifest: {} } });
  return id;
}

export interface InsertedDeployment {
  readonly id: string;
  readonly bundleId: string | null;
}

/** A deployment of `appId` in `status` (a bundle of the app's org for built/live/superseded ones). */
export async function insertDeployment(
  db: Db,
  appId: string,
  status: DeploymentStatus,
  options: {
    source?: DeploymentSource;
    createdById?: string | null;
    withBundle?: boolean;
    createdAt?: Date;
    schemaDiff?: string;
  } = {},
): Promise<InsertedDeployment> {
  const app = await db.app.findUniqueOrThrow({ where: { id: appId } });
  const withBundle = options.withBundle ?? ['built', 'rolling_out', 'live', 'superseded'].includes(status);
  const bundleId = withBundle ? await insertBundle(db, app.orgId) : null;
  const final = ['live', 'failed', 'superseded'].includes(status);
  const row = await db.deployment.create({
    data: {
      appId,
      status,
      source: options.source ?? 'upload',
      bundleId,
      createdById: options.createdById ?? null,
      schemaDiff: options.schemaDiff ?? null,
      ...(options.createdAt === undefined ? {} : { createdAt: options.createdAt }),
      ...(final ? { finishedAt: new Date() } : {}),
    },
  });
  return { id: row.id, bundleId };
}
