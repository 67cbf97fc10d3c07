// Backward-compatibility check of a redeploy: which changes between the live AppDef and a new
// one would break stored data (records, views, events in the log) or existing clients. Additions
// (new optional fields, new tables/views/extensions/roles/grants) are always fine; ACL and
// projector-trigger changes are policy, not compatibility, so they only show in diffAppDefs.

import type {
  AclRule,
  AppDef,
  ContainerDef,
  FieldType,
  ExtensionDef,
  FieldDef,
  ObjectDef,
  QName,
  TableDef,
  ViewDef,
} from './appdef.js';

export type BreakingChangeCode =
  | 'table-removed'
  | 'table-kind-changed'
  | 'field-removed'
  | 'field-retyped'
  | 'field-made-required'
  | 'required-field-added'
  | 'field-pattern-changed'
  | 'field-made-verifiable'
  | 'container-removed'
  | 'container-changed'
  | 'unique-changed'
  | 'type-removed'
  | 'view-removed'
  | 'view-key-changed'
  | 'view-field-removed'
  | 'view-field-retyped'
  | 'view-projector-changed'
  | 'extension-removed'
  | 'extension-kind-changed'
  | 'extension-signature-changed'
  | 'workspace-removed'
  | 'workspace-made-abstract'
  | 'descriptor-changed'
  | 'workspace-type-removed';

export interface BreakingChange {
  code: BreakingChangeCode;
  qname: QName;
  field?: string;
  message: string;
}

export function formatDataType(t: FieldType): string {
  if (t.kind === 'varchar' || t.kind === 'bytes') return `${t.kind}(${t.maxLen ?? 255})`;
  if (t.kind === 'ref') return t.refTargets && t.refTargets.length > 0 ? `ref(${t.refTargets.join(', ')})` : 'ref';
  return t.kind;
}

/** Whether values stored under `before` remain valid under `after`. */
function isTypeCompatible(before: FieldType, after: FieldType): boolean {
  if (before.kind !== after.kind) return false;
  if ((after.maxLen ?? 255) < (before.maxLen ?? 255)) return false;
  if (before.kind === 'ref') {
    const oldTargets = before.refTargets ?? [];
    const newTargets = after.refTargets ?? [];
    if (newTargets.length === 0) return true; // any record: widest
    if (oldTargets.length === 0) return false;
    return oldTargets.every((t) => newTargets.includes(t));
  }
  return true;
}

function checkFields(
  kindLabel: string,
  qname: QName,
  before: FieldDef[],
  after: FieldDef[],
  out: BreakingChange[],
): void {
  const newByName = new Map(after.map((f) => [f.name, f]));
  const oldNames = new Set(before.map((f) => f.name));
  for (const old of before) {
    const now = newByName.get(old.name);
    if (!now) {
      out.push({
        code: 'field-removed',
        qname,
        field: old.name,
        message: `field ${old.name} removed from ${kindLabel} ${qname}`,
      });
      continue;
    }
    if (!isTypeCompatible(old.type, now.type)) {
      out.push({
        code: 'field-retyped',
        qname,
        field: old.name,
        message: `field ${qname}.${old.name} changed type from ${formatDataType(old.type)} to ${formatDataType(now.type)}`,
      });
    }
    if (!old.required && now.required) {
      out.push({
        code: 'field-made-required',
        qname,
        field: old.name,
        message: `field ${qname}.${old.name} became NOT NULL`,
      });
    }
    if (now.pattern !== undefined && now.pattern !== old.pattern) {
      out.push({
        code: 'field-pattern-changed',
        qname,
        field: old.name,
        message: `field ${qname}.${old.name} got a new CHECK pattern '${now.pattern}'`,
      });
    }
    if (!old.verifiable && now.verifiable) {
      out.push({
        code: 'field-made-verifiable',
        qname,
        field: old.name,
        message: `field ${qname}.${old.name} became VERIFIABLE`,
      });
    }
  }
  for (const now of after) {
    if (!oldNames.has(now.name) && now.required && !now.system) {
      out.push({
        code: 'required-field-added',
        qname,
        field: now.name,
        message: `NOT NULL field ${now.name} added to existing ${kindLabel} ${qname}`,
      });
    }
  }
}

function checkContainers(qname: QName, before: ContainerDef[], after: ContainerDef[], out: BreakingChange[]): void {
  const newByName = new Map(after.map((c) => [c.name, c]));
  for (const old of before) {
    const now = newByName.get(old.name);
    if (!now) {
      out.push({
        code: 'container-removed',
        qname,
        field: old.name,
        message: `container ${old.name} removed from ${qname}`,
      });
    } else if (now.type !== old.type || now.minOccurs > old.minOccurs || now.maxOccurs < old.maxOccurs) {
      out.push({
        code: 'container-changed',
        qname,
        field: old.name,
        message: `container ${qname}.${old.name} changed from ${old.type} ${old.minOccurs}..${old.maxOccurs} to ${now.type} ${now.minOccurs}..${now.maxOccurs}`,
      });
    }
  }
}

function uniqueKey(t: TableDef): string {
  const uniques = t.uniques.map((u) => `${u.name}(${u.fields.join(',')})`).sort();
  return JSON.stringify([uniques, t.uniqueField]);
}

function checkTable(old: TableDef, now: TableDef | undefined, out: BreakingChange[]): void {
  const q = old.qname;
  if (!now) {
    // Abstract tables hold no data; their fields disappearing from children is reported per field.
    if (!old.abstract) out.push({ code: 'table-removed', qname: q, message: `table ${q} removed` });
    return;
  }
  if (old.kind !== now.kind || old.singleton !== now.singleton || (!old.abstract && now.abstract)) {
    const describe = (t: TableDef): string =>
      `${t.abstract ? 'abstract ' : ''}${t.kind}${t.singleton ? ' singleton' : ''}`;
    out.push({
      code: 'table-kind-changed',
      qname: q,
      message: `table ${q} changed from ${describe(old)} to ${describe(now)}`,
    });
    return;
  }
  checkFields('table', q, old.fields, now.fields, out);
  checkContainers(q, old.containers, now.containers, out);
  if (uniqueKey(old) !== uniqueKey(now)) {
    out.push({ code: 'unique-changed', qname: q, message: `unique constraints of ${q} changed` });
  }
}

function checkObject(old: ObjectDef, now: ObjectDef | undefined, out: BreakingChange[]): void {
  if (!now) {
    out.push({ code: 'type-removed', qname: old.qname, message: `type ${old.qname} removed` });
    return;
  }
  checkFields('type', old.qname, old.fields, now.fields, out);
  checkContainers(old.qname, old.containers, now.containers, out);
}

function keyFieldsSignature(v: ViewDef, names: string[]): string {
  return names
    .map((n) => {
      const f = v.fields.find((x) => x.name === n);
      return `${n}:${f ? formatDataType(f.type) : '?'}`;
    })
    .join(',');
}

function checkView(old: ViewDef, now: ViewDef | undefined, out: BreakingChange[]): void {
  const q = old.qname;
  if (!now) {
    out.push({ code: 'view-removed', qname: q, message: `view ${q} removed` });
    return;
  }
  const oldKey = `(${keyFieldsSignature(old, old.partitionKey)}) ${keyFieldsSignature(old, old.clusteringColumns)}`;
  const newKey = `(${keyFieldsSignature(now, now.partitionKey)}) ${keyFieldsSignature(now, now.clusteringColumns)}`;
  if (oldKey !== newKey) {
    out.push({
      code: 'view-key-changed',
      qname: q,
      message: `primary key of view ${q} changed from ${oldKey} to ${newKey}`,
    });
    return;
  }
  const newByName = new Map(now.fields.map((f) => [f.name, f]));
  for (const f of old.fields) {
    const n = newByName.get(f.name);
    if (!n) {
      out.push({
        code: 'view-field-removed',
        qname: q,
        field: f.name,
        message: `field ${f.name} removed from view ${q}`,
      });
    } else if (!isTypeCompatible(f.type, n.type)) {
      out.push({
        code: 'view-field-retyped',
        qname: q,
        field: f.name,
        message: `field ${q}.${f.name} changed type from ${formatDataType(f.type)} to ${formatDataType(n.type)}`,
      });
    }
  }
}

function signatureOf(e: ExtensionDef): string {
  return `(${e.param ?? 'void'}${e.unloggedParam && e.unloggedParam !== 'void' ? `, UNLOGGED ${e.unloggedParam}` : ''}) RETURNS ${e.result ?? 'void'}`;
}

function checkExtension(old: ExtensionDef, now: ExtensionDef | undefined, out: BreakingChange[]): void {
  const q = old.qname;
  if (!now) {
    out.push({ code: 'extension-removed', qname: q, message: `${old.kind} ${q} removed` });
    return;
  }
  if (old.kind !== now.kind) {
    out.push({ code: 'extension-kind-changed', qname: q, message: `${q} changed from ${old.kind} to ${now.kind}` });
    return;
  }
  if ((old.kind === 'command' || old.kind === 'query') && signatureOf(old) !== signatureOf(now)) {
    out.push({
      code: 'extension-signature-changed',
      qname: q,
      message: `${old.kind} ${q} signature changed from ${signatureOf(old)} to ${signatureOf(now)}`,
    });
  }
}

export function checkCompatibility(oldAppDef: AppDef, newAppDef: AppDef): BreakingChange[] {
  const out: BreakingChange[] = [];
  for (const [q, ws] of Object.entries(oldAppDef.workspaces)) {
    const now = newAppDef.workspaces[q];
    if (!now) {
      if (!ws.abstract) out.push({ code: 'workspace-removed', qname: q, message: `workspace ${q} removed` });
      continue;
    }
    if (ws.abstract) continue;
    if (now.abstract) {
      out.push({ code: 'workspace-made-abstract', qname: q, message: `workspace ${q} became abstract` });
      continue;
    }
    if (ws.descriptor !== now.descriptor) {
      out.push({
        code: 'descriptor-changed',
        qname: q,
        message: `descriptor of workspace ${q} changed from ${ws.descriptor ?? 'none'} to ${now.descriptor ?? 'none'}`,
      });
    }
    const stillThere = new Set(now.types);
    for (const t of ws.types) {
      const table = oldAppDef.tables[t];
      const isData = (table && !table.abstract) || t in oldAppDef.views;
      // Types that vanish from the app altogether are reported once by their own check.
      const stillDefined = t in newAppDef.tables || t in newAppDef.views;
      if (isData && stillDefined && !stillThere.has(t)) {
        out.push({
          code: 'workspace-type-removed',
          qname: q,
          field: t,
          message: `${t} is no longer available in workspace ${q}`,
        });
      }
    }
  }
  for (const [q, t] of Object.entries(oldAppDef.tables)) checkTable(t, newAppDef.tables[q], out);
  for (const [q, o] of Object.entries(oldAppDef.objects)) checkObject(o, newAppDef.objects[q], out);
  for (const [q, v] of Object.entries(oldAppDef.views)) checkView(v, newAppDef.views[q], out);
  for (const [q, e] of Object.entries(oldAppDef.extensions)) checkExtension(e, newAppDef.extensions[q], out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Human-readable diff

export type DiffSubject =
  'workspace' | 'table' | 'type' | 'field' | 'view' | 'extension' | 'role' | 'grant' | 'rate' | 'limit';

export interface DiffEntry {
  change: 'added' | 'removed' | 'changed';
  subject: DiffSubject;
  qname: QName;
  field?: string;
  detail?: string;
}

export interface AppDefDiff {
  entries: DiffEntry[];
  /** One line per entry (`+ table shop.Foo`, `- field shop.Product.Sku`, `~ …`); empty when equal. */
  text: string;
}

function diffMaps<T>(
  subject: DiffSubject,
  before: Record<QName, T>,
  after: Record<QName, T>,
  out: DiffEntry[],
  describe: (x: T) => string,
  inner?: (a: T, b: T) => void,
): void {
  for (const q of Object.keys(before)) {
    if (!(q in after)) out.push({ change: 'removed', subject, qname: q });
  }
  for (const [q, b] of Object.entries(after)) {
    const a = before[q];
    if (a === undefined) {
      out.push({ change: 'added', subject, qname: q, detail: describe(b) });
      continue;
    }
    const da = describe(a);
    const db = describe(b);
    if (da !== db) out.push({ change: 'changed', subject, qname: q, detail: `${da} → ${db}` });
    inner?.(a, b);
  }
}

function describeField(f: FieldDef): string {
  return `${formatDataType(f.type)}${f.required ? ' NOT NULL' : ''}${f.verifiable ? ' VERIFIABLE' : ''}${f.pattern !== undefined ? ` CHECK '${f.pattern}'` : ''}`;
}

function diffFields(owner: QName, before: FieldDef[], after: FieldDef[], out: DiffEntry[]): void {
  const b = new Map(before.filter((f) => !f.system).map((f) => [f.name, f]));
  const a = new Map(after.filter((f) => !f.system).map((f) => [f.name, f]));
  for (const name of b.keys())
    if (!a.has(name)) out.push({ change: 'removed', subject: 'field', qname: owner, field: name });
  for (const [name, f] of a) {
    const old = b.get(name);
    if (!old) out.push({ change: 'added', subject: 'field', qname: owner, field: name, detail: describeField(f) });
    else if (describeField(old) !== describeField(f)) {
      out.push({
        change: 'changed',
        subject: 'field',
        qname: owner,
        field: name,
        detail: `${describeField(old)} → ${describeField(f)}`,
      });
    }
  }
}

function describeRule(r: AclRule): string {
  const cols = r.columns ? `(${r.columns.join(', ')})` : '';
  const what = r.on.tag ? `${r.on.kind} WITH TAG ${r.on.tag}` : `${r.on.kind} ${r.on.qnames.join(', ')}`;
  return `${r.op.toUpperCase()} ${r.privileges.join(', ').toUpperCase()}${cols} ON ${what} ${r.op === 'grant' ? 'TO' : 'FROM'} ${r.principal}`;
}

export function diffAppDefs(oldAppDef: AppDef, newAppDef: AppDef): AppDefDiff {
  const out: DiffEntry[] = [];
  diffMaps(
    'workspace',
    oldAppDef.workspaces,
    newAppDef.workspaces,
    out,
    (w) => `${w.abstract ? 'abstract ' : ''}workspace${w.descriptor ? ` descriptor ${w.descriptor}` : ''}`,
  );
  diffMaps(
    'table',
    oldAppDef.tables,
    newAppDef.tables,
    out,
    (t) => `${t.abstract ? 'abstract ' : ''}${t.kind}${t.singleton ? ' singleton' : ''}`,
    (a, b) => diffFields(a.qname, a.fields, b.fields, out),
  );
  diffMaps(
    'type',
    oldAppDef.objects,
    newAppDef.objects,
    out,
    () => 'type',
    (a, b) => diffFields(a.qname, a.fields, b.fields, out),
  );
  diffMaps(
    'view',
    oldAppDef.views,
    newAppDef.views,
    out,
    (v) => `key ((${v.partitionKey.join(', ')}), ${v.clusteringColumns.join(', ')})`,
    (a, b) => diffFields(a.qname, a.fields, b.fields, out),
  );
  diffMaps(
    'extension',
    oldAppDef.extensions,
    newAppDef.extensions,
    out,
    (e) => `${e.engine} ${e.kind}${e.kind === 'command' || e.kind === 'query' ? ` ${signatureOf(e)}` : ''}`,
  );
  diffMaps('role', oldAppDef.roles, newAppDef.roles, out, (r) => (r.published ? 'published role' : 'role'));
  diffMaps(
    'rate',
    oldAppDef.rates,
    newAppDef.rates,
    out,
    (r) => `${r.count} per ${r.periodSeconds}s ${r.scopes.join('+')}`,
  );
  diffMaps(
    'limit',
    oldAppDef.limits,
    newAppDef.limits,
    out,
    (l) => `${l.on.mode} ${l.on.kind} ${l.on.qnames.join(', ')} rate ${l.rate}`,
  );
  for (const [q, ws] of Object.entries(newAppDef.workspaces)) {
    const before = new Set((oldAppDef.workspaces[q]?.acl ?? []).map(describeRule));
    const after = new Set(ws.acl.map(describeRule));
    for (const r of before) if (!after.has(r)) out.push({ change: 'removed', subject: 'grant', qname: q, detail: r });
    for (const r of after) if (!before.has(r)) out.push({ change: 'added', subject: 'grant', qname: q, detail: r });
  }
  const sign = { added: '+', removed: '-', changed: '~' } as const;
  const text = out
    .map(
      (e) =>
        `${sign[e.change]} ${e.subject} ${e.qname}${e.field ? `.${e.field}` : ''}${e.detail ? `: ${e.detail}` : ''}`,
    )
    .join('\n');
  return { entries: out, text };
}
