/**
 * VSQL abstract syntax tree (this file: rates, limits, ACL, workspaces, root statements; names,
 * types and expressions are in ast-base.ts, tables/views/extensions in ast-schema.ts).
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

import type {
  BaseNode,
  Identifier,
  QualifiedName,
  StringLiteral,
  IntLiteral,
  PrimitiveType,
  DataType,
  CheckExpression,
  Expression,
  WithItem,
  StorageReference,
} from './ast-base.js';
import type {
  TableItem,
  TableStatement,
  TypeStatement,
  ViewItem,
  ViewStatement,
  AnyType,
  VoidType,
  ProjectorTrigger,
  FunctionParam,
  StorageOperation,
  ExtensionStatement,
  ExtensionEngineStatement,
} from './ast-schema.js';
export type * from './ast-base.js';
export type * from './ast-schema.js';
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
