/** AST: names, literals, data types, CHECK expressions, WITH clauses (see ast.ts). */
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
