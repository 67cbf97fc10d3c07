// Pass 6: roles, tags, constants, rates, limits and GRANT/REVOKE rules (per workspace, in
// declaration order; ALL … WITH TAG resolved against the workspace's types).

import type {
  DeclareStatement,
  GrantStatement,
  LimitStatement,
  QualifiedName,
  RateStatement,
  RevokeStatement,
  RoleStatement,
  TagStatement,
} from './ast.js';
import type {
  AclResourceKind,
  AclRule,
  ConstantDef,
  LimitDef,
  LimitOp,
  AclPrivilege,
  QName,
  RateDef,
  RateScope,
  RoleDef,
  TableDef,
  TagDef,
  ViewDef,
} from './appdef.js';
import type { Analysis, Decl, DeclKind, Scope, WsInfo } from './analyser-context.js';
import { toSourceRef, writtenName } from './analyser-context.js';

const UNIT_SECONDS = { SECOND: 1, MINUTE: 60, HOUR: 3600, DAY: 86400, YEAR: 365 * 86400 } as const;
const ALL_KIND: Record<'table' | 'view' | 'command' | 'query', AclResourceKind> = {
  table: 'allTables',
  view: 'allViews',
  command: 'allCommands',
  query: 'allQueries',
};
const OPS_BY_KIND: Record<'command' | 'query' | 'table' | 'view', LimitOp[]> = {
  command: ['execute'],
  query: ['execute'],
  table: ['select', 'insert', 'update', 'activate', 'deactivate'],
  view: ['select'],
};

/** Everything this pass needs from earlier passes to resolve ACL resources and columns. */
export interface AclInputs {
  tables: Map<Decl, TableDef>;
  views: Map<Decl, ViewDef>;
}

export function buildRole(d: Decl): RoleDef {
  const node = d.node as RoleStatement;
  const def: RoleDef = {
    qname: d.qname,
    published: node.published,
    workspace: d.ws?.decl.qname ?? null,
    loc: toSourceRef(d.nameLoc),
  };
  if (node.doc !== undefined) def.comment = node.doc;
  return def;
}

export function buildTag(d: Decl): TagDef {
  const node = d.node as TagStatement;
  const def: TagDef = { qname: d.qname, workspace: d.ws?.decl.qname ?? null };
  if (node.feature) def.feature = node.feature.value;
  return def;
}

export function buildConstant(a: Analysis, d: Decl): ConstantDef {
  const node = d.node as DeclareStatement;
  if (node.type.name !== 'int' && node.type.name !== 'int32') a.error(`DECLARE ${d.name} must be int32`, node.type.loc);
  return { qname: d.qname, type: 'int32', value: node.defaultValue.value };
}

export function buildRate(a: Analysis, d: Decl): RateDef {
  const node = d.node as RateStatement;
  const scope = { pkg: d.pkg, ws: d.ws };
  let count = 0;
  let countFrom: QName | undefined;
  if (node.count.kind === 'IntLiteral') count = node.count.value;
  else {
    const c = a.expect(scope, node.count, ['constant'], 'constant');
    if (c) {
      count = (c.node as DeclareStatement).defaultValue.value;
      countFrom = c.qname;
    }
  }
  if (count <= 0 && (node.count.kind === 'IntLiteral' || countFrom)) a.error('positive value only', node.count.loc);
  const period = node.period?.value ?? 1;
  if (period <= 0 && node.period) a.error('positive value only', node.period.loc);
  const scopes: RateScope[] = [node.objectScope === 'WORKSPACE' ? 'workspace' : 'appPartition'];
  if (node.subjectScope === 'IP') scopes.push('ip');
  if (node.subjectScope === 'SUBJECT') scopes.push('user');
  const def: RateDef = {
    qname: d.qname,
    count,
    periodSeconds: period * UNIT_SECONDS[node.unit],
    scopes,
    workspace: d.ws?.decl.qname ?? null,
    loc: toSourceRef(d.nameLoc),
  };
  if (countFrom) def.countFrom = countFrom;
  if (node.doc !== undefined) def.comment = node.doc;
  return def;
}

export class AclPass {
  constructor(
    private readonly a: Analysis,
    private readonly inputs: AclInputs,
  ) {}

  /**
   * Resources of a kind usable in a workspace, optionally with a tag. Outside package sys the
   * sys resources are left out: `GRANT ALL ON ALL TABLES TO Member` must not let members rewrite
   * the membership table (`sys.Subject`) and so grant themselves any role.
   */
  private resourcesOf(
    scope: Scope,
    ws: WsInfo | null,
    kind: 'table' | 'view' | 'command' | 'query',
    tag: QName | undefined,
  ): QName[] {
    if (!ws) return [];
    const out: QName[] = [];
    for (const q of [...ws.types].sort()) {
      const d = this.a.decls.get(q);
      if (!d || d.kind !== kind) continue;
      if (d.pkg.isSys && !scope.pkg.isSys) continue;
      if (kind === 'table') {
        const t = this.inputs.tables.get(d);
        if (!t || t.abstract || (tag && !t.tags.includes(tag))) continue;
      } else if (tag) {
        const tags = kind === 'view' ? this.inputs.views.get(d)?.tags : this.extensionTags.get(d);
        if (!tags?.includes(tag)) continue;
      }
      out.push(q);
    }
    return out;
  }

  /** Tags of commands/queries (set by the analyser once extensions are built). */
  extensionTags = new Map<Decl, QName[]>();

  private resolveTag(scope: Scope, q: QualifiedName | undefined): QName | undefined {
    if (!q) return undefined;
    return this.a.expect(scope, q, ['tag'], 'tag')?.qname;
  }

  /** A single named resource of a kind, visible in the workspace. */
  private resource(scope: Scope, q: QualifiedName, kind: DeclKind): Decl | undefined {
    const d = this.a.expect(scope, q, [kind], kind);
    if (!d) return undefined;
    if (kind === 'table' && this.inputs.tables.get(d)?.abstract) {
      this.a.error(`use of abstract table ${writtenName(q)}`, q.loc);
      return undefined;
    }
    if (scope.ws && !this.a.isVisibleIn(scope.ws, d.qname)) {
      this.a.error(`${kind} ${writtenName(q)} not included into workspace ${scope.ws.decl.qname}`, q.loc);
      return undefined;
    }
    return d;
  }

  buildLimit(d: Decl): LimitDef {
    const node = d.node as LimitStatement;
    const scope = { pkg: d.pkg, ws: d.ws };
    const target = node.target;
    const kind = target.objectKind.toLowerCase() as 'command' | 'query' | 'table' | 'view';
    const applicable = OPS_BY_KIND[kind];
    const ops: LimitOp[] = [];
    for (const op of node.operations) {
      const o = op.toLowerCase() as LimitOp;
      if (!applicable.includes(o)) this.a.error(`operation ${op} not allowed on ${kind}`, node.loc);
      else if (!ops.includes(o)) ops.push(o);
    }
    let qnames: QName[] = [];
    let tag: QName | undefined;
    if (target.kind === 'LimitSingleTarget') {
      const r = this.resource(scope, target.name, kind);
      if (r) qnames = [r.qname];
    } else {
      tag = this.resolveTag(scope, target.tag);
      if (!target.tag || tag) qnames = this.resourcesOf(scope, d.ws, kind, tag);
    }
    const rate = this.a.expect(scope, node.rate, ['rate'], 'rate');
    const def: LimitDef = {
      qname: d.qname,
      ops: node.operations.length > 0 ? ops : [...applicable],
      on: { kind, mode: target.kind === 'LimitAllTarget' ? 'all' : 'each', qnames, ...(tag ? { tag } : {}) },
      rate: rate?.qname ?? writtenName(node.rate),
      workspace: d.ws?.decl.qname ?? null,
      loc: toSourceRef(d.nameLoc),
    };
    return def;
  }

  /** The workspace's own rules, from its body and every ALTER WORKSPACE body, in order. */
  buildAcl(ws: WsInfo): AclRule[] {
    const rules: AclRule[] = [];
    for (const body of ws.bodies) {
      const scope = { pkg: body.pkg, ws };
      let revoked = false;
      for (const item of body.items) {
        if (item.kind !== 'GrantStatement' && item.kind !== 'RevokeStatement') continue;
        if (item.kind === 'RevokeStatement') revoked = true;
        else if (revoked) this.a.error('GRANT follows REVOKE in the same workspace', item.loc);
        rules.push(...this.rulesOf(scope, ws, item));
      }
    }
    return rules;
  }

  private rulesOf(scope: Scope, ws: WsInfo, st: GrantStatement | RevokeStatement): AclRule[] {
    const a = this.a;
    const op = st.kind === 'GrantStatement' ? 'grant' : 'revoke';
    const principal = a.expect(scope, st.role, ['role'], 'role');
    const base = { op, workspace: ws.decl.qname, loc: toSourceRef(st.loc) } as const;
    const what = st.what;
    if (what.kind === 'RoleGrant') {
      const role = a.expect(scope, what.role, ['role'], 'role');
      if (!role || !principal) return [];
      return [
        { ...base, privileges: ['inherits'], on: { kind: 'role', qnames: [role.qname] }, principal: principal.qname },
      ];
    }
    const obj = what.object;
    const kind = obj.objectKind.toLowerCase() as 'table' | 'view' | 'command' | 'query';
    let on: AclRule['on'] | undefined;
    let fields: string[] | undefined;
    if (obj.kind === 'GrantSingleObject') {
      const r = this.resource(scope, obj.name, kind);
      if (r) {
        on = { kind, qnames: [r.qname] };
        fields = (kind === 'table' ? this.inputs.tables.get(r)?.fields : this.inputs.views.get(r)?.fields)?.map(
          (f) => f.name,
        );
      }
    } else {
      const tag = this.resolveTag(scope, obj.tag);
      if (!obj.tag || tag) {
        const allKind = ALL_KIND[kind];
        on = { kind: allKind, qnames: this.resourcesOf(scope, ws, kind, tag), ...(tag ? { tag } : {}) };
      }
    }
    // One rule per distinct column list, keeping the statement's order of privileges.
    const groups = new Map<string, { privileges: AclPrivilege[]; columns?: string[] }>();
    for (const p of what.privileges) {
      const privileges = privilegesOf(p.operation, kind);
      const bad = privileges.find((x) => !allowedFor(kind).includes(x));
      if (bad) {
        a.error(`${p.operation} is not allowed on ${kind}`, p.loc);
        continue;
      }
      let columns: string[] | undefined;
      if (p.columns) {
        columns = [];
        for (const c of p.columns) {
          const name = writtenName(c);
          if (fields && !fields.includes(name)) a.error(`undefined field ${name}`, c.loc);
          else if (!columns.includes(name)) columns.push(name);
        }
      }
      const key = columns ? JSON.stringify(columns) : '*';
      const g = groups.get(key) ?? { privileges: [], ...(columns ? { columns } : {}) };
      for (const x of privileges) if (!g.privileges.includes(x)) g.privileges.push(x);
      groups.set(key, g);
    }
    if (!on || !principal) return [];
    const target = on;
    return [...groups.values()].map((g) => ({
      ...base,
      privileges: g.privileges,
      ...(g.columns ? { columns: g.columns } : {}),
      on: target,
      principal: principal.qname,
    }));
  }
}

function privilegesOf(op: string, kind: string): AclPrivilege[] {
  if (op === 'ALL')
    return kind === 'table' ? ['select', 'insert', 'update'] : kind === 'view' ? ['select'] : ['execute'];
  return [op.toLowerCase() as AclPrivilege];
}

function allowedFor(kind: string): AclPrivilege[] {
  if (kind === 'table') return ['select', 'insert', 'update', 'activate', 'deactivate'];
  if (kind === 'view') return ['select'];
  return ['execute'];
}
