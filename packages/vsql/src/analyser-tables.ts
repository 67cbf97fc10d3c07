// Pass 3: tables and types. Table kinds come from walking INHERITS to a sys root (or from the
// parent for nested tables); fields are system fields, then inherited ones, then the table's own
// items with fieldsets inlined in place; nested tables become containers; uniques get their
// `pkg.Table$uniques$NN` names.

import type { Identifier, TableItem, TypeStatement } from './ast.js';
import type { ContainerDef, FieldDef, ObjectDef, TableDef, TableKind, UniqueDef } from './appdef.js';
import type { Analysis, Decl, Scope } from './analyser-context.js';
import { commentOf, toSourceRef, writtenName } from './analyser-context.js';
import type { FieldOwner, TableKindInfo, TableKinds } from './analyser-fields.js';
import { buildField, systemFields } from './analyser-fields.js';
import { resolveTags } from './analyser-tags.js';

/** sys tables that root the kinds (reference §1.5). */
const ROOT_KINDS: Record<string, { kind: TableKind; singleton: boolean }> = {
  CDoc: { kind: 'CDoc', singleton: false },
  WDoc: { kind: 'WDoc', singleton: false },
  ODoc: { kind: 'ODoc', singleton: false },
  CRecord: { kind: 'CRecord', singleton: false },
  WRecord: { kind: 'WRecord', singleton: false },
  ORecord: { kind: 'ORecord', singleton: false },
  CSingleton: { kind: 'CDoc', singleton: true },
  WSingleton: { kind: 'WDoc', singleton: true },
};

const NESTED_KIND: Record<TableKind, TableKind> = {
  CDoc: 'CRecord',
  CRecord: 'CRecord',
  WDoc: 'WRecord',
  WRecord: 'WRecord',
  ODoc: 'ORecord',
  ORecord: 'ORecord',
};

export const NESTED_MAX_OCCURS = 100;

interface Built {
  fields: FieldDef[];
  containers: ContainerDef[];
}

export class TablesPass {
  readonly kinds: TableKinds = new Map();
  readonly tables = new Map<Decl, TableDef>();
  readonly objects = new Map<Decl, ObjectDef>();
  private readonly kindVisiting = new Set<Decl>();
  private readonly kindFailed = new Set<Decl>();
  private readonly baseOf = new Map<Decl, Decl>();
  private readonly objectVisiting = new Set<Decl>();

  constructor(private readonly a: Analysis) {}

  run(decls: Decl[]): void {
    for (const d of decls) if (d.kind === 'table') this.kindOf(d);
    for (const d of decls) if (d.kind === 'table') this.table(d);
    for (const d of decls) if (d.kind === 'type') this.object(d);
  }

  private scopeOf(d: Decl): Scope {
    return { pkg: d.pkg, ws: d.ws };
  }

  kindOf(d: Decl): TableKindInfo | undefined {
    const known = this.kinds.get(d);
    if (known) return known;
    const src = d.table;
    if (!src || this.kindFailed.has(d)) return undefined;
    if (this.kindVisiting.has(d)) {
      this.a.error(`circular inheritance of table ${d.name}`, d.nameLoc);
      // Every table on the cycle fails quietly from now on: one error per cycle.
      for (const v of this.kindVisiting) this.kindFailed.add(v);
      return undefined;
    }
    this.kindVisiting.add(d);
    let info: TableKindInfo | undefined;
    const root = d.pkg.isSys ? ROOT_KINDS[d.name] : undefined;
    if (root && !src.inherits) {
      info = { ...root, abstract: src.abstract };
    } else if (src.inherits) {
      const base = this.a.expect(this.scopeOf(d), src.inherits, ['table'], 'table');
      if (base) {
        this.baseOf.set(d, base);
        const baseInfo = this.kindOf(base);
        if (base.table && !base.table.abstract) {
          this.a.error(`base table ${writtenName(src.inherits)} must be abstract`, src.inherits.loc);
        }
        const baseRoot = base.pkg.isSys ? ROOT_KINDS[base.name] : undefined;
        if (baseInfo)
          info = {
            kind: baseInfo.kind,
            singleton: baseInfo.singleton || baseRoot?.singleton === true || root?.singleton === true,
            abstract: src.abstract,
          };
      }
      if (info && src.parent) {
        const parentInfo = this.kindOf(src.parent);
        const expected = parentInfo ? NESTED_KIND[parentInfo.kind] : undefined;
        if (expected && info.kind !== expected) {
          this.a.error(
            `incorrect nested table kind: ${d.name} must be ${expected === 'ORecord' ? 'an' : 'a'} ${expected}, not ${info.kind}`,
            src.inherits.loc,
          );
          info = { kind: expected, singleton: false, abstract: false };
        }
      }
    } else if (src.parent) {
      const parentInfo = this.kindOf(src.parent);
      if (parentInfo) info = { kind: NESTED_KIND[parentInfo.kind], singleton: false, abstract: false };
    } else if (src.descriptorOf) {
      info = { kind: 'CDoc', singleton: true, abstract: false };
    } else {
      this.a.error(
        `undefined table kind of ${d.name}: INHERITS sys.CDoc, sys.WDoc, sys.ODoc or a table based on them`,
        d.nameLoc,
      );
    }
    this.kindVisiting.delete(d);
    if (info) this.kinds.set(d, info);
    else this.kindFailed.add(d);
    return info;
  }

  private table(d: Decl): TableDef | undefined {
    const done = this.tables.get(d);
    if (done) return done;
    const info = this.kinds.get(d);
    const src = d.table;
    if (!info || !src) return undefined;
    const def: TableDef = {
      qname: d.qname,
      kind: info.kind,
      singleton: info.singleton,
      abstract: info.abstract,
      inherits: null,
      fields: systemFields(info.kind),
      containers: [],
      uniques: [],
      uniqueField: null,
      tags: [],
      workspace: d.ws?.decl.qname ?? null,
      loc: toSourceRef(d.nameLoc),
    };
    this.tables.set(d, def);
    const base = this.baseOf.get(d);
    if (base) {
      def.inherits = base.qname;
      const baseDef = this.table(base);
      if (baseDef) {
        def.fields.push(...baseDef.fields.filter((f) => !f.system));
        def.containers.push(...baseDef.containers);
      }
    } else if (!(d.pkg.isSys && ROOT_KINDS[d.name])) {
      // Nested tables and descriptors name no base: record the sys root their kind comes from.
      def.inherits = src.descriptorOf ? 'sys.CSingleton' : `sys.${info.kind}`;
    }
    if (src.parent) def.parent = src.parent.qname;
    if (src.descriptorOf) def.descriptorOf = src.descriptorOf.decl.qname;
    const owner: FieldOwner = { kind: 'table', tableKind: info.kind };
    const built = this.items(d, src.items, owner, def);
    def.fields.push(...built.fields);
    def.containers.push(...built.containers);
    this.uniques(d, src.items, def);
    def.tags = resolveTags(this.a, this.scopeOf(d), src.with);
    const comment = commentOf(src.with, src.doc);
    if (comment !== undefined) def.comment = comment;
    return def;
  }

  /** Fields and containers of table or type items, reporting duplicates against `existing`. */
  private items(d: Decl, items: TableItem[], owner: FieldOwner, existing: Built): Built {
    const a = this.a;
    const scope = this.scopeOf(d);
    const out: Built = { fields: [], containers: [] };
    const names = new Set([...existing.fields.map((f) => f.name), ...existing.containers.map((c) => c.name)]);
    const claim = (name: Identifier): boolean => {
      if (names.has(name.value)) {
        a.error(`redefinition of field ${name.value}`, name.loc);
        return false;
      }
      names.add(name.value);
      return true;
    };
    for (const item of items) {
      switch (item.kind) {
        case 'FieldDeclaration': {
          if (item.type.kind === 'TypeReference') {
            const c = this.container(d, item.name, item.type.name, item.notNull, owner);
            if (c && claim(item.name)) out.containers.push(c);
            break;
          }
          const f = buildField(a, scope, item, owner, this.kinds, d);
          if (f && claim(item.name)) out.fields.push(f);
          break;
        }
        case 'NestedTable': {
          if (owner.kind === 'type') {
            a.error('nested tables not supported in types', item.name.loc);
            break;
          }
          const child = d.pkg.decls.get(item.table.name.value);
          if (child && child.table?.parent === d && claim(item.name)) {
            out.containers.push({
              name: item.name.value,
              type: child.qname,
              minOccurs: 0,
              maxOccurs: NESTED_MAX_OCCURS,
            });
          }
          break;
        }
        case 'FieldSet': {
          const typeDecl = a.expect(scope, item.type, ['type'], 'type');
          const obj = typeDecl ? this.object(typeDecl) : undefined;
          if (!obj) break;
          for (const f of obj.fields) {
            if (claim({ kind: 'Identifier', value: f.name, loc: item.type.loc })) out.fields.push({ ...f });
          }
          break;
        }
        case 'UniqueConstraint':
        case 'UniqueFieldConstraint':
        case 'CheckConstraint':
          if (owner.kind === 'type') a.error('constraints not supported in types', item.loc);
          break;
      }
    }
    return out;
  }

  /** `Field Q`: in a table Q must be a record table (a container of records); in a type, a TYPE. */
  private container(
    d: Decl,
    name: Identifier,
    q: Parameters<Analysis['expect']>[1],
    notNull: boolean,
    owner: FieldOwner,
  ): ContainerDef | undefined {
    const scope = this.scopeOf(d);
    if (owner.kind === 'type') {
      const t = this.a.expect(scope, q, ['type'], 'type');
      if (!t) return undefined;
      return { name: name.value, type: t.qname, minOccurs: notNull ? 1 : 0, maxOccurs: 1 };
    }
    const t = this.a.expect(scope, q, ['table'], 'data type or table');
    if (!t) return undefined;
    const info = this.kinds.get(t);
    const parentKind = owner.kind === 'table' ? owner.tableKind : undefined;
    if (info?.abstract) {
      this.a.error(`use of abstract table ${writtenName(q)}`, q.loc);
      return undefined;
    }
    if (info && parentKind && info.kind !== NESTED_KIND[parentKind]) {
      this.a.error(
        `incorrect nested table kind: ${writtenName(q)} is ${info.kind === 'ORecord' ? 'an' : 'a'} ${info.kind}, ${d.name} needs ${NESTED_KIND[parentKind]} containers`,
        q.loc,
      );
      return undefined;
    }
    return { name: name.value, type: t.qname, minOccurs: notNull ? 1 : 0, maxOccurs: NESTED_MAX_OCCURS };
  }

  private uniques(d: Decl, items: TableItem[], def: TableDef): void {
    const a = this.a;
    const inUnique = new Set<string>();
    const constraintNames = new Set<string>();
    let unnamed = 0;
    const fieldExists = (f: Identifier): boolean => {
      if (def.fields.some((x) => x.name === f.value && !x.system)) return true;
      a.error(`undefined field ${f.value}`, f.loc);
      return false;
    };
    for (const item of items) {
      if (item.kind !== 'UniqueConstraint' && item.kind !== 'UniqueFieldConstraint' && item.kind !== 'CheckConstraint')
        continue;
      if (item.name) {
        if (constraintNames.has(item.name.value))
          a.error(`redefinition of constraint ${item.name.value}`, item.name.loc);
        constraintNames.add(item.name.value);
      }
      if (item.kind === 'UniqueFieldConstraint') {
        if (!fieldExists(item.field)) continue;
        if (def.uniqueField !== null) a.error(`redefinition of UNIQUEFIELD of ${d.name}`, item.field.loc);
        else def.uniqueField = item.field.value;
        continue;
      }
      if (item.kind !== 'UniqueConstraint') continue;
      const fields: string[] = [];
      let ok = true;
      for (const f of item.fields) {
        if (!fieldExists(f)) {
          ok = false;
          continue;
        }
        if (inUnique.has(f.value) || fields.includes(f.value)) {
          a.error(`field ${f.value} already in unique`, f.loc);
          ok = false;
          continue;
        }
        fields.push(f.value);
      }
      const suffix = item.name ? item.name.value : String(++unnamed).padStart(2, '0');
      if (!ok) continue;
      fields.forEach((f) => inUnique.add(f));
      const u: UniqueDef = { name: `${d.qname}$uniques$${suffix}`, fields };
      def.uniques.push(u);
    }
  }

  object(d: Decl): ObjectDef | undefined {
    const done = this.objects.get(d);
    if (done) return done;
    if (this.objectVisiting.has(d)) {
      this.a.error(`circular fieldset of type ${d.name}`, d.nameLoc);
      return undefined;
    }
    const node = d.node;
    if (node.kind !== 'TypeStatement') return undefined;
    this.objectVisiting.add(d);
    const st = node as TypeStatement;
    const built = this.items(d, st.items, { kind: 'type' }, { fields: [], containers: [] });
    this.objectVisiting.delete(d);
    const def: ObjectDef = {
      qname: d.qname,
      fields: built.fields,
      containers: built.containers,
      workspace: d.ws?.decl.qname ?? null,
      tags: [],
      loc: toSourceRef(d.nameLoc),
    };
    if (st.doc !== undefined) def.comment = st.doc;
    this.objects.set(d, def);
    return def;
  }
}
