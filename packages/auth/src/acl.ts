import type { AclPrivilege, AclRule, AppDef, QName, WorkspaceDef } from '@stoa/vsql';
import { describeRule } from './acl-describe.js';

/**
 * ACL evaluation over an AppDef (reference §2.4; docs/ARCHITECTURE.md §7). Everything that does
 * not depend on the request is precomputed per workspace when the evaluator is created, so
 * `evaluate` is a map lookup plus a walk over the few rules naming the resource.
 */

export const SYSTEM_ROLE = 'sys.System';

export interface AclRequest {
  readonly workspace: QName;
  /** The caller's roles before inheritance (see `composeRoles`). */
  readonly roles: readonly QName[];
  readonly privilege: AclPrivilege;
  readonly resource: QName;
  /** Fields the operation touches; every one must be allowed. Absent = no field check. */
  readonly fields?: readonly string[];
}

export interface AclDecision {
  readonly allowed: boolean;
  /** Fields the roles may use for this operation (`'all'` = every field; `[]` when denied). */
  readonly fields: 'all' | readonly string[];
  /** The last matching rule (the one that decided), if any rule matched. */
  readonly rule?: AclRule;
  /** Human-readable explanation naming the deciding rule and where it is declared. */
  readonly reason: string;
}

export interface AclEvaluator {
  evaluate(req: AclRequest): AclDecision;
  /** The roles plus every role they inherit (transitively) through `GRANT Role TO Role` in the workspace. */
  expandRoles(workspace: QName, roles: readonly QName[]): QName[];
}

type ResourceKind = 'table' | 'view' | 'command' | 'query';

const APPLICABLE: Readonly<Record<ResourceKind, readonly AclPrivilege[]>> = {
  table: ['select', 'insert', 'update', 'activate', 'deactivate'],
  view: ['select'],
  command: ['execute'],
  query: ['execute'],
};

/** Privileges whose rules may carry a column list. */
const FIELD_PRIVILEGES: ReadonlySet<AclPrivilege> = new Set(['select', 'insert', 'update']);

interface Resource {
  readonly kind: ResourceKind;
  /** Field names in declaration order; empty for commands and queries. */
  readonly fields: readonly string[];
  readonly systemFields: readonly string[];
  readonly tags: readonly QName[];
}

interface IndexedRule {
  readonly rule: AclRule;
  /** undefined = every field. */
  readonly columns: readonly string[] | undefined;
}

interface WorkspaceIndex {
  /** `privilege resource` → the matching rules in evaluation order (ancestors first). */
  readonly rules: Map<string, IndexedRule[]>;
  /** role → the role and everything it inherits. */
  readonly closure: Map<QName, ReadonlySet<QName>>;
  readonly types: ReadonlySet<QName>;
  readonly expandCache: Map<string, readonly QName[]>;
}

const EXPAND_CACHE_LIMIT = 1024;
const DECISION_CACHE_LIMIT = 4096;

function getOrCreate<K, V>(map: Map<K, Map<string, V>>, key: K): Map<string, V> {
  let inner = map.get(key);
  if (inner === undefined) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}

function ruleKey(privilege: AclPrivilege, resource: QName): string {
  return `${privilege} ${resource}`;
}

function collectResources(appdef: AppDef): Map<QName, Resource> {
  const resources = new Map<QName, Resource>();
  for (const table of Object.values(appdef.tables)) {
    if (table.abstract) continue;
    resources.set(table.qname, {
      kind: 'table',
      fields: table.fields.map((f) => f.name),
      systemFields: table.fields.filter((f) => f.system === true).map((f) => f.name),
      tags: table.tags,
    });
  }
  for (const view of Object.values(appdef.views)) {
    resources.set(view.qname, {
      kind: 'view',
      fields: view.fields.map((f) => f.name),
      systemFields: [],
      tags: view.tags,
    });
  }
  for (const ext of Object.values(appdef.extensions)) {
    if (ext.kind === 'command' || ext.kind === 'query') {
      resources.set(ext.qname, { kind: ext.kind, fields: [], systemFields: [], tags: ext.tags });
    }
  }
  return resources;
}

const ALL_KIND: Readonly<Partial<Record<AclRule['on']['kind'], ResourceKind>>> = {
  allTables: 'table',
  allViews: 'view',
  allCommands: 'command',
  allQueries: 'query',
};

/**
 * The resources a rule covers in workspace `ws`. `ALL … [WITH TAG]` rules are re-resolved against
 * `ws` (not only the declaring workspace) so a rule of an ancestor also covers what descendants
 * declare; as in the compiler, `sys` resources come only from the compiler's own list.
 */
function resolveTargets(rule: AclRule, ws: WorkspaceDef, resources: Map<QName, Resource>): QName[] {
  const kind = ALL_KIND[rule.on.kind];
  if (kind === undefined) return rule.on.qnames;
  const targets = new Set(rule.on.qnames);
  const tag = rule.on.tag;
  for (const qname of ws.types) {
    if (qname.startsWith('sys.')) continue;
    const res = resources.get(qname);
    if (res?.kind === kind && (tag === undefined || res.tags.includes(tag))) targets.add(qname);
  }
  return [...targets];
}

function computeClosure(inheritRules: readonly AclRule[]): Map<QName, ReadonlySet<QName>> {
  // Applied in order, so a later REVOKE Role FROM Role removes an edge granted earlier.
  const edges = new Map<QName, Set<QName>>();
  for (const rule of inheritRules) {
    let set = edges.get(rule.principal);
    if (set === undefined) edges.set(rule.principal, (set = new Set()));
    for (const inherited of rule.on.qnames) {
      if (rule.op === 'grant') set.add(inherited);
      else set.delete(inherited);
    }
  }
  const closure = new Map<QName, ReadonlySet<QName>>();
  for (const role of edges.keys()) {
    // Depth-first walk with a visited set: cycles (A TO B, B TO A) terminate.
    const seen = new Set<QName>([role]);
    const stack = [role];
    while (stack.length > 0) {
      const current = stack.pop() as QName;
      for (const next of edges.get(current) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    closure.set(role, seen);
  }
  return closure;
}

function indexWorkspace(appdef: AppDef, ws: WorkspaceDef, resources: Map<QName, Resource>): WorkspaceIndex {
  const ordered: AclRule[] = [];
  for (const ancestor of ws.ancestors) ordered.push(...(appdef.workspaces[ancestor]?.acl ?? []));
  ordered.push(...ws.acl);

  const rules = new Map<string, IndexedRule[]>();
  const inheritRules: AclRule[] = [];
  for (const rule of ordered) {
    if (rule.privileges.includes('inherits')) inheritRules.push(rule);
    const targets = resolveTargets(rule, ws, resources);
    for (const privilege of rule.privileges) {
      if (privilege === 'inherits') continue;
      const columns = FIELD_PRIVILEGES.has(privilege) ? rule.columns : undefined;
      for (const target of targets) {
        const key = ruleKey(privilege, target);
        let list = rules.get(key);
        if (list === undefined) rules.set(key, (list = []));
        list.push({ rule, columns });
      }
    }
  }
  return { rules, closure: computeClosure(inheritRules), types: new Set(ws.types), expandCache: new Map() };
}

function expandWith(index: WorkspaceIndex | undefined, roles: readonly QName[]): readonly QName[] {
  if (index === undefined) return [...new Set(roles)];
  const key = roles.join(',');
  const cached = index.expandCache.get(key);
  if (cached !== undefined) return cached;
  const out = new Set<QName>();
  for (const role of roles) {
    const inherited = index.closure.get(role);
    if (inherited === undefined) out.add(role);
    else for (const r of inherited) out.add(r);
  }
  const result = [...out];
  if (index.expandCache.size >= EXPAND_CACHE_LIMIT) index.expandCache.clear();
  index.expandCache.set(key, result);
  return result;
}

/** An allowed decision; its reason is built only when read (hot path: reads check ACL several times). */
function allow(fields: 'all' | readonly string[], rule: AclRule): AclDecision {
  let reason: string | undefined;
  return {
    allowed: true,
    fields,
    rule,
    get reason(): string {
      const scope = fields === 'all' ? '' : ` (fields: ${fields.join(', ')})`;
      return (reason ??= `allowed${scope} by ${describeRule(rule)}`);
    },
  };
}

function deny(reason: string, rule?: AclRule): AclDecision {
  return rule === undefined ? { allowed: false, fields: [], reason } : { allowed: false, fields: [], rule, reason };
}

export function createAclEvaluator(appdef: AppDef): AclEvaluator {
  const resources = collectResources(appdef);
  const indexes = new Map<QName, WorkspaceIndex>();
  for (const ws of Object.values(appdef.workspaces)) indexes.set(ws.qname, indexWorkspace(appdef, ws, resources));

  function evaluate(req: AclRequest): AclDecision {
    const { workspace, privilege, resource } = req;
    const index = indexes.get(workspace);
    if (index === undefined) return deny(`unknown workspace ${workspace}`);
    const res = resources.get(resource);
    if (res === undefined || !index.types.has(resource)) {
      return deny(`${resource} is not available in workspace ${workspace}`);
    }
    if (!APPLICABLE[res.kind].includes(privilege)) {
      return deny(`${privilege} does not apply to ${res.kind} ${resource}`);
    }
    const roles = expandWith(index, req.roles);
    if (roles.includes(SYSTEM_ROLE)) {
      return { allowed: true, fields: 'all', reason: `${SYSTEM_ROLE} is always allowed (ACL skipped)` };
    }

    const held = new Set(roles);
    const candidates = index.rules.get(ruleKey(privilege, resource)) ?? [];
    const hasFields = res.fields.length > 0;
    // Field set granted so far; for field-less resources only "anything granted?" matters.
    let granted = new Set<string>();
    let lastGrant = false;
    let last: IndexedRule | undefined;
    for (const entry of candidates) {
      if (!held.has(entry.rule.principal)) continue;
      last = entry;
      const cols = entry.columns;
      if (entry.rule.op === 'grant') {
        lastGrant = true;
        if (cols === undefined) {
          granted = new Set(res.fields);
        } else {
          // A field-restricted SELECT implicitly includes the system fields (reference §2.4).
          if (privilege === 'select') for (const f of res.systemFields) granted.add(f);
          for (const c of cols) granted.add(c);
        }
      } else {
        lastGrant = false;
        if (cols === undefined) granted.clear();
        else for (const c of cols) granted.delete(c);
      }
    }

    const op = `${privilege} on ${resource}`;
    if (last === undefined) {
      return deny(`denied: no rule in ${workspace} grants ${op} to ${roles.join(', ') || '(no roles)'}`);
    }
    const rule = last.rule;
    const allowed = hasFields ? granted.size > 0 : lastGrant;
    if (!allowed) return deny(`denied: ${op} is revoked by ${describeRule(rule)}`, rule);

    const fields: 'all' | readonly string[] =
      !hasFields || granted.size === res.fields.length ? 'all' : res.fields.filter((f) => granted.has(f));
    if (req.fields !== undefined && fields !== 'all') {
      const missing = req.fields.filter((f) => !granted.has(f));
      if (missing.length > 0) {
        return deny(
          `denied: field(s) ${missing.join(', ')} not allowed for ${op}; allowed: ${fields.join(', ')} (last rule: ${describeRule(rule)})`,
          rule,
        );
      }
    } else if (req.fields !== undefined && hasFields) {
      const unknown = req.fields.filter((f) => !granted.has(f));
      if (unknown.length > 0) return deny(`denied: unknown field(s) ${unknown.join(', ')} of ${resource}`, rule);
    }
    return allow(fields, rule);
  }

  // Decisions depend only on the request, so they are memoised (bounded; cleared when full). This
  // runs several times per API request, so a hit builds no key strings: role lists are joined once
  // per list object (a request reuses its list), and field-less requests — nearly all — are found
  // through nested maps (roles → workspace → privilege → resource).
  const rolesKeys = new WeakMap<readonly QName[], string>();
  const decisions = new Map<string, Map<QName, Map<AclPrivilege, Map<QName, AclDecision>>>>();
  const fieldDecisions = new Map<string, AclDecision>();
  let cachedDecisions = 0;
  function evaluateMemo(req: AclRequest): AclDecision {
    let rolesKey = rolesKeys.get(req.roles);
    if (rolesKey === undefined) {
      rolesKey = req.roles.join(',');
      rolesKeys.set(req.roles, rolesKey);
    }
    if (req.fields !== undefined) {
      const key = `${req.workspace}|${req.privilege}|${req.resource}|${rolesKey}|${req.fields.join(',')}`;
      const cached = fieldDecisions.get(key);
      if (cached !== undefined) return cached;
      const decision = evaluate(req);
      if (fieldDecisions.size >= DECISION_CACHE_LIMIT) fieldDecisions.clear();
      fieldDecisions.set(key, decision);
      return decision;
    }
    const slot = (): Map<QName, AclDecision> =>
      getOrCreate(getOrCreate(getOrCreate(decisions, rolesKey), req.workspace), req.privilege);
    let byResource = slot();
    const cached = byResource.get(req.resource);
    if (cached !== undefined) return cached;
    const decision = evaluate(req);
    if (cachedDecisions >= DECISION_CACHE_LIMIT) {
      decisions.clear();
      cachedDecisions = 0;
      byResource = slot();
    }
    byResource.set(req.resource, decision);
    cachedDecisions++;
    return decision;
  }

  return {
    evaluate: evaluateMemo,
    expandRoles: (workspace, roles) => [...expandWith(indexes.get(workspace), roles)],
  };
}
