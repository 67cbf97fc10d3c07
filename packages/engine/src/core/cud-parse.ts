/**
 * Parses client CUDs (API v2 `cuds`, POST/PATCH/DELETE docs, ODoc command arguments) into a plan,
 * checking what needs no stored state: tables exist and may live in the workspace, field names
 * and types, raw ids (1..65535, no duplicates → 409), nested container arrays (flattened into
 * child inserts with `sys.ParentID`/`sys.Container`). Ids, refs and uniques are resolved inside the
 * partition (cud-resolve.ts).
 */
import { AppError } from '@stoa/errors';
import type { AppDef, QName, TableDef } from '@stoa/vsql';
import type { CudInput } from './service.js';
import { invalidField, normalizeFieldValue } from './fields.js';
import { MAX_CUDS, MAX_RAW_ID } from './types.js';

export interface InsertPlan {
  readonly op: 'insert';
  readonly table: QName;
  /** Client raw id (1..65535) or a negative internal one for records the client gave no id. */
  readonly rawId: number;
  /** Normalised fields; `sys.ParentID` may still be a raw id. */
  readonly fields: Record<string, unknown>;
  readonly source: string;
}

export interface UpdatePlan {
  readonly op: 'update';
  readonly id: number;
  /** Not yet normalised: the table is known once the record is read. */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly source: string;
}

export type CudPlan = InsertPlan | UpdatePlan;

const INSERT_SYS_FIELDS = new Set(['sys.QName', 'sys.ID', 'sys.ParentID', 'sys.Container', 'sys.IsActive']);

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function getTable(
  appdef: AppDef,
  qname: QName,
  source: string,
  notFound: 'NOT_FOUND' | 'VALIDATION_FAILED',
): TableDef {
  const t = appdef.tables[qname];
  if (t === undefined || t.abstract) {
    throw new AppError(notFound, `${source}: ${t === undefined ? 'unknown' : 'abstract'} table ${qname}`, {
      qname,
      data: { field: 'sys.QName' },
    });
  }
  return t;
}

export function assertTableInWorkspace(appdef: AppDef, wsKind: QName, table: QName, source: string): void {
  if (!(appdef.workspaces[wsKind]?.types.includes(table) ?? false)) {
    throw new AppError('VALIDATION_FAILED', `${source}: table ${table} is not available in workspace kind ${wsKind}`, {
      qname: table,
    });
  }
}

export class CudParser {
  readonly plans: CudPlan[] = [];
  private readonly rawIds = new Set<number>();
  private nextInternal = -1;

  constructor(
    private readonly appdef: AppDef,
    private readonly wsKind: QName,
    /** Allow ODocs (command arguments); CUDs and /docs refuse them with 405. */
    private readonly allowODoc = false,
  ) {}

  private claimRawId(value: unknown, source: string): number {
    if (value === undefined || value === null) return this.nextInternal--;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_RAW_ID) {
      throw invalidField(
        'sys.ID',
        `a new record needs a raw id 1..${MAX_RAW_ID}, found ${JSON.stringify(value)}`,
        source,
      );
    }
    if (this.rawIds.has(value)) {
      throw new AppError('CONFLICT', `${source}: raw id ${value} is used twice in this request`, {
        data: { field: 'sys.ID', id: value },
      });
    }
    this.rawIds.add(value);
    return value;
  }

  addInput(input: CudInput, source: string): void {
    if (!isObject(input) || !isObject(input.fields))
      throw new AppError('VALIDATION_FAILED', `${source}: expected {fields: {...}}`);
    const id = input['sys.ID'];
    if (id !== undefined) {
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0)
        throw invalidField('sys.ID', `expected a record id, found ${JSON.stringify(id)}`, source);
      this.addUpdate(id, input.fields, source);
    } else {
      const qname = input.fields['sys.QName'];
      if (typeof qname !== 'string')
        throw invalidField('sys.QName', 'a new record needs sys.QName (its table)', source);
      this.addInsert(qname, input.fields, source, 'VALIDATION_FAILED');
    }
    if (this.plans.length > MAX_CUDS)
      throw new AppError('VALIDATION_FAILED', `too many CUDs: at most ${MAX_CUDS} per request`);
  }

  addUpdate(id: number, fields: Readonly<Record<string, unknown>>, source: string): void {
    for (const k of ['sys.QName', 'sys.ParentID', 'sys.Container']) {
      if (k in fields) throw invalidField(k, 'cannot be changed', source);
    }
    if ('sys.ID' in fields && fields['sys.ID'] !== id) throw invalidField('sys.ID', 'cannot be changed', source);
    const { ['sys.ID']: _ignored, ...rest } = fields;
    this.plans.push({ op: 'update', id, fields: rest, source });
  }

  /** Returns the raw id of the inserted record. */
  addInsert(
    qname: QName,
    input: Readonly<Record<string, unknown>>,
    source: string,
    notFound: 'NOT_FOUND' | 'VALIDATION_FAILED',
    parent?: { rawId: number; container: string },
  ): number {
    const table = getTable(this.appdef, qname, source, notFound);
    if ((table.kind === 'ODoc' || table.kind === 'ORecord') && !this.allowODoc) {
      throw new AppError(
        'METHOD_NOT_ALLOWED',
        `${source}: ${qname} is an ODoc; ODocs are created only as command arguments`,
        { qname },
      );
    }
    assertTableInWorkspace(this.appdef, this.wsKind, qname, source);
    const rawId = this.claimRawId(input['sys.ID'], source);
    const fields: Record<string, unknown> = {};
    const byName = new Map(table.fields.map((f) => [f.name, f]));
    const containers = new Map(table.containers.map((c) => [c.name, c]));
    const nested: [string, unknown][] = [];
    for (const [name, value] of Object.entries(input)) {
      if (name === 'sys.QName' || name === 'sys.ID') continue;
      const container = containers.get(name);
      if (container !== undefined) {
        nested.push([name, value]);
        continue;
      }
      const field = byName.get(name);
      if (field === undefined || (field.system && !INSERT_SYS_FIELDS.has(name))) {
        throw invalidField(name, `unknown field of ${qname}`, source);
      }
      if (name === 'sys.ParentID' && parent !== undefined)
        throw invalidField(name, 'is set by the enclosing document', source);
      const v = normalizeFieldValue(field, value, source);
      if (v !== null) fields[name] = v;
    }
    if (parent !== undefined) {
      fields['sys.ParentID'] = parent.rawId;
      fields['sys.Container'] = parent.container;
    }
    const plan: InsertPlan = { op: 'insert', table: qname, rawId, fields, source };
    this.plans.push(plan);
    for (const [name, value] of nested) {
      const container = containers.get(name)!;
      if (!Array.isArray(value)) throw invalidField(name, `expected an array of ${container.type}`, source);
      if (value.length > container.maxOccurs) throw invalidField(name, `at most ${container.maxOccurs} items`, source);
      value.forEach((child: unknown, i) => {
        const where = `${source}.${name}[${i}]`;
        if (!isObject(child)) throw invalidField(name, `expected an object of ${container.type}`, where);
        const childQName = child['sys.QName'] ?? container.type;
        if (childQName !== container.type) throw invalidField('sys.QName', `expected ${container.type}`, where);
        this.addInsert(container.type, child, where, 'VALIDATION_FAILED', { rawId, container: name });
      });
    }
    if (this.plans.length > MAX_CUDS)
      throw new AppError('VALIDATION_FAILED', `too many records: at most ${MAX_CUDS} per request`);
    return rawId;
  }
}
