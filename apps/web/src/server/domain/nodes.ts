/**
 * Engine nodes, the platform's machines that deploys roll out to (the worker reads this table).
 * Platform administrators only (`User.isAdmin`): nodes are shared by every org. STOA_ENGINE_URLS
 * registers its nodes the first time a portal process lists them (the worker does the same at
 * start), so a node removed here comes back on restart while it is still in that variable.
 *
 * The health check asks the node's `/readyz` through @stoa/client (the portal talks to engines only
 * through it): `healthy` when it answers 200, `unready` when it answers but is not ready (a 503
 * while its apps load), `unreachable` for a network failure or timeout. Any answer counts as seen.
 */
import { createClient, type Result } from '@stoa/client';
import { AppError } from '@stoa/errors';
import { toAppError, type Db } from '@stoa/db';
import type { Actor } from './access';
import { recordAudit } from './audit';

export type NodeStatus = 'healthy' | 'unready' | 'unreachable' | 'unknown';

export interface EngineNodeDto {
  readonly id: string;
  readonly url: string;
  readonly name: string;
  readonly registeredBy: string | null;
  readonly createdAt: string;
  readonly lastSeenAt: string | null;
  readonly lastStatus: string;
}

interface NodeRow {
  id: string;
  url: string;
  name: string;
  createdAt: Date;
  lastSeenAt: Date | null;
  lastStatus: string;
  registeredBy: { name: string; email: string } | null;
}

const withRegistrar = { registeredBy: { select: { name: true, email: true } } } as const;

function toDto(row: NodeRow): EngineNodeDto {
  return {
    id: row.id,
    url: row.url,
    name: row.name,
    registeredBy: row.registeredBy === null ? null : `${row.registeredBy.name} <${row.registeredBy.email}>`,
    createdAt: row.createdAt.toISOString(),
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
    lastStatus: row.lastStatus,
  };
}

/** FORBIDDEN unless the actor is a platform administrator. */
export function assertPlatformAdmin(actor: Actor, action: string): void {
  if (!actor.isAdmin) throw new AppError('FORBIDDEN', `${action} is for platform administrators`);
}

/** Registers the given URLs that are not registered yet (no audit: configuration, not a person). */
export async function seedEngineNodes(db: Db, urls: readonly string[]): Promise<void> {
  if (urls.length === 0) return;
  await db.engineNode.createMany({
    data: urls.map((url) => ({ url: url.replace(/\/+$/, ''), name: new URL(url).host })),
    skipDuplicates: true,
  });
}

/** Every engine node, oldest first. */
export async function listNodes(db: Db, actor: Actor): Promise<EngineNodeDto[]> {
  assertPlatformAdmin(actor, 'listing engine nodes');
  const rows = await db.engineNode.findMany({ include: withRegistrar, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  return rows.map(toDto);
}

/** Registers a node by its admin API base URL (already normalised); a URL registered twice is CONFLICT. */
export async function registerNode(
  db: Db,
  actor: Actor,
  input: { url: string; name?: string | undefined },
): Promise<EngineNodeDto> {
  assertPlatformAdmin(actor, 'registering engine nodes');
  try {
    const row = await db.$transaction(async (tx) => {
      const created = await tx.engineNode.create({
        data: { url: input.url, name: input.name ?? new URL(input.url).host, registeredById: actor.userId },
        include: withRegistrar,
      });
      await recordAudit(tx, {
        orgId: null,
        actorId: actor.userId,
        action: 'node.register',
        target: `node:${created.id}`,
        data: { url: created.url, name: created.name },
      });
      return created;
    });
    return toDto(row);
  } catch (error) {
    const appError = toAppError(error);
    if (appError.code === 'CONFLICT') {
      throw new AppError('CONFLICT', `${input.url} is already registered`, { data: { field: 'url' } });
    }
    throw appError;
  }
}

/** Removes a node: later rollouts no longer reach it (what it serves stays until it is stopped). */
export async function removeNode(db: Db, actor: Actor, input: { nodeId: string }): Promise<{ nodeId: string }> {
  assertPlatformAdmin(actor, 'removing engine nodes');
  await db.$transaction(async (tx) => {
    const node = await tx.engineNode.findUnique({ where: { id: input.nodeId } });
    if (node === null) throw new AppError('NOT_FOUND', 'engine node not found');
    await tx.engineNode.delete({ where: { id: node.id } });
    await recordAudit(tx, {
      orgId: null,
      actorId: actor.userId,
      action: 'node.remove',
      target: `node:${node.id}`,
      data: { url: node.url, name: node.name },
    });
  });
  return { nodeId: input.nodeId };
}

/** What a `/readyz` result says about a node. */
export function statusOfReadyz(result: Result<{ status: string }>): { status: NodeStatus; detail: string } {
  if (result.ok) return { status: 'healthy', detail: `ready (${result.value.status})` };
  const { error } = result;
  if (error.kind === 'network') return { status: 'unreachable', detail: error.message };
  return { status: 'unready', detail: error.message };
}

/**
 * Asks the node's `/readyz` (at most `timeoutMs`) and records the answer: `lastStatus`, and
 * `lastSeenAt` when the node answered at all.
 */
export async function checkNode(
  db: Db,
  actor: Actor,
  input: { nodeId: string },
  options: { timeoutMs: number },
): Promise<{ node: EngineNodeDto; detail: string }> {
  assertPlatformAdmin(actor, 'checking engine nodes');
  const node = await db.engineNode.findUnique({ where: { id: input.nodeId } });
  if (node === null) throw new AppError('NOT_FOUND', 'engine node not found');
  const client = createClient({ baseUrl: node.url, timeoutMs: options.timeoutMs });
  const { status, detail } = statusOfReadyz(await client.readyz());
  const now = new Date();
  const { count } = await db.engineNode.updateMany({
    where: { id: node.id },
    data: { lastStatus: status, ...(status === 'unreachable' ? {} : { lastSeenAt: now }) },
  });
  if (count === 0) throw new AppError('NOT_FOUND', 'engine node not found (removed meanwhile)');
  const updated = await db.engineNode.findUniqueOrThrow({ where: { id: node.id }, include: withRegistrar });
  return { node: toDto(updated), detail };
}
