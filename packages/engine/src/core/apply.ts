/**
 * Applies one event to a write set — records, unique index, collection/children indexes, WLog,
 * workspace registry, and the sync projectors' view rows. The same function runs before the
 * commit (the command's effects, flushed once its PLog row is durable) and in recovery (re-applying
 * events after the checkpoint), so both paths cannot diverge. Every write is idempotent: records
 * and indexes are puts of values derived from the event, views skip rows already written by this
 * or a later event.
 */
import { isAppError } from '@stoa/errors';
import { ownerIndexKey, wlogKey, wsRegistryKey } from '../store/keys.js';
import { encodeValue } from '../store/value-codec.js';
import type { AppRuntime } from './app-runtime.js';
import { listUniques, uniqueTupleKey } from './cud-resolve.js';
import { buildExtensionContext, type CollectedIntents } from './ext-context.js';
import { indexMembershipRecord } from './membership/indexes.js';
import { projectorFires, toEventView } from './projectors.js';
import type { StateSource } from './state-source.js';
import type { Tx } from './tx.js';
import type { StoredEvent, StoredRecord } from './types.js';
import { getViewDef, normalizeViewRow, putViewRow } from './views.js';
import type { WriteSet } from './write-set.js';

export async function applyEvent(
  app: AppRuntime,
  state: StateSource,
  writes: WriteSet,
  event: StoredEvent,
  eventBytes: Uint8Array,
  mode: 'execute' | 'recover',
): Promise<void> {
  const { appdef } = app;
  const { wsid } = event;
  for (const cud of event.cuds) {
    const def = appdef.tables[cud.table];
    if (def === undefined) continue; // a table the active AppDef no longer knows: keep the data, skip indexes
    let before: StoredRecord = {};
    let after: StoredRecord;
    if (cud.isNew) {
      after = { ...cud.fields };
      if (def.kind === 'CDoc' || def.kind === 'WDoc') writes.addToCollection(wsid, cud.table, cud.id);
      const parent = cud.fields['sys.ParentID'];
      if (typeof parent === 'number') writes.addChild(wsid, parent, cud.id, String(cud.fields['sys.Container']));
    } else {
      const current = (await state.getRecord(wsid, cud.id)) ?? { 'sys.QName': cud.table, 'sys.ID': cud.id };
      before = { ...current, ...cud.oldFields };
      after = cud.record !== undefined ? { ...cud.record } : { ...current, ...cud.fields };
      for (const [k, v] of Object.entries(cud.fields)) if (v === null) delete after[k];
    }
    writes.putRecord(wsid, after);
    indexMembershipRecord(writes, wsid, after);
    for (const u of listUniques(def)) {
      if (!cud.isNew && !u.fields.some((f) => f in cud.fields)) continue;
      const old = cud.isNew ? undefined : uniqueTupleKey(def, wsid, u, before);
      const next = uniqueTupleKey(def, wsid, u, after);
      if (old !== undefined && old.id !== next?.id) writes.putUnique(old.key, 0);
      if (next !== undefined) writes.putUnique(next.key, cud.id);
    }
  }
  writes.put(wlogKey(wsid, event.wlogOffset), eventBytes);
  if (event.ws?.meta !== undefined) {
    const meta = event.ws.meta;
    writes.put(wsRegistryKey(meta.wsid), encodeValue(meta));
    if (event.ws.op === 'create')
      writes.put(ownerIndexKey(meta.owner, meta.wsid), encodeValue({ kind: meta.kind, name: meta.name }));
  }
  await runSyncProjectors(app, state, writes, event, mode);
}

async function runSyncProjectors(
  app: AppRuntime,
  state: StateSource,
  writes: WriteSet,
  event: StoredEvent,
  mode: 'execute' | 'recover',
): Promise<void> {
  const kind = event.ws?.meta?.kind ?? (await app.workspaces.get(event.wsid))?.kind;
  const firing = app.projectors.sync.filter((p) => projectorFires(app.appdef, p, event, kind));
  if (firing.length === 0) return;
  const view = toEventView(event);
  const collected: { qname: string; intents: CollectedIntents }[] = [];
  for (const proj of firing) {
    const built = buildExtensionContext({
      appdef: app.appdef,
      ext: proj,
      wsid: event.wsid,
      partition: event.partition,
      state,
      writes,
      arg: event.arg,
      event: view,
      now: event.registeredAt,
      logger: app.logger,
      getSecret(name) {
        return app.getSecret(name);
      },
    });
    try {
      await app.extensions.invoke(built.ctx);
      collected.push({ qname: proj.qname, intents: built.intents });
    } catch (error) {
      if (mode === 'execute') throw error;
      app.logger.error(
        { err: error, projector: proj.qname, offset: event.plogOffset },
        'sync projector failed during recovery; its views may lag',
      );
    } finally {
      built.close();
    }
  }
  // All intents of all sync projectors, or none: they are applied only after every projector ran.
  for (const { qname, intents } of collected) {
    for (const { view: v, row } of intents.views) {
      try {
        const def = getViewDef(app.appdef, v);
        await putViewRow(
          state,
          writes,
          def,
          event.wsid,
          normalizeViewRow(def, row, `${qname} putView(${v})`),
          event.plogOffset,
        );
      } catch (error) {
        if (mode === 'execute' || !isAppError(error)) throw error;
        app.logger.error({ err: error, projector: qname }, 'invalid view row during recovery');
      }
    }
  }
}

/** An event as its producer describes it; `commitEvent` stamps the offsets and time. */
export type EventBody = Omit<StoredEvent, 'partition' | 'plogOffset' | 'wlogOffset' | 'registeredAt'>;

/**
 * The one way every producer (commands, workspace lifecycle, membership) turns an event into part
 * of the current batch: stamp the partition, PLog and WLog offsets and the time, encode it once,
 * apply it to the batch's state (records, indexes, WLog, sync projectors) and hand it to the
 * batch writer. The caller must have awaited `tx.seq(body.wsid)`.
 */
export async function commitEvent(app: AppRuntime, tx: Tx, body: EventBody): Promise<StoredEvent> {
  const seq = await tx.seq(body.wsid);
  const event: StoredEvent = {
    ...body,
    partition: tx.partition,
    plogOffset: tx.plogOffset,
    wlogOffset: seq.nextWLogOffset++,
    registeredAt: tx.now,
  };
  const bytes = encodeValue(event);
  await applyEvent(app, tx.state, tx.writes, event, bytes, 'execute');
  tx.emit(event, bytes);
  return event;
}
