// The AppDef: the compiled, versioned model of an application that the engine, the portal and
// the bundle builder all consume. Plain JSON only (no Maps, classes or undefined-vs-missing
// subtleties that JSON.stringify would lose): a bundle stores it verbatim and a redeploy compares
// two of them. Every field is documented in ../APPDEF.md; bump APPDEF_VERSION on any change that
// an older consumer would misread.

export const APPDEF_VERSION = 1 as const;

/** `pkg.Name`, with the package's local name (`shop.Product`, `sys.CDoc`). */
export type QName = string;

export interface AppDef {
  appdefVersion: typeof APPDEF_VERSION;
  /** Application name from the APPLICATION statement. */
  name: string;
  /** Packages of the app, `sys` first. */
  packages: PackageDef[];
  workspaces: Record<QName, WorkspaceDef>;
  tables: Record<QName, TableDef>;
  /** TYPE statements (non-persistent structures: parameters, results, fieldsets). */
  objects: Record<QName, ObjectDef>;
  views: Record<QName, ViewDef>;
  extensions: Record<QName, ExtensionDef>;
  roles: Record<QName, RoleDef>;
  rates: Record<QName, RateDef>;
  limits: Record<QName, LimitDef>;
  tags: Record<QName, TagDef>;
  storages: Record<QName, StorageDef>;
  constants: Record<QName, ConstantDef>;
}

export interface PackageDef {
  localName: string;
  path: string;
}

export interface SourceRef {
  file: string;
  line: number;
  column: number;
}

export interface WorkspaceDef {
  qname: QName;
  abstract: boolean;
  alterable: boolean;
  /** `POOL OF WORKSPACE` (parsed, no runtime meaning yet). */
  pool: boolean;
  /** The descriptor CDoc singleton (the workspace kind's data); null for abstract workspaces. */
  descriptor: QName | null;
  /** Direct bases as written; `['sys.Workspace']` when none is written (empty only for sys.Workspace). */
  inherits: QName[];
  /** Every ancestor, transitively, farthest first (`sys.Workspace` first); ACL order follows it. */
  ancestors: QName[];
  /** Workspaces that may be created inside this one (USE WORKSPACE). */
  uses: QName[];
  /**
   * Every type usable in the workspace: its own statements, statements added by ALTER WORKSPACE,
   * everything of its ancestors, and the descriptors of the workspaces it uses. Sorted.
   */
  types: QName[];
  /** This workspace's own GRANT/REVOKE rules in declaration order (ancestors' rules excluded). */
  acl: AclRule[];
  comment?: string;
  loc?: SourceRef;
}

export type TableKind = 'CDoc' | 'WDoc' | 'ODoc' | 'CRecord' | 'WRecord' | 'ORecord';

export type FieldKind =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'varchar'
  | 'bytes'
  | 'blob'
  | 'bool'
  | 'qname'
  | 'ref'
  | 'timestamp'
  | 'currency'
  | 'record';

export interface FieldType {
  kind: FieldKind;
  /** varchar/bytes: maximum length (default 255). */
  maxLen?: number;
  /** ref: allowed target tables (empty = any record); blob: always `['sys.BLOB']`. */
  refTargets?: QName[];
}

export interface FieldDef {
  name: string;
  type: FieldType;
  /** NOT NULL. */
  required: boolean;
  /** VERIFIABLE: the client sends a verified-value token (e-mail verification) instead of the value. */
  verifiable: boolean;
  /** From `CHECK 'regex'` (varchar only): a JavaScript-compatible regular expression source. */
  pattern?: string;
  /** A field the engine maintains (`sys.ID`, `sys.IsActive`, …), not declared in VSQL. */
  system: boolean;
  /** The table or type that declared the field (differs from the owner when inherited/inlined). */
  declaredIn?: QName;
  comment?: string;
}

export interface ContainerDef {
  name: string;
  /** Child table (tables) or child object (types). */
  type: QName;
  minOccurs: number;
  maxOccurs: number;
}

export interface UniqueDef {
  /** `pkg.Table$uniques$01` (unnamed, numbered) or `pkg.Table$uniques$ConstraintName`. */
  name: string;
  fields: string[];
}

export interface TableDef {
  qname: QName;
  kind: TableKind;
  singleton: boolean;
  abstract: boolean;
  /** Direct base table (null only for the sys root tables). */
  inherits: QName | null;
  /** Fields in order: system fields, then inherited, then own (fieldsets inlined in place). */
  fields: FieldDef[];
  containers: ContainerDef[];
  uniques: UniqueDef[];
  /** Deprecated single-field unique (UNIQUEFIELD). */
  uniqueField: string | null;
  tags: QName[];
  /** The table that contains this one as a nested table, if declared nested. */
  parent?: QName;
  /** Set when this table is the descriptor of that workspace. */
  descriptorOf?: QName;
  workspace: QName | null;
  comment?: string;
  loc?: SourceRef;
}

export interface ObjectDef {
  qname: QName;
  /** Declared fields, fieldsets inlined in place (objects carry no system fields). */
  fields: FieldDef[];
  /** Object-typed fields (`Field OtherType`): occurs 0..1, or 1..1 when NOT NULL. */
  containers: ContainerDef[];
  workspace: QName | null;
  tags: QName[];
  comment?: string;
  loc?: SourceRef;
}

export interface ViewDef {
  qname: QName;
  /** All fields in declaration order. */
  fields: FieldDef[];
  partitionKey: string[];
  clusteringColumns: string[];
  /** Non-key fields, in declaration order. */
  valueFields: string[];
  /** AS RESULT OF: the projector (or job) that writes it. */
  projector: QName;
  tags: QName[];
  workspace: QName | null;
  comment?: string;
  loc?: SourceRef;
}

export type ExtensionKind = 'command' | 'query' | 'projector' | 'job';
export type ExtensionEngine = 'wasm' | 'builtin';
/**
 * A parameter/result: the QName of a TYPE or TABLE, or the keyword `'any'` or `'void'` (which
 * can never be QNames: those always contain a dot). Omitted in VSQL = `'void'`.
 */
export type ParamRef = QName;

export interface StorageRef {
  storage: QName;
  /** Tables (sys.Record, sys.Uniq) or views (sys.View) it touches; empty for other storages. */
  entities: QName[];
}

export type TriggerOn = 'execute' | 'executeWithParam' | 'insert' | 'update' | 'activate' | 'deactivate';

export interface TriggerDef {
  on: TriggerOn;
  targets: QName[];
}

export interface ExtensionDef {
  qname: QName;
  kind: ExtensionKind;
  engine: ExtensionEngine;
  workspace: QName | null;
  /** command/query only. */
  param?: ParamRef;
  /** command only. */
  unloggedParam?: ParamRef;
  /** command/query only. */
  result?: ParamRef;
  state: StorageRef[];
  intents: StorageRef[];
  /** projector only. */
  sync?: boolean;
  triggers?: TriggerDef[];
  includingErrors?: boolean;
  /** job only. */
  cron?: string;
  tags: QName[];
  comment?: string;
  loc?: SourceRef;
}

export interface RoleDef {
  qname: QName;
  published: boolean;
  workspace: QName | null;
  comment?: string;
  loc?: SourceRef;
}

export type AclPrivilege = 'select' | 'insert' | 'update' | 'activate' | 'deactivate' | 'execute' | 'inherits';

export type AclResourceKind =
  'table' | 'view' | 'command' | 'query' | 'role' | 'allTables' | 'allViews' | 'allCommands' | 'allQueries';

export interface AclRule {
  op: 'grant' | 'revoke';
  privileges: AclPrivilege[];
  /** Field-level rule; absent = every field. */
  columns?: string[];
  on: {
    kind: AclResourceKind;
    /** Concrete resources (for `ALL … [WITH TAG]`: resolved against the workspace's types). */
    qnames: QName[];
    /** `WITH TAG`, kept so a type tagged later still matches when evaluated by tag. */
    tag?: QName;
  };
  /** The role the rule applies to. */
  principal: QName;
  /** Workspace whose body declared the rule. */
  workspace: QName;
  loc?: SourceRef;
}

export type RateScope = 'appPartition' | 'workspace' | 'user' | 'ip';

export interface RateDef {
  qname: QName;
  count: number;
  /** Set when the count comes from a DECLARE constant. */
  countFrom?: QName;
  periodSeconds: number;
  scopes: RateScope[];
  workspace: QName | null;
  comment?: string;
  loc?: SourceRef;
}

export type LimitOp = 'select' | 'execute' | 'activate' | 'deactivate' | 'insert' | 'update';

export interface LimitDef {
  qname: QName;
  ops: LimitOp[];
  on: {
    kind: 'command' | 'query' | 'table' | 'view';
    /** `each`: one bucket per resource; `all`: one bucket shared by every matching resource. */
    mode: 'each' | 'all';
    /** Matching resources, resolved in the limit's workspace. */
    qnames: QName[];
    tag?: QName;
  };
  rate: QName;
  workspace: QName | null;
  loc?: SourceRef;
}

export interface TagDef {
  qname: QName;
  feature?: string;
  workspace: QName | null;
}

export type StorageScope = 'commands' | 'queries' | 'projectors' | 'jobs';

export interface StorageDef {
  qname: QName;
  ops: Partial<Record<'get' | 'getBatch' | 'read' | 'insert' | 'update', StorageScope[]>>;
  /** Entities an item of this storage must name. */
  entity: 'record' | 'view' | null;
}

export interface ConstantDef {
  qname: QName;
  type: 'int32';
  value: number;
}

/** The kind of definition a QName denotes in an AppDef, or undefined when unknown. */
export type DefKind =
  'workspace' | 'table' | 'object' | 'view' | 'extension' | 'role' | 'rate' | 'limit' | 'tag' | 'storage' | 'constant';

export function findDefKind(appdef: AppDef, qname: QName): DefKind | undefined {
  if (qname in appdef.tables) return 'table';
  if (qname in appdef.objects) return 'object';
  if (qname in appdef.views) return 'view';
  if (qname in appdef.extensions) return 'extension';
  if (qname in appdef.workspaces) return 'workspace';
  if (qname in appdef.roles) return 'role';
  if (qname in appdef.rates) return 'rate';
  if (qname in appdef.limits) return 'limit';
  if (qname in appdef.tags) return 'tag';
  if (qname in appdef.storages) return 'storage';
  if (qname in appdef.constants) return 'constant';
  return undefined;
}

/** Documents and records stored in the records store (everything but ODoc/ORecord). */
export function isStoredTableKind(kind: TableKind): boolean {
  return kind !== 'ODoc' && kind !== 'ORecord';
}

export function isDocKind(kind: TableKind): boolean {
  return kind === 'CDoc' || kind === 'WDoc' || kind === 'ODoc';
}
