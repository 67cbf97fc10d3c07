/**
 * Resolves a CUD plan inside the partition's single writer: allocates ids (raw → generated,
 * singletons fixed), reads updated records (404 if absent), normalises update fields, rewrites
 * references to raw ids, computes changed fields with their old values, and validates the whole
 * set — required fields, refs to existing records of the right table, parent/container links,
 * uniques (409). Extension intents join the same set before validation.
 */
import { AppError } from '@stoa/errors';
import type { AclPrivilege, AppDef, QName, TableDef } from '@stoa/vsql';
import { KeyWriter, type KeyFieldKind } from '../store/key-codec.js';
import { uniqueKey, type StorageKey } from '../store/keys.js';
import type { CudPlan } from './cud-parse.js';
import { getTable } from './cud-parse.js';
import { invalidField, normalizeFieldValue, tableIsA } from './fields.js';
import type { StateSource } from './state-source.js';
import { MAX_RAW_ID, type StoredCud, type StoredRecord } from './types.js';

export interface ResolveEnv {
  readonly appdef: AppDef;
  readonly wsid: number;
  readonly state: StateSource;
  readonly allocateId: (table: QName) => number;
  readonly singletonId: (table: QName) => number | undefined;
  /** PATCH/DELETE /docs/{table}/{id}: the record must be of this table (404 otherwise). */
  readonly expectTable?: QName;
  /** Per-CUD ACL; throws 401/403. Not called for extension intents. */
  readonly authorize?: (privilege: AclPrivilege, table: QName, fields: readonly string[]) => void;
}

export interface PendingInsert {
  readonly table: QName;
  readonly id: number;
  readonly fields: Record<string, unknown>;
  readonly source: string;
  readonly checkAcl: boolean;
}

export interface PendingUpdate {
  readonly table: QName;
  readonly id: number;
  readonly current: StoredRecord;
  /** Normalised requested values. */
  readonly fields: Record<string, unknown>;
  readonly source: string;
  readonly checkAcl: boolean;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  return a === b;
}

export class CudResolver {
  readonly inserts: PendingInsert[] = [];
  readonly updates: PendingUpdate[] = [];
  /** raw id → generated id (client raw ids are positive; internal ones negative). */
  readonly rawMap = new Map<number, number>();

  constructor(private readonly env: ResolveEnv) {}

  /** Allocates ids for the plan's inserts and reads its updated records. */
  async addPlan(plans: readonly CudPlan[]): Promise<void> {
    const { appdef } = this.env;
    for (const p of plans) {
      if (p.op !== 'insert') continue;
      const table = appdef.tables[p.table]!;
      let id: number;
      if (table.singleton) {
        id = this.env.singletonId(p.table) ?? 0;
        if (id === 0) throw new AppError('INTERNAL', `no singleton id for ${p.table}`);
        if (
          (await this.env.state.getRecord(this.env.wsid, id)) !== undefined ||
          this.inserts.some((i) => i.id === id)
        ) {
          throw new AppError('CONFLICT', `${p.source}: singleton ${p.table} already exists`, { qname: p.table });
        }
      } else id = this.env.allocateId(p.table);
      this.rawMap.set(p.rawId, id);
      this.inserts.push({ table: p.table, id, fields: { ...p.fields }, source: p.source, checkAcl: true });
    }
    for (const p of plans) {
      if (p.op !== 'update') continue;
      await this.addUpdate(p.id, p.fields, p.source, true);
    }
  }

  async addUpdate(
    id: number,
    input: Readonly<Record<string, unknown>>,
    source: string,
    checkAcl: boolean,
  ): Promise<void> {
    const { appdef } = this.env;
    const current =
      this.inserts.find((i) => i.id === id)?.fields ?? (await this.env.state.getRecord(this.env.wsid, id));
    if (current === undefined) throw new AppError('NOT_FOUND', `${source}: record ${id} not found`, { data: { id } });
    const stored = current['sys.QName'];
    const tableName = typeof stored === 'string' ? stored : (this.inserts.find((x) => x.id === id)?.table ?? '');
    if (checkAcl && this.env.expectTable !== undefined && tableName !== this.env.expectTable) {
      throw new AppError('NOT_FOUND', `${this.env.expectTable} ${id} not found`, {
        qname: this.env.expectTable,
        data: { id },
      });
    }
    const table = getTable(appdef, tableName, source, 'VALIDATION_FAILED');
    if (table.kind === 'ODoc' || table.kind === 'ORecord') {
      throw new AppError('METHOD_NOT_ALLOWED', `${source}: ${tableName} records are immutable (ODoc)`, {
        qname: tableName,
      });
    }
    const fields: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(input)) {
      const field = table.fields.find((f) => f.name === name);
      if (field === undefined || (field.system && name !== 'sys.IsActive'))
        throw invalidField(name, `unknown field of ${tableName}`, source);
      const v = normalizeFieldValue(field, value, source);
      if (v === null && field.required) throw invalidField(name, 'is required and cannot be null', source);
      fields[name] = v;
    }
    if ('sys.IsActive' in fields && Object.keys(fields).length > 1) {
      throw invalidField('sys.IsActive', 'activation cannot be combined with other changes in one CUD', source);
    }
    if ('sys.IsActive' in fields && fields['sys.IsActive'] === null)
      throw invalidField('sys.IsActive', 'expected bool', source);
    this.updates.push({
      table: tableName,
      id,
      current: { ...current, 'sys.QName': tableName },
      fields,
      source,
      checkAcl,
    });
  }

  /** Extension intents: inserts with ids already allocated by the context. */
  addIntentInsert(table: QName, id: number, input: Readonly<Record<string, unknown>>, source: string): void {
    const def = getTable(this.env.appdef, table, source, 'VALIDATION_FAILED');
    const fields: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(input)) {
      const field = def.fields.find((f) => f.name === name);
      if (field === undefined || (field.system && !['sys.ParentID', 'sys.Container', 'sys.IsActive'].includes(name))) {
        throw new AppError('INTERNAL', `${source}: unknown field ${name} of ${table}`);
      }
      const v = normalizeFieldValue(field, value, source);
      if (v !== null) fields[name] = v;
    }
    this.inserts.push({ table, id, fields, source, checkAcl: false });
  }

  private mapRef(value: unknown, field: string, source: string): unknown {
    // Nested records the client gave no raw id get negative internal ones (cud-parse.ts); only the
    // parser sets those, and only as the sys.ParentID of their children.
    if (typeof value === 'number' && value < 0 && field === 'sys.ParentID') {
      const mapped = this.rawMap.get(value);
      if (mapped === undefined) throw invalidField(field, `parent record ${value} is not in this request`, source);
      return mapped;
    }
    if (typeof value !== 'number' || value > MAX_RAW_ID || value <= 0) return value;
    const mapped = this.rawMap.get(value);
    if (mapped === undefined) throw invalidField(field, `raw id ${value} is not defined in this request`, source);
    return mapped;
  }

  /** Validates everything and returns the event's CUDs plus the client's newIDs. */
  async finish(): Promise<{ cuds: StoredCud[]; newIDs: Record<string, number> }> {
    const { appdef } = this.env;
    const cuds: StoredCud[] = [];
    const newRecords = new Map<number, Record<string, unknown>>();
    for (const ins of this.inserts) {
      const def = appdef.tables[ins.table]!;
      const record: Record<string, unknown> = { 'sys.QName': ins.table, 'sys.ID': ins.id };
      for (const f of def.fields) {
        if (f.name === 'sys.QName' || f.name === 'sys.ID') continue;
        let v = ins.fields[f.name];
        if (f.type.kind === 'ref' && v !== undefined) v = this.mapRef(v, f.name, ins.source);
        if (f.name === 'sys.IsActive' && v === undefined) v = true;
        if (v === undefined || v === null) {
          if (f.required) throw invalidField(f.name, 'is required', ins.source);
          continue;
        }
        record[f.name] = v;
      }
      newRecords.set(ins.id, record);
    }
    for (const ins of this.inserts) {
      const record = newRecords.get(ins.id)!;
      const def = appdef.tables[ins.table]!;
      await this.checkParent(def, record, newRecords, ins.source);
      await this.checkRefs(def, record, Object.keys(record), newRecords, ins.source);
      if (ins.checkAcl)
        this.env.authorize?.(
          'insert',
          ins.table,
          Object.keys(record).filter((k) => !k.startsWith('sys.')),
        );
      cuds.push({ table: ins.table, id: ins.id, isNew: true, fields: record });
    }
    for (const up of this.updates) {
      const def = appdef.tables[up.table]!;
      const fields: Record<string, unknown> = {};
      const oldFields: Record<string, unknown> = {};
      for (const [k, raw] of Object.entries(up.fields)) {
        const v = def.fields.find((f) => f.name === k)?.type.kind === 'ref' ? this.mapRef(raw, k, up.source) : raw;
        const old = up.current[k] ?? null;
        if (sameValue(old, v)) continue;
        fields[k] = v;
        oldFields[k] = old;
      }
      // ACL on every field the CUD names, changed or not: an unchanged value must not turn a
      // denied update into a silent 200 (nor reveal the current value).
      if (up.checkAcl) {
        const active = up.fields['sys.IsActive'];
        const privilege: AclPrivilege = active === true ? 'activate' : active === false ? 'deactivate' : 'update';
        this.env.authorize?.(
          privilege,
          up.table,
          Object.keys(up.fields).filter((k) => !k.startsWith('sys.')),
        );
      }
      if (Object.keys(fields).length === 0) continue;
      await this.checkRefs(def, fields, Object.keys(fields), newRecords, up.source);
      const record: Record<string, unknown> = { ...up.current, ...fields };
      for (const [k, v] of Object.entries(fields)) if (v === null) delete record[k];
      cuds.push({ table: up.table, id: up.id, isNew: false, fields, oldFields, record });
    }
    await this.checkUniques(cuds);
    const newIDs: Record<string, number> = {};
    for (const [raw, id] of this.rawMap) if (raw > 0) newIDs[String(raw)] = id;
    return { cuds, newIDs };
  }

  private async lookup(
    id: number,
    newRecords: Map<number, Record<string, unknown>>,
  ): Promise<Record<string, unknown> | undefined> {
    return newRecords.get(id) ?? (await this.env.state.getRecord(this.env.wsid, id));
  }

  private async checkParent(
    def: TableDef,
    record: Record<string, unknown>,
    newRecords: Map<number, Record<string, unknown>>,
    source: string,
  ): Promise<void> {
    const parentId = record['sys.ParentID'];
    const container = record['sys.Container'];
    if (parentId === undefined && container === undefined) {
      if (def.parent !== undefined)
        throw invalidField('sys.ParentID', `a ${def.qname} record needs its parent (${def.parent})`, source);
      return;
    }
    if (typeof parentId !== 'number' || typeof container !== 'string') {
      throw invalidField(
        parentId === undefined ? 'sys.ParentID' : 'sys.Container',
        'sys.ParentID and sys.Container go together',
        source,
      );
    }
    const parent = await this.lookup(parentId, newRecords);
    if (parent === undefined) throw invalidField('sys.ParentID', `parent record ${parentId} does not exist`, source);
    const parentDef = this.env.appdef.tables[String(parent['sys.QName'])];
    const c = parentDef?.containers.find((x) => x.name === container);
    if (c === undefined || c.type !== def.qname) {
      throw invalidField(
        'sys.Container',
        `${String(parent['sys.QName'])} has no container ${container} of ${def.qname}`,
        source,
      );
    }
  }

  private async checkRefs(
    def: TableDef,
    values: Record<string, unknown>,
    names: readonly string[],
    newRecords: Map<number, Record<string, unknown>>,
    source: string,
  ): Promise<void> {
    for (const name of names) {
      const f = def.fields.find((x) => x.name === name);
      if (f === undefined || f.system || (f.type.kind !== 'ref' && f.type.kind !== 'blob')) continue;
      const id = values[name];
      if (typeof id !== 'number' || id === 0) continue;
      const target = await this.lookup(id, newRecords);
      if (target === undefined) throw invalidField(name, `record ${id} does not exist`, source);
      const targets = f.type.refTargets ?? [];
      const table = String(target['sys.QName']);
      if (targets.length > 0 && !targets.some((t) => tableIsA(this.env.appdef, table, t))) {
        throw invalidField(name, `record ${id} is a ${table}, expected ${targets.join(' or ')}`, source);
      }
    }
  }

  private async checkUniques(cuds: readonly StoredCud[]): Promise<void> {
    const claimed = new Map<string, number>();
    for (const cud of cuds) {
      const def = this.env.appdef.tables[cud.table]!;
      const current = cud.isNew ? {} : (this.updates.find((u) => u.id === cud.id)?.current ?? {});
      const after = { ...current, ...cud.fields };
      for (const u of listUniques(def)) {
        if (!cud.isNew && !u.fields.some((f) => f in cud.fields)) continue;
        const key = uniqueTupleKey(def, this.env.wsid, u, after);
        if (key === undefined) continue;
        const id = claimed.get(key.id) ?? (await this.env.state.getUnique(key.key));
        if (id !== undefined && id !== cud.id) {
          throw new AppError(
            'CONFLICT',
            `unique constraint ${u.name} violated: ${u.fields.map((f) => `${f}=${JSON.stringify(after[f])}`).join(', ')} already exists`,
            {
              qname: cud.table,
              data: { field: u.fields[0], fields: u.fields, id },
            },
          );
        }
        claimed.set(key.id, cud.id);
      }
    }
  }
}

export function listUniques(def: TableDef): { name: string; fields: string[] }[] {
  const out = def.uniques.map((u) => ({ name: u.name, fields: u.fields }));
  if (def.uniqueField !== null) out.push({ name: `${def.qname}$uniquefield`, fields: [def.uniqueField] });
  return out;
}

/** The unique index key of a record's values, or undefined when a field of the unique is null. */
export function uniqueTupleKey(
  def: TableDef,
  wsid: number,
  unique: { name: string; fields: readonly string[] },
  record: Readonly<Record<string, unknown>>,
): { key: StorageKey; id: string } | undefined {
  const w = new KeyWriter(32);
  for (const name of unique.fields) {
    const v = record[name];
    if (v === undefined || v === null) return undefined;
    const f = def.fields.find((x) => x.name === name)!;
    w.field(f.type.kind as KeyFieldKind, v);
  }
  const key = uniqueKey(wsid, unique.name, w.finish());
  return { key, id: Buffer.from(key.pk).toString('latin1') };
}
