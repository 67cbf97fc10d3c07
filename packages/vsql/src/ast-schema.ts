/** AST: tables, types, views and extension statements (see ast.ts). */
import type {
  BaseNode,
  Identifier,
  QualifiedName,
  StringLiteral,
  DefaultValue,
  DataType,
  CheckExpression,
  WithItem,
  StorageReference,
} from './ast-base.js';

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
