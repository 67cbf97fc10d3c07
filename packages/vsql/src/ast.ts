/**
 * VSQL abstract syntax tree.
 *
 * SHARED CONTRACT: produced by the parser (`parser.ts`), consumed by the analyser
 * (`analyser*.ts`) and the printer (`printer.ts`). Additions are fine; renaming or removing
 * fields breaks the analyser, so don't.
 *
 * Conventions:
 * - Every node has `kind` (the discriminant) and `loc` (its source span).
 * - Identifiers keep their spelling exactly as written (quotes of `"quoted"` names removed);
 *   name resolution is the analyser's job.
 * - Keyword-valued fields are normalised to upper case (`'INSERT'`, `'MINUTE'`), so
 *   `5 MINUTES` and `5 MINUTE` give the same tree.
 * - Optional clauses that are absent are `undefined`; absent lists are `[]`.
 * - Constructs Voedger parses but ignores (`DEFAULT`, `CHECK (expr)`, `FUNCTION`, `TEMPLATE`,
 *   `POOL OF`, `PER SUBJECT`) are kept so the analyser can decide what to do with them.
 * - `doc` is the comment block (`--` lines or one `/* *\/` block) written directly above a
 *   statement or table/type/view item, with comment markers removed; the reference uses it
 *   as the item's comment unless `WITH Comment=` overrides it.
 */
import type { SourceSpan } from './diagnostics.js';

export interface BaseNode {
  loc: SourceSpan;
}

// ---------------------------------------------------------------------------------------------
// Names and literals

export interface Identifier extends BaseNode {
  kind: 'Identifier';
  value: string;
}

/** `[pkg.]Name`. */
export interface QualifiedName extends BaseNode {
  kind: 'QualifiedName';
  pkg?: Identifier;
  name: Identifier;
}

/** `'text'`; `value` has escapes resolved (`''` and `\'` → `'`). */
export interface StringLiteral extends BaseNode {
  kind: 'StringLiteral';
  value: string;
}

/** An integer, sign included (`-1`). */
export interface IntLiteral extends BaseNode {
  kind: 'IntLiteral';
  value: number;
}

export interface FloatLiteral extends BaseNode {
  kind: 'FloatLiteral';
  value: number;
}

export interface BooleanLiteral extends BaseNode {
  kind: 'BooleanLiteral';
  value: boolean;
}

export interface NullLiteral extends BaseNode {
  kind: 'NullLiteral';
}

/** `DEFAULT` value of a field: `DEFAULT 1`, `DEFAULT -1`, `DEFAULT 'x'`. */
export type DefaultValue = IntLiteral | StringLiteral;

// ---------------------------------------------------------------------------------------------
// Data types

/** Built-in type spellings, lower-case, words separated by one space. */
export type PrimitiveTypeName =
  | 'varchar'
  | 'text'
  | 'character varying'
  | 'bytes'
  | 'varbinary'
  | 'binary varying'
  | 'tinyint'
  | 'int8'
  | 'smallint'
  | 'int16'
  | 'int'
  | 'integer'
  | 'int32'
  | 'bigint'
  | 'int64'
  | 'real'
  | 'float'
  | 'float32'
  | 'double precision'
  | 'float64'
  | 'timestamp'
  | 'money'
  | 'currency'
  | 'boolean'
  | 'bool'
  | 'qname'
  | 'qualified name'
  | 'blob'
  | 'binary large object'
  | 'record';

/**
 * What a primitive type means (reference §1.6). `timestamp`, `money` and `currency` are
 * `int64`; `blob` is a reference to `sys.BLOB`; `record` is sys-only.
 */
export type DataKind =
  | 'string'
  | 'bytes'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'bool'
  | 'qname'
  | 'blob'
  | 'record';

/** `varchar`, `varchar(100)`, `int32`, `double precision`, … */
export interface PrimitiveType extends BaseNode {
  kind: 'PrimitiveType';
  name: PrimitiveTypeName;
  dataKind: DataKind;
  /** `(n)` of string/bytes types; the parser accepts it only there. Range is checked by the analyser. */
  length?: number;
}

/** `ref` (any record) or `ref(T1, T2)`. */
export interface RefType extends BaseNode {
  kind: 'RefType';
  targets: QualifiedName[];
}

/** A named type: a TYPE, a TABLE (container), … resolved by the analyser. */
export interface TypeReference extends BaseNode {
  kind: 'TypeReference';
  name: QualifiedName;
}

export type DataType = PrimitiveType | RefType | TypeReference;

// ---------------------------------------------------------------------------------------------
// CHECK expressions (parsed and syntax-checked only; Voedger never evaluates them)

/** The body of `CHECK (…)`: the raw text between the parentheses plus its parsed form. */
export interface CheckExpression extends BaseNode {
  kind: 'CheckExpression';
  /** Source text from the first to the last token inside the parentheses. */
  text: string;
  expression: Expression;
}

export type BinaryOperator = 'OR' | 'AND' | '=' | '<>' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';

export interface BinaryExpression extends BaseNode {
  kind: 'BinaryExpression';
  operator: BinaryOperator;
  left: Expression;
  right: Expression;
}

export interface UnaryExpression extends BaseNode {
  kind: 'UnaryExpression';
  operator: 'NOT' | '-' | '+';
  operand: Expression;
}

/** `x IS [NOT] NULL` */
export interface IsNullExpression extends BaseNode {
  kind: 'IsNullExpression';
  operand: Expression;
  not: boolean;
}

/** `x [NOT] BETWEEN low AND high` */
export interface BetweenExpression extends BaseNode {
  kind: 'BetweenExpression';
  operand: Expression;
  not: boolean;
  low: Expression;
  high: Expression;
}

/** `x [NOT] IN (a, b)` */
export interface InExpression extends BaseNode {
  kind: 'InExpression';
  operand: Expression;
  not: boolean;
  values: Expression[];
}

/** A field or function name; `args` is set for a call (`ValidateRow(this)`), even when empty. */
export interface SymbolExpression extends BaseNode {
  kind: 'SymbolExpression';
  name: QualifiedName;
  args?: Expression[];
}

export type Expression =
  | BinaryExpression
  | UnaryExpression
  | IsNullExpression
  | BetweenExpression
  | InExpression
  | SymbolExpression
  | IntLiteral
  | FloatLiteral
  | StringLiteral
  | BooleanLiteral
  | NullLiteral;

// ---------------------------------------------------------------------------------------------
// WITH clauses, storages

/** `Comment = 'text'` */
export interface WithComment extends BaseNode {
  kind: 'WithComment';
  value: StringLiteral;
}

/** `Tags = (T1, T2)` */
export interface WithTags extends BaseNode {
  kind: 'WithTags';
  tags: QualifiedName[];
}

export type WithItem = WithComment | WithTags;

/** A STATE/INTENTS item: `sys.View(DailySales, Other)` or `sys.AppSecret`. */
export interface StorageReference extends BaseNode {
  kind: 'StorageReference';
  storage: QualifiedName;
  entities: QualifiedName[];
}

// ---------------------------------------------------------------------------------------------
// Tables, types, views

/** `Name type [NOT NULL] [VERIFIABLE] [DEFAULT v] [CHECK 'regexp'] [CHECK (expr)]` */
export interface FieldDeclaration extends BaseNode {
  kind: 'FieldDeclaration';
  name: Identifier;
  type: DataType;
  notNull: boolean;
  verifiable: boolean;
  defaultValue?: DefaultValue;
  /** `CHECK 'regexp'` */
  pattern?: StringLiteral;
  /** `CHECK (expr)` — parsed, not enforced. */
  checkExpression?: CheckExpression;
  doc?: string;
}

/** `Name TABLE Sub [INHERITS Q] (…) [WITH …]` — a container of nested records. */
export interface NestedTable extends BaseNode {
  kind: 'NestedTable';
  /** The container name (`Variants` in `Variants TABLE ProductVariant (…)`). */
  name: Identifier;
  /** The nested table (`abstract` is always false). */
  table: TableStatement;
  doc?: string;
}

/** A bare `Q` naming a TYPE whose fields are inlined. */
export interface FieldSet extends BaseNode {
  kind: 'FieldSet';
  type: QualifiedName;
  doc?: string;
}

/** `[CONSTRAINT name] UNIQUE (a, b)` */
export interface UniqueConstraint extends BaseNode {
  kind: 'UniqueConstraint';
  name?: Identifier;
  fields: Identifier[];
  doc?: string;
}

/** `[CONSTRAINT name] UNIQUEFIELD a` (deprecated single-field form). */
export interface UniqueFieldConstraint extends BaseNode {
  kind: 'UniqueFieldConstraint';
  name?: Identifier;
  field: Identifier;
  doc?: string;
}

/** `[CONSTRAINT name] CHECK (expr)` at table level — parsed, not enforced. */
export interface CheckConstraint extends BaseNode {
  kind: 'CheckConstraint';
  name?: Identifier;
  expression: CheckExpression;
  doc?: string;
}

export type TableItem =
  FieldDeclaration | NestedTable | FieldSet | UniqueConstraint | UniqueFieldConstraint | CheckConstraint;

/** `[ABSTRACT] TABLE Name [INHERITS Q] (items) [WITH …]` */
export interface TableStatement extends BaseNode {
  kind: 'TableStatement';
  abstract: boolean;
  name: Identifier;
  inherits?: QualifiedName;
  items: TableItem[];
  with: WithItem[];
  doc?: string;
}

/**
 * `TYPE Name (items)`. Items share the table item grammar; the analyser rejects nested
 * tables and constraints in types ("nested tables not supported in types").
 */
export interface TypeStatement extends BaseNode {
  kind: 'TypeStatement';
  name: Identifier;
  items: TableItem[];
  doc?: string;
}

/** View field: `Name type [NOT NULL]` (type may be `ref(…)` or, in sys, `record`). */
export interface ViewField extends BaseNode {
  kind: 'ViewField';
  name: Identifier;
  type: DataType;
  notNull: boolean;
  doc?: string;
}

/**
 * `PRIMARY KEY ((p1, p2), c1, c2)`. `partitionKey` is undefined when the inner parentheses are
 * absent (`PRIMARY KEY (c1)`) and `[]` for `PRIMARY KEY ((), c1)`.
 */
export interface PrimaryKey extends BaseNode {
  kind: 'PrimaryKey';
  partitionKey?: Identifier[];
  clusteringColumns: Identifier[];
  doc?: string;
}

export type ViewItem = ViewField | PrimaryKey;

/** `VIEW Name (items) AS RESULT OF Q [WITH …]` */
export interface ViewStatement extends BaseNode {
  kind: 'ViewStatement';
  name: Identifier;
  items: ViewItem[];
  resultOf: QualifiedName;
  with: WithItem[];
  doc?: string;
}

// ---------------------------------------------------------------------------------------------
// Extensions

export interface AnyType extends BaseNode {
  kind: 'AnyType';
}

export interface VoidType extends BaseNode {
  kind: 'VoidType';
}

/** A command/query parameter or result: `any`, `void` or a TYPE/TABLE name. */
export type ParamType = AnyType | VoidType | QualifiedName;

/** `COMMAND Name [(param, UNLOGGED param)] [STATE(…)] [INTENTS(…)] [RETURNS p] [WITH …]` */
export interface CommandStatement extends BaseNode {
  kind: 'CommandStatement';
  name: Identifier;
  param?: ParamType;
  unloggedParam?: ParamType;
  state: StorageReference[];
  intents: StorageReference[];
  returns?: ParamType;
  with: WithItem[];
  doc?: string;
}

/** `QUERY Name [(param)] [STATE(…)] [RETURNS p] [WITH …]` — a missing RETURNS is a semantic error. */
export interface QueryStatement extends BaseNode {
  kind: 'QueryStatement';
  name: Identifier;
  param?: ParamType;
  state: StorageReference[];
  returns?: ParamType;
  with: WithItem[];
  doc?: string;
}

export type ProjectorOperation = 'INSERT' | 'UPDATE' | 'ACTIVATE' | 'DEACTIVATE';

/** `AFTER EXECUTE [WITH PARAM] ON target` */
export interface ExecuteTrigger extends BaseNode {
  kind: 'ExecuteTrigger';
  withParam: boolean;
  /** `ON X` gives one target, `ON (X, Y)` several. */
  targets: QualifiedName[];
}

/** `AFTER INSERT OR UPDATE ON target` */
export interface OperationTrigger extends BaseNode {
  kind: 'OperationTrigger';
  operations: ProjectorOperation[];
  targets: QualifiedName[];
}

/** `CRON 'expr'` — deprecated; the analyser rejects it. */
export interface CronTrigger extends BaseNode {
  kind: 'CronTrigger';
  schedule: StringLiteral;
}

export type ProjectorTrigger = ExecuteTrigger | OperationTrigger | CronTrigger;

/** `[SYNC] PROJECTOR Name trigger (OR trigger)* [STATE(…)] [INTENTS(…)] [INCLUDING ERRORS]` */
export interface ProjectorStatement extends BaseNode {
  kind: 'ProjectorStatement';
  sync: boolean;
  name: Identifier;
  triggers: ProjectorTrigger[];
  state: StorageReference[];
  intents: StorageReference[];
  includingErrors: boolean;
  doc?: string;
}

/** `JOB Name ['cron'] [STATE(…)] [INTENTS(…)]` — a missing schedule is a semantic error. */
export interface JobStatement extends BaseNode {
  kind: 'JobStatement';
  name: Identifier;
  schedule?: StringLiteral;
  state: StorageReference[];
  intents: StorageReference[];
  doc?: string;
}

/** A FUNCTION parameter: `[name] type`. */
export interface FunctionParam extends BaseNode {
  kind: 'FunctionParam';
  name?: Identifier;
  type: DataType;
}

/** `FUNCTION Name (params) RETURNS type` — parsed, not built into the AppDef. */
export interface FunctionStatement extends BaseNode {
  kind: 'FunctionStatement';
  name: Identifier;
  params: FunctionParam[];
  returns: DataType;
  doc?: string;
}

export type StorageOperationName = 'GET' | 'GETBATCH' | 'READ' | 'INSERT' | 'UPDATE';
export type ExtensionKindName = 'COMMANDS' | 'QUERIES' | 'PROJECTORS' | 'JOBS';

/** `GET SCOPE(COMMANDS, QUERIES)` */
export interface StorageOperation extends BaseNode {
  kind: 'StorageOperation';
  operation: StorageOperationName;
  scope: ExtensionKindName[];
}

/** `STORAGE Name (ops) [ENTITY RECORD] [ENTITY VIEW]` — sys only (semantic check). */
export interface StorageStatement extends BaseNode {
  kind: 'StorageStatement';
  name: Identifier;
  operations: StorageOperation[];
  entityRecord: boolean;
  entityView: boolean;
  doc?: string;
}

export type ExtensionStatement =
  CommandStatement | QueryStatement | ProjectorStatement | JobStatement | FunctionStatement | StorageStatement;

/**
 * `EXTENSION ENGINE WASM|BUILTIN (…)`. The parser enforces the placement rule: at root level
 * only FUNCTION and STORAGE; inside a workspace COMMAND, QUERY, PROJECTOR, JOB and FUNCTION.
 */
export interface ExtensionEngineStatement extends BaseNode {
  kind: 'ExtensionEngineStatement';
  engine: 'WASM' | 'BUILTIN';
  statements: ExtensionStatement[];
  doc?: string;
}

// ---------------------------------------------------------------------------------------------
// RATE, LIMIT

export type RateUnit = 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY' | 'YEAR';

/**
 * `RATE Name count PER [n] unit [PER APP PARTITION | PER WORKSPACE] [PER SUBJECT | PER IP]`.
 * `count` is an integer or the name of a DECLARE variable.
 */
export interface RateStatement extends BaseNode {
  kind: 'RateStatement';
  name: Identifier;
  count: IntLiteral | QualifiedName;
  /** The `n` of `PER n MINUTES`; undefined when omitted (= 1). */
  period?: IntLiteral;
  unit: RateUnit;
  objectScope?: 'APP PARTITION' | 'WORKSPACE';
  subjectScope?: 'SUBJECT' | 'IP';
  doc?: string;
}

export type LimitOperation = 'SELECT' | 'EXECUTE' | 'ACTIVATE' | 'DEACTIVATE' | 'INSERT' | 'UPDATE';
export type LimitObjectKind = 'COMMAND' | 'QUERY' | 'TABLE' | 'VIEW';

/** `ON COMMAND X` / `ON QUERY X` / `ON TABLE X` / `ON VIEW X` */
export interface LimitSingleTarget extends BaseNode {
  kind: 'LimitSingleTarget';
  objectKind: LimitObjectKind;
  name: QualifiedName;
}

/** `ON ALL COMMANDS [WITH TAG T]` (kind normalised to singular) */
export interface LimitAllTarget extends BaseNode {
  kind: 'LimitAllTarget';
  objectKind: LimitObjectKind;
  tag?: QualifiedName;
}

/** `ON EACH COMMAND [WITH TAG T]` */
export interface LimitEachTarget extends BaseNode {
  kind: 'LimitEachTarget';
  objectKind: LimitObjectKind;
  tag?: QualifiedName;
}

export type LimitTarget = LimitSingleTarget | LimitAllTarget | LimitEachTarget;

/** `LIMIT Name [op (, op)*] ON … WITH RATE Q` */
export interface LimitStatement extends BaseNode {
  kind: 'LimitStatement';
  name: Identifier;
  operations: LimitOperation[];
  target: LimitTarget;
  rate: QualifiedName;
  doc?: string;
}

// ---------------------------------------------------------------------------------------------
// ROLE, GRANT, REVOKE

/** `[PUBLISHED] ROLE Name` */
export interface RoleStatement extends BaseNode {
  kind: 'RoleStatement';
  published: boolean;
  name: Identifier;
  doc?: string;
}

export type PrivilegeOperation = 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'ACTIVATE' | 'DEACTIVATE' | 'EXECUTE';

/** `SELECT`, `SELECT(a, sys.ID)`, `ALL`, `EXECUTE`, … */
export interface Privilege extends BaseNode {
  kind: 'Privilege';
  operation: PrivilegeOperation;
  /** Column list; undefined when absent. Names may be qualified (`sys.ID`). */
  columns?: QualifiedName[];
}

export type GrantObjectKind = 'TABLE' | 'VIEW' | 'COMMAND' | 'QUERY';

/** `ON TABLE X`, `ON VIEW X`, `ON COMMAND X`, `ON QUERY X` */
export interface GrantSingleObject extends BaseNode {
  kind: 'GrantSingleObject';
  objectKind: GrantObjectKind;
  name: QualifiedName;
}

/** `ON ALL TABLES [WITH TAG T]` etc. (kind normalised to singular) */
export interface GrantAllObjects extends BaseNode {
  kind: 'GrantAllObjects';
  objectKind: GrantObjectKind;
  tag?: QualifiedName;
}

export type GrantObject = GrantSingleObject | GrantAllObjects;

/**
 * What is granted/revoked: privileges on an object, or a role (role inheritance,
 * `GRANT RoleA TO RoleB`). The parser checks that operations fit the object kind
 * (tables: SELECT/INSERT/UPDATE/ACTIVATE/DEACTIVATE/ALL; views: SELECT;
 * commands/queries: EXECUTE) and that column lists appear only on `ON TABLE`/`ON VIEW`.
 */
export interface PrivilegeGrant extends BaseNode {
  kind: 'PrivilegeGrant';
  privileges: Privilege[];
  object: GrantObject;
}

export interface RoleGrant extends BaseNode {
  kind: 'RoleGrant';
  role: QualifiedName;
}

export type GrantSubject = PrivilegeGrant | RoleGrant;

/** `GRANT what TO role` */
export interface GrantStatement extends BaseNode {
  kind: 'GrantStatement';
  what: GrantSubject;
  /** The role receiving the grant (after `TO`). */
  role: QualifiedName;
  doc?: string;
}

/** `REVOKE what FROM role` */
export interface RevokeStatement extends BaseNode {
  kind: 'RevokeStatement';
  what: GrantSubject;
  /** The role losing the privilege (after `FROM`). */
  role: QualifiedName;
  doc?: string;
}

// ---------------------------------------------------------------------------------------------
// Workspaces and root statements

/** `TAG Name [FEATURE 'text']` */
export interface TagStatement extends BaseNode {
  kind: 'TagStatement';
  name: Identifier;
  feature?: StringLiteral;
  doc?: string;
}

/** `USE WORKSPACE Name` inside a workspace. */
export interface UseWorkspaceStatement extends BaseNode {
  kind: 'UseWorkspaceStatement';
  workspace: Identifier;
  doc?: string;
}

/** `DESCRIPTOR [Name] (items)` — first item of a workspace body. */
export interface Descriptor extends BaseNode {
  kind: 'Descriptor';
  name?: Identifier;
  items: TableItem[];
  doc?: string;
}

export type WorkspaceItem =
  | RateStatement
  | ViewStatement
  | UseWorkspaceStatement
  | RoleStatement
  | TagStatement
  | ExtensionEngineStatement
  | WorkspaceStatement
  | TableStatement
  | TypeStatement
  | LimitStatement
  | GrantStatement
  | RevokeStatement;

/** `[ABSTRACT | ALTERABLE] [POOL OF] WORKSPACE Name [INHERITS Q, …] ( [DESCRIPTOR …;] items )` */
export interface WorkspaceStatement extends BaseNode {
  kind: 'WorkspaceStatement';
  abstract: boolean;
  alterable: boolean;
  /** `POOL OF` — parsed and ignored. */
  pool: boolean;
  name: Identifier;
  inherits: QualifiedName[];
  descriptor?: Descriptor;
  statements: WorkspaceItem[];
  doc?: string;
}

/** `ALTER WORKSPACE Q ( items )` */
export interface AlterWorkspaceStatement extends BaseNode {
  kind: 'AlterWorkspaceStatement';
  workspace: QualifiedName;
  statements: WorkspaceItem[];
  doc?: string;
}

/** `IMPORT SCHEMA 'path' [AS alias]` — only before all other root statements. */
export interface ImportStatement extends BaseNode {
  kind: 'ImportStatement';
  path: StringLiteral;
  alias?: Identifier;
  doc?: string;
}

/** `APPLICATION Name ( USE pkg; … )` */
export interface ApplicationStatement extends BaseNode {
  kind: 'ApplicationStatement';
  name: Identifier;
  uses: Identifier[];
  doc?: string;
}

/** `DECLARE Name int32 DEFAULT 60` */
export interface DeclareStatement extends BaseNode {
  kind: 'DeclareStatement';
  name: Identifier;
  /** `int` or `int32`. */
  type: PrimitiveType;
  defaultValue: IntLiteral;
  doc?: string;
}

/** `TEMPLATE Name OF WORKSPACE Q SOURCE Ident` — parsed, no effect. */
export interface TemplateStatement extends BaseNode {
  kind: 'TemplateStatement';
  name: Identifier;
  workspace: QualifiedName;
  source: Identifier;
  doc?: string;
}

export type RootStatement =
  | ImportStatement
  | ApplicationStatement
  | DeclareStatement
  | WorkspaceStatement
  | AlterWorkspaceStatement
  | RoleStatement
  | ExtensionEngineStatement
  | TemplateStatement;

/** One parsed `.vsql` file. An empty file (only whitespace/comments) is valid. */
export interface SchemaFile extends BaseNode {
  kind: 'SchemaFile';
  file: string;
  statements: RootStatement[];
}

/** Every statement kind that can carry `doc`. */
export type Statement = RootStatement | WorkspaceItem | ExtensionStatement;

/** Every node kind of the tree. */
export type AstNode =
  | SchemaFile
  | Statement
  | Descriptor
  | TableItem
  | ViewItem
  | DataType
  | Expression
  | CheckExpression
  | WithItem
  | StorageReference
  | StorageOperation
  | FunctionParam
  | ProjectorTrigger
  | LimitTarget
  | Privilege
  | GrantObject
  | GrantSubject
  | Identifier
  | QualifiedName
  | AnyType
  | VoidType;
