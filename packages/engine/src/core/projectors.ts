/**
 * Projector triggers and the sync projector runner. A projector fires for an event when it is
 * usable in the event's workspace kind and one of its triggers matches:
 *   execute ON cmd            — the event's command
 *   executeWithParam ON T     — the command's parameter type (`sys.ODoc` = any ODoc parameter)
 *   insert/update/activate/deactivate ON table — a CUD of that table; `sys.CDoc|WDoc|ODoc|CRecord|
 *     WRecord|ORecord` name every table of that kind family. `update` fires for every update
 *     (activation changes included); `activate`/`deactivate` for a change of `sys.IsActive`.
 * Events carrying a build error reach only INCLUDING ERRORS projectors.
 */
import type { AppDef, ExtensionDef, QName, TableKind } from '@stoa/vsql';
import type { EventView } from '../extensions/host.js';
import { tableIsA } from './fields.js';
import type { StoredCud, StoredEvent } from './types.js';

const FAMILY: Record<TableKind, string> = { CDoc: 'C', CRecord: 'C', WDoc: 'W', WRecord: 'W', ODoc: 'O', ORecord: 'O' };
const ROOTS = new Set(['sys.CDoc', 'sys.WDoc', 'sys.ODoc', 'sys.CRecord', 'sys.WRecord', 'sys.ORecord']);

function tableMatches(appdef: AppDef, table: QName, target: QName): boolean {
  if (table === target) return true;
  if (ROOTS.has(target)) {
    const t = appdef.tables[table];
    const root = appdef.tables[target];
    if (t !== undefined && root !== undefined && FAMILY[t.kind] === FAMILY[root.kind]) return true;
  }
  return tableIsA(appdef, table, target);
}

function cudOps(cud: StoredCud): Set<string> {
  if (cud.isNew) return new Set(['insert']);
  const ops = new Set(['update']);
  const active = cud.fields['sys.IsActive'];
  if (active === true && cud.oldFields?.['sys.IsActive'] !== true) ops.add('activate');
  if (active === false && cud.oldFields?.['sys.IsActive'] !== false) ops.add('deactivate');
  return ops;
}

export function projectorFires(
  appdef: AppDef,
  proj: ExtensionDef,
  event: StoredEvent,
  workspaceKind: QName | undefined,
): boolean {
  if (event.error !== undefined && proj.includingErrors !== true) return false;
  if (workspaceKind !== undefined) {
    const ws = appdef.workspaces[workspaceKind];
    if (ws === undefined || !ws.types.includes(proj.qname)) return false;
  }
  const cmd = appdef.extensions[event.qname];
  const param = cmd?.param;
  for (const t of proj.triggers ?? []) {
    switch (t.on) {
      case 'execute':
        if (t.targets.includes(event.qname)) return true;
        break;
      case 'executeWithParam':
        if (param !== undefined && param !== 'void' && param !== 'any') {
          if (t.targets.includes(param)) return true;
          if (t.targets.includes('sys.ODoc') && appdef.tables[param]?.kind === 'ODoc') return true;
        }
        break;
      default:
        for (const cud of event.cuds) {
          if (!cudOps(cud).has(t.on)) continue;
          if (t.targets.some((target) => tableMatches(appdef, cud.table, target))) return true;
        }
    }
  }
  return false;
}

/** Projectors of the app, split by sync/async, in declaration order. */
export function listProjectors(appdef: AppDef): { sync: ExtensionDef[]; async: ExtensionDef[] } {
  const all = Object.values(appdef.extensions).filter((e) => e.kind === 'projector');
  return { sync: all.filter((p) => p.sync === true), async: all.filter((p) => p.sync !== true) };
}

export function toEventView(event: StoredEvent): EventView {
  return {
    qname: event.qname,
    wsid: event.wsid,
    plogOffset: event.plogOffset,
    wlogOffset: event.wlogOffset,
    registeredAt: event.registeredAt,
    arg: event.arg,
    cuds: event.cuds.map((c) => ({
      table: c.table,
      id: c.id,
      isNew: c.isNew,
      fields: c.fields,
      ...(c.oldFields === undefined ? {} : { oldFields: c.oldFields }),
      record: c.record ?? c.fields,
    })),
    ...(event.error === undefined ? {} : { error: event.error }),
  };
}
