// Pass 4: views. Key rules (reference §1.9 plus the stricter rules Stoa adds: a non-empty
// partition key and NOT NULL key fields, so every row is addressable by a `where` on the API).

import type { Identifier, ViewStatement } from './ast.js';
import type { FieldDef, ViewDef } from './appdef.js';
import type { Analysis, Decl } from './analyser-context.js';
import { article, commentOf, kindLabel, toSourceRef, writtenName } from './analyser-context.js';
import type { TableKinds } from './analyser-fields.js';
import { buildPrimitive, buildRef } from './analyser-fields.js';
import { resolveTags } from './analyser-tags.js';

function isVariableLength(f: FieldDef): boolean {
  return f.type.kind === 'varchar' || f.type.kind === 'bytes';
}

export function analyseView(a: Analysis, d: Decl, kinds: TableKinds): ViewDef | undefined {
  const node = d.node as ViewStatement;
  const scope = { pkg: d.pkg, ws: d.ws };
  const fields: FieldDef[] = [];
  const byName = new Map<string, FieldDef>();
  let pk: ViewStatement['items'][number] | undefined;
  // Fields already reported as broken: key clauses naming them add no second error.
  const broken = new Set<string>();
  for (const item of node.items) {
    if (item.kind === 'PrimaryKey') {
      if (pk) a.error('redefinition of primary key', item.loc);
      else pk = item;
      continue;
    }
    if (byName.has(item.name.value)) {
      a.error(`redefinition of field ${item.name.value}`, item.name.loc);
      continue;
    }
    let field: FieldDef | undefined;
    const base = { name: item.name.value, required: item.notNull, verifiable: false, system: false };
    if (item.type.kind === 'PrimitiveType') {
      field = { ...base, type: buildPrimitive(a, item.type, { kind: 'view' }, d.pkg.isSys, item.name) };
    } else if (item.type.kind === 'RefType') {
      field = { ...base, type: buildRef(a, scope, item.type, { kind: 'view' }, kinds, d.name) };
    } else {
      const named = a.resolve(scope, item.type.name);
      const written = writtenName(item.type.name);
      if (named) a.error(`${written} is ${article(kindLabel(named.kind))}, not a data type`, item.type.loc);
      else if (named === undefined) a.error(`undefined data type ${written}`, item.type.loc);
      broken.add(item.name.value);
    }
    if (!field) continue;
    if (item.doc !== undefined) field.comment = item.doc;
    fields.push(field);
    byName.set(field.name, field);
  }
  const partitionKey: string[] = [];
  const clusteringColumns: string[] = [];
  if (!pk || pk.kind !== 'PrimaryKey') {
    a.error(`primary key not defined for view ${d.name}`, d.nameLoc);
  } else {
    const used = new Set<string>();
    const keyField = (id: Identifier): FieldDef | undefined => {
      const f = byName.get(id.value);
      if (!f && broken.has(id.value)) return undefined;
      if (!f) {
        a.error(`undefined field ${id.value}`, id.loc);
        return undefined;
      }
      if (used.has(id.value)) {
        a.error(`redefinition of key field ${id.value}`, id.loc);
        return undefined;
      }
      used.add(id.value);
      if (!f.required) a.error(`key field ${id.value} must be NOT NULL`, id.loc);
      return f;
    };
    if (!pk.partitionKey || pk.partitionKey.length === 0) {
      a.error(`partition key not defined for view ${d.name}`, pk.loc);
    }
    for (const id of pk.partitionKey ?? []) {
      const f = keyField(id);
      if (!f) continue;
      if (isVariableLength(f) || f.type.kind === 'record') {
        a.error(`${f.type.kind} field ${id.value} cannot be in the partition key`, id.loc);
      }
      partitionKey.push(id.value);
    }
    if (pk.clusteringColumns.length === 0) a.error(`clustering columns not defined for view ${d.name}`, pk.loc);
    pk.clusteringColumns.forEach((id, i) => {
      const f = keyField(id);
      if (!f) return;
      if (f.type.kind === 'record') a.error(`record field ${id.value} cannot be in the clustering key`, id.loc);
      if (isVariableLength(f) && i !== pk.clusteringColumns.length - 1) {
        a.error(`${f.type.kind} field ${id.value} must be the last clustering column`, id.loc);
      }
      clusteringColumns.push(id.value);
    });
  }
  const keys = new Set([...partitionKey, ...clusteringColumns]);
  const def: ViewDef = {
    qname: d.qname,
    fields,
    partitionKey,
    clusteringColumns,
    valueFields: fields.filter((f) => !keys.has(f.name)).map((f) => f.name),
    projector: checkResultOf(a, d, node),
    tags: resolveTags(a, scope, node.with),
    workspace: d.ws?.decl.qname ?? null,
    loc: toSourceRef(d.nameLoc),
  };
  const comment = commentOf(node.with, node.doc);
  if (comment !== undefined) def.comment = comment;
  return def;
}

/** AS RESULT OF must name a projector or job whose INTENTS contain sys.View(ThisView). */
function checkResultOf(a: Analysis, d: Decl, node: ViewStatement): string {
  const scope = { pkg: d.pkg, ws: d.ws };
  const ext = a.expect(scope, node.resultOf, ['projector', 'job'], 'projector');
  if (!ext) return writtenName(node.resultOf);
  const st = ext.node as { intents?: { storage: ViewStatement['resultOf']; entities: ViewStatement['resultOf'][] }[] };
  const extScope = { pkg: ext.pkg, ws: ext.ws };
  const writes = (st.intents ?? []).some((i) => {
    const storage = a.resolve(extScope, i.storage);
    if (!storage || storage.qname !== 'sys.View') return false;
    return i.entities.some((e) => a.resolve(extScope, e) === d);
  });
  if (!writes) {
    a.error(`${writtenName(node.resultOf)} does not declare intent for view ${d.name}`, node.resultOf.loc);
  }
  return ext.qname;
}
