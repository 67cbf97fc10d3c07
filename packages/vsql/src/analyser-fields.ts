// Field-level rules shared by tables, types and views: data types, lengths, references (with the
// reference-direction rules of reference §1.5), CHECK patterns and VERIFIABLE.

import type { FieldDeclaration, Identifier, PrimitiveType, RefType, StringLiteral } from './ast.js';
import type { FieldKind, FieldType, FieldDef, QName, TableKind } from './appdef.js';
import type { Analysis, Decl, Scope } from './analyser-context.js';
import { writtenName } from './analyser-context.js';

export const MAX_FIELD_LENGTH = 65535;
export const DEFAULT_FIELD_LENGTH = 255;

/** What owns a field: a table of a kind, a TYPE (object) or a view. */
export type FieldOwner = { kind: 'table'; tableKind: TableKind | undefined } | { kind: 'type' } | { kind: 'view' };

export interface TableKindInfo {
  kind: TableKind;
  singleton: boolean;
  abstract: boolean;
}

/** Kinds of resolved tables, filled by the tables pass before any field is built. */
export type TableKinds = Map<Decl, TableKindInfo>;

function dataKindOf(p: PrimitiveType): FieldKind {
  if (p.name === 'timestamp') return 'timestamp';
  if (p.name === 'money' || p.name === 'currency') return 'currency';
  if (p.dataKind === 'string') return 'varchar';
  return p.dataKind;
}

export function buildPrimitive(
  a: Analysis,
  p: PrimitiveType,
  owner: FieldOwner,
  pkgIsSys: boolean,
  name: Identifier,
): FieldType {
  const kind = dataKindOf(p);
  if (kind === 'blob') {
    if (owner.kind !== 'table') a.error(`BLOB field ${name.value} is only allowed in tables`, p.loc);
    return { kind, refTargets: ['sys.BLOB'] };
  }
  if (kind === 'record' && !pkgIsSys) a.error(`record field ${name.value} is only allowed in package sys`, p.loc);
  if (kind === 'varchar' || kind === 'bytes') {
    const len = p.length ?? DEFAULT_FIELD_LENGTH;
    if (p.length !== undefined && p.length > MAX_FIELD_LENGTH) {
      a.error(`maximum field length is ${MAX_FIELD_LENGTH}`, p.loc);
    } else if (p.length !== undefined && p.length < 1) {
      a.error('positive value only', p.loc);
    }
    return { kind, maxLen: len };
  }
  return { kind };
}

/** Reference-direction rules (`canNotReferenceTo`): which table kinds an owner may not reference. */
function isForbiddenReference(owner: FieldOwner, target: TableKind): boolean {
  const operational = target === 'ODoc' || target === 'ORecord';
  if (owner.kind === 'view') return operational;
  if (owner.kind !== 'table' || !owner.tableKind) return false;
  switch (owner.tableKind) {
    case 'CDoc':
    case 'CRecord':
      return operational || target === 'WDoc' || target === 'WRecord';
    case 'WDoc':
    case 'WRecord':
      return operational;
    default:
      return false;
  }
}

export function buildRef(
  a: Analysis,
  scope: Scope,
  ref: RefType,
  owner: FieldOwner,
  kinds: TableKinds,
  ownerName: string,
): FieldType {
  const targets: QName[] = [];
  for (const t of ref.targets) {
    const decl = a.expect(scope, t, ['table'], 'table');
    if (!decl) continue;
    const info = kinds.get(decl);
    if (info?.abstract) {
      a.error(`reference to abstract table ${writtenName(t)}`, t.loc);
      continue;
    }
    if (info && isForbiddenReference(owner, info.kind)) {
      const from = owner.kind === 'view' ? 'view' : (owner as { tableKind: TableKind }).tableKind;
      a.error(`${from} ${ownerName} cannot reference ${info.kind} ${writtenName(t)}`, t.loc);
      continue;
    }
    if (scope.ws && !a.isVisibleIn(scope.ws, decl.qname)) {
      a.error(`table ${writtenName(t)} not included into workspace ${scope.ws.decl.qname}`, t.loc);
      continue;
    }
    if (!targets.includes(decl.qname)) targets.push(decl.qname);
  }
  return { kind: 'ref', refTargets: targets };
}

export function checkPattern(a: Analysis, pattern: StringLiteral, type: FieldType): string | undefined {
  if (type.kind !== 'varchar') {
    a.error('regexp CHECK only available for varchar field', pattern.loc);
    return undefined;
  }
  try {
    new RegExp(pattern.value, 'u');
  } catch (e) {
    a.error(`invalid regexp in CHECK: ${(e as Error).message}`, pattern.loc);
    return undefined;
  }
  return pattern.value;
}

/** A field of a table or type whose type is a primitive or a ref (TypeReference is a container). */
export function buildField(
  a: Analysis,
  scope: Scope,
  f: FieldDeclaration,
  owner: FieldOwner,
  kinds: TableKinds,
  ownerDecl: Decl,
): FieldDef | undefined {
  let type: FieldType;
  if (f.type.kind === 'PrimitiveType') type = buildPrimitive(a, f.type, owner, ownerDecl.pkg.isSys, f.name);
  else if (f.type.kind === 'RefType') type = buildRef(a, scope, f.type, owner, kinds, ownerDecl.name);
  else return undefined;
  const field: FieldDef = {
    name: f.name.value,
    type,
    required: f.notNull,
    verifiable: false,
    system: false,
    declaredIn: ownerDecl.qname,
  };
  if (f.verifiable) {
    if (type.kind === 'varchar') field.verifiable = true;
    else a.error('VERIFIABLE only available for varchar field', f.name.loc);
  }
  if (f.pattern) {
    const p = checkPattern(a, f.pattern, type);
    if (p !== undefined) field.pattern = p;
  }
  if (f.doc !== undefined) field.comment = f.doc;
  return field;
}

export function systemFields(kind: TableKind): FieldDef[] {
  const sys = (name: string, type: FieldType): FieldDef => ({
    name,
    type,
    required: false,
    verifiable: false,
    system: true,
  });
  const out = [sys('sys.QName', { kind: 'qname' }), sys('sys.ID', { kind: 'ref', refTargets: [] })];
  if (kind === 'CRecord' || kind === 'WRecord' || kind === 'ORecord') {
    out.push(sys('sys.ParentID', { kind: 'ref', refTargets: [] }));
    out.push(sys('sys.Container', { kind: 'varchar', maxLen: DEFAULT_FIELD_LENGTH }));
  }
  if (kind !== 'ODoc' && kind !== 'ORecord') out.push(sys('sys.IsActive', { kind: 'bool' }));
  return out;
}
