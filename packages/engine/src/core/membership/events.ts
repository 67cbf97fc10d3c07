/**
 * Membership and API-token changes are events like any other (sys.InitiateInvitation, …): built
 * here, inside the workspace partition's single writer, with their CUDs on `sys.Invite`,
 * `sys.Subject` and `sys.ApiToken`, applied by `applyEvent` (records, uniques, WLog and the
 * membership indexes) and committed with the batch. The core writes these records itself: the
 * tables have no GRANTs, so no client can change them through /cuds.
 */
import { AppError } from '@stoa/errors';
import type { QName } from '@stoa/vsql';
import { commitEvent } from '../apply.js';
import type { AppRuntime } from '../app-runtime.js';
import type { Tx } from '../tx.js';
import type { StoredCud, StoredRecord } from '../types.js';

export class ChangeBuilder {
  readonly cuds: StoredCud[] = [];

  constructor(
    private readonly tx: Tx,
    private readonly wsid: number,
  ) {}

  insert(table: QName, fields: Record<string, unknown>): number {
    const id = this.tx.allocateId(this.wsid);
    const record: Record<string, unknown> = { 'sys.QName': table, 'sys.ID': id, 'sys.IsActive': true };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) record[k] = v;
    this.cuds.push({ table, id, isNew: true, fields: record });
    return id;
  }

  /** An update of the changed fields (no-op when nothing changes). */
  update(current: StoredRecord, changes: Record<string, unknown>): void {
    const fields: Record<string, unknown> = {};
    const oldFields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(changes)) {
      const old = current[k] ?? null;
      if (old === v) continue;
      fields[k] = v;
      oldFields[k] = old;
    }
    if (Object.keys(fields).length === 0) return;
    const record: Record<string, unknown> = { ...current, ...fields };
    for (const [k, v] of Object.entries(fields)) if (v === null) delete record[k];
    this.cuds.push({
      table: String(current['sys.QName']),
      id: Number(current['sys.ID']),
      isNew: false,
      fields,
      oldFields,
      record,
    });
  }
}

/**
 * Runs `change` in the workspace's partition and commits its event. `change` reads current state
 * through `tx.state` (storage + the batch's pending writes) and throws AppError to refuse.
 */
export function submitChange<T>(
  app: AppRuntime,
  wsid: number,
  qname: QName,
  subject: string,
  change: (tx: Tx, b: ChangeBuilder) => Promise<{ result: T; arg?: Record<string, unknown> }>,
): Promise<T> {
  return app.partitionFor(wsid).submit(async (tx) => {
    const meta = await app.workspaces.get(wsid);
    if (meta?.active !== true) throw new AppError('GONE', `workspace ${wsid} is inactive`, { data: { wsid } });
    await tx.seq(wsid); // loads the id sequence the change builder allocates from
    const b = new ChangeBuilder(tx, wsid);
    const { result, arg } = await change(tx, b);
    await commitEvent(app, tx, { qname, wsid, ...(arg === undefined ? {} : { arg }), cuds: b.cuds, subject });
    return result;
  });
}
