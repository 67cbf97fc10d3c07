/**
 * Workspace lifecycle. Creating a workspace is ONE event in the new workspace's WLog (`sys.Init`),
 * executed by the single writer of the partition that allocates its WSID (app-runtime.ts): it
 * carries the registry entry (kind, name, owner, status) and the CUDs of the kind's descriptor
 * singleton and of the owner's `sys.Subject` membership record. When its batch is durable and
 * applied, the workspace is usable — only then does createWorkspace resolve (→ 201).
 * Deactivation is an event too (`sys.DeactivateWorkspace`, engine-internal); afterwards every
 * request to the workspace answers 410.
 */
import { createHash } from 'node:crypto';
import { AppError } from '@stoa/errors';
import { checkPrincipalApp, resolveAccess, WORKSPACE_OWNER } from './access.js';
import { commitEvent } from './apply.js';
import type { AppRuntime } from './app-runtime.js';
import { CudParser, isObject } from './cud-parse.js';
import { CudResolver } from './cud-resolve.js';
import { listMemberWorkspaces } from './membership/indexes.js';
import type { CallContext, CreateWorkspaceInput, WorkspaceInfo } from './service.js';
import type { Tx } from './tx.js';
import type { WorkspaceMeta } from './types.js';

export const SYS_INIT = 'sys.Init';
export const SYS_DEACTIVATE_WORKSPACE = 'sys.DeactivateWorkspace';
const APP_WORKSPACE_KIND = 'sys.AppWorkspaceWS';
const SYSTEM_SUBJECT = 'sys';
const MAX_NAME = 255;

function hashPartition(text: string, partitions: number): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) % partitions;
}

/** Builds, applies and emits the creation event of workspace `meta` inside the partition. */
async function emitInitEvent(
  app: AppRuntime,
  tx: Tx,
  meta: WorkspaceMeta,
  descriptor: Readonly<Record<string, unknown>>,
  number: number | undefined,
): Promise<void> {
  const ws = app.appdef.workspaces[meta.kind]!;
  const parser = new CudParser(app.appdef, meta.kind);
  if (ws.descriptor !== null) parser.addInsert(ws.descriptor, descriptor, 'descriptor', 'VALIDATION_FAILED');
  if (meta.owner !== SYSTEM_SUBJECT && app.appdef.tables['sys.Subject'] !== undefined) {
    parser.addInsert(
      'sys.Subject',
      { Login: meta.owner, SubjectKind: 1, Roles: WORKSPACE_OWNER, ProfileWSID: meta.ownerProfileWSID },
      'owner',
      'VALIDATION_FAILED',
    );
  }
  await tx.seq(meta.wsid); // loads the id sequence allocateId draws from
  const resolver = new CudResolver({
    appdef: app.appdef,
    wsid: meta.wsid,
    state: tx.state,
    allocateId: () => tx.allocateId(meta.wsid),
    singletonId: (t) => app.singletonId(t),
  });
  await resolver.addPlan(parser.plans);
  const { cuds } = await resolver.finish();
  await commitEvent(app, tx, {
    qname: SYS_INIT,
    wsid: meta.wsid,
    arg: { kind: meta.kind, name: meta.name },
    cuds,
    subject: meta.owner,
    ws: { op: 'create', meta, ...(number === undefined ? {} : { number }) },
  });
}

export async function createWorkspace(
  app: AppRuntime,
  ctx: CallContext,
  input: CreateWorkspaceInput,
): Promise<{ wsid: number }> {
  checkPrincipalApp(app, ctx);
  const principal = ctx.principal;
  if (principal === null) throw new AppError('UNAUTHENTICATED', 'authentication required to create a workspace');
  if (principal.kind === 'apiToken') throw new AppError('FORBIDDEN', 'API tokens cannot create workspaces');
  const ws = app.appdef.workspaces[input.kind];
  if (ws === undefined)
    throw new AppError('VALIDATION_FAILED', `unknown workspace kind ${input.kind}`, { data: { field: 'kind' } });
  if (ws.abstract || input.kind.startsWith('sys.')) {
    throw new AppError('VALIDATION_FAILED', `workspace kind ${input.kind} cannot be created through this API`, {
      data: { field: 'kind' },
    });
  }
  if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > MAX_NAME) {
    throw new AppError('VALIDATION_FAILED', `name: expected 1..${MAX_NAME} characters`, { data: { field: 'name' } });
  }
  if (!isObject(input.descriptor))
    throw new AppError('VALIDATION_FAILED', 'descriptor: expected an object', { data: { field: 'descriptor' } });
  // Validate the descriptor before taking the partition's time.
  new CudParser(app.appdef, input.kind).addInsert(ws.descriptor!, input.descriptor, 'descriptor', 'VALIDATION_FAILED');
  const partition = hashPartition(
    `${principal.subject}\u0000${input.name}\u0000${app.resources.now()}`,
    app.partitionCount,
  );
  return app.partitions[partition]!.submit(async (tx) => {
    const number = tx.allocateWSNumber();
    const meta: WorkspaceMeta = {
      wsid: app.userWSID(number, partition),
      kind: input.kind,
      name: input.name,
      owner: principal.subject,
      ownerProfileWSID: principal.profileWSID,
      createdAt: tx.now,
      active: true,
    };
    await emitInitEvent(app, tx, meta, input.descriptor, number);
    return { wsid: meta.wsid };
  });
}

/**
 * Creates a login's profile workspace (`sys.UserProfileWS` / `sys.DeviceProfileWS`, core/identity)
 * through the same single-writer path as createWorkspace: one `sys.Init` event. The login owns it
 * and it is its own owner profile (`ownerProfileWSID` = its WSID), so a token with this `pws` is
 * `sys.ProfileOwner` there.
 */
export async function createProfileWorkspace(
  app: AppRuntime,
  input: CreateWorkspaceInput & { readonly owner: string },
): Promise<{ wsid: number }> {
  const partition = hashPartition(`${input.owner}\u0000${input.name}\u0000${app.resources.now()}`, app.partitionCount);
  return app.partitions[partition]!.submit(async (tx) => {
    const number = tx.allocateWSNumber();
    const wsid = app.userWSID(number, partition);
    const meta: WorkspaceMeta = {
      wsid,
      kind: input.kind,
      name: input.name,
      owner: input.owner,
      ownerProfileWSID: wsid,
      createdAt: tx.now,
      active: true,
    };
    await emitInitEvent(app, tx, meta, input.descriptor, number);
    return { wsid };
  });
}

/** Creates the app workspace of every partition that has none yet (at app load). */
export async function initAppWorkspaces(app: AppRuntime): Promise<void> {
  if (app.appdef.workspaces[APP_WORKSPACE_KIND] === undefined) return;
  await Promise.all(
    app.partitions.map(async (p) => {
      const wsid = app.appWorkspaceWSID(p.id);
      if ((await app.workspaces.get(wsid)) !== undefined) return;
      await p.submit(
        (tx) =>
          emitInitEvent(
            app,
            tx,
            {
              wsid,
              kind: APP_WORKSPACE_KIND,
              name: `partition ${p.id}`,
              owner: SYSTEM_SUBJECT,
              ownerProfileWSID: 0,
              createdAt: tx.now,
              active: true,
            },
            { PartitionCount: app.partitionCount },
            undefined,
          ),
        { internal: true },
      );
    }),
  );
}

export async function listWorkspaces(app: AppRuntime, ctx: CallContext): Promise<WorkspaceInfo[]> {
  checkPrincipalApp(app, ctx);
  if (ctx.principal === null) throw new AppError('UNAUTHENTICATED', 'authentication required');
  const out: WorkspaceInfo[] = [];
  const owned = await app.store.listOwnedWorkspaces(ctx.principal.subject);
  // Plus the workspaces joined through an accepted invite (core/membership), active ones only.
  const joined = await listMemberWorkspaces(app.store, ctx.principal);
  for (const wsid of new Set([...owned, ...joined])) {
    const meta = await app.workspaces.get(wsid);
    if (meta === undefined || (!meta.active && !owned.includes(wsid))) continue;
    const roles = meta.active ? (await resolveAccess(app, ctx, wsid)).roles : [WORKSPACE_OWNER];
    out.push({
      wsid,
      kind: meta.kind,
      name: meta.name,
      roles: app.acl.expandRoles(meta.kind, roles).filter((r) => r !== 'sys.Everyone'),
      active: meta.active,
    });
  }
  return out;
}

/** Only the owner (or the system principal) may deactivate; afterwards every request → 410. */
export async function deactivateWorkspace(app: AppRuntime, ctx: CallContext, wsid: number): Promise<void> {
  const access = await resolveAccess(app, ctx, wsid);
  if (app.isAppWorkspace(wsid)) throw new AppError('FORBIDDEN', 'app workspaces cannot be deactivated');
  const roles = app.acl.expandRoles(access.meta.kind, access.roles);
  if (!roles.includes(WORKSPACE_OWNER) && !roles.includes('sys.System')) {
    if (ctx.principal === null) throw new AppError('UNAUTHENTICATED', 'authentication required');
    throw new AppError('FORBIDDEN', 'only the workspace owner may deactivate it');
  }
  await app.partitionFor(wsid).submit(async (tx) => {
    const meta = await app.workspaces.get(wsid);
    if (meta?.active !== true) throw new AppError('GONE', `workspace ${wsid} is inactive`);
    await commitEvent(app, tx, {
      qname: SYS_DEACTIVATE_WORKSPACE,
      wsid,
      cuds: [],
      subject: ctx.principal?.subject ?? '',
      ws: { op: 'deactivate', meta: { ...meta, active: false } },
    });
  });
}
