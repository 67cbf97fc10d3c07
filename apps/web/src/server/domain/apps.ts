import { AppError } from '@stoa/errors';
import { toAppError, type Db } from '@stoa/db';
import { assertRole, type OrgActor } from './access';
import { recordAudit } from './audit';

export interface AppDto {
  readonly id: string;
  readonly name: string;
  /** `{org slug}/{app name}`: the app's path on the engines (`/api/v2/apps/{owner}/{app}`). */
  readonly enginePath: string;
  readonly createdAt: string;
}

function toDto(actor: OrgActor, app: { id: string; name: string; createdAt: Date }): AppDto {
  return {
    id: app.id,
    name: app.name,
    enginePath: `${actor.orgSlug}/${app.name}`,
    createdAt: app.createdAt.toISOString(),
  };
}

/** Apps of the actor's org, by name. */
export async function listApps(db: Db, actor: OrgActor): Promise<AppDto[]> {
  const apps = await db.app.findMany({ where: { orgId: actor.orgId }, orderBy: { name: 'asc' } });
  return apps.map((app) => toDto(actor, app));
}

/** Registers an app in the actor's org (developer and above); names are unique per org. */
export async function createApp(db: Db, actor: OrgActor, input: { name: string }): Promise<AppDto> {
  assertRole(actor, 'developer', 'creating apps');
  try {
    const app = await db.$transaction(async (tx) => {
      const created = await tx.app.create({ data: { orgId: actor.orgId, name: input.name } });
      await recordAudit(tx, {
        orgId: actor.orgId,
        actorId: actor.userId,
        action: 'app.create',
        target: `app:${created.id}`,
        data: { name: created.name },
      });
      return created;
    });
    return toDto(actor, app);
  } catch (error) {
    const appError = toAppError(error);
    if (appError.code === 'CONFLICT') {
      throw new AppError('CONFLICT', `an app named ${input.name} already exists in ${actor.orgSlug}`, {
        data: { field: 'name' },
      });
    }
    throw appError;
  }
}

/** One app of the actor's org, by name. */
export async function getApp(db: Db, actor: OrgActor, input: { name: string }): Promise<AppDto> {
  const app = await db.app.findUnique({ where: { orgId_name: { orgId: actor.orgId, name: input.name } } });
  if (app === null) throw new AppError('NOT_FOUND', `app ${input.name} not found in ${actor.orgSlug}`);
  return toDto(actor, app);
}
