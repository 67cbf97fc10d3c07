import type { Prisma } from '@stoa/db';

export interface AuditEntry {
  readonly orgId: string | null;
  readonly actorId: string | null;
  /** Verb-first, dotted: `app.create`, `member.role.change`, … */
  readonly action: string;
  /** What was acted on, e.g. `app:<id>` or `user:<id>`. */
  readonly target?: string;
  /** Details for the reader of the log; never secrets or tokens. */
  readonly data?: Prisma.InputJsonObject;
}

/** Writes one AuditLog row inside the mutation's transaction (both land, or neither). */
export async function recordAudit(tx: Prisma.TransactionClient, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({
    data: {
      orgId: entry.orgId,
      actorId: entry.actorId,
      action: entry.action,
      target: entry.target ?? null,
      ...(entry.data === undefined ? {} : { data: entry.data }),
    },
  });
}
