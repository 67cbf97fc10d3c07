/**
 * AST → canonical VSQL text: upper-case keywords, four-space indentation, one statement per
 * line, `;` after every statement. `parse(print(ast))` gives the same tree as `ast` (ignoring
 * locations). `doc` comments are printed as `--` lines; other comments are lost. CHECK
 * expressions are printed from their raw source text.
 */
import type * as A from './ast.js';
import { RESERVED_WORDS } from './parser.js';

const INDENT = '    ';

/** Lower-case words the parser reads as types or parameter keywords in ambiguous positions. */
const SOFT_KEYWORDS: ReadonlySet<string> = new Set([
  'varchar',
  'text',
  'character',
  'bytes',
  'varbinary',
  'binary',
  'tinyint',
  'int8',
  'smallint',
  'int16',
  'int',
  'integer',
  'int32',
  'bigint',
  'int64',
  'real',
  'float',
  'float32',
  'double',
  'float64',
  'timestamp',
  'money',
  'currency',
  'boolean',
  'bool',
  'qname',
  'qualified',
  'blob',
  'record',
  'ref',
  'any',
  'void',
]);

const PLURAL: Readonly<Record<A.LimitObjectKind, string>> = {
  COMMAND: 'COMMANDS',
  QUERY: 'QUERIES',
  TABLE: 'TABLES',
  VIEW: 'VIEWS',
};

/** Prints a parsed file as canonical VSQL. */
export function print(ast: A.SchemaFile): string {
  if (ast.statements.length === 0) return '';
  return `${ast.statements.map((s) => printStatement(s, '')).join('\n\n')}\n`;
}

function printStatement(statement: A.RootStatement | A.WorkspaceItem | A.ExtensionStatement, indent: string): string {
  return `${printDoc(statement.doc, indent)}${indent}${printStatementBody(statement, indent)};`;
}

function printDoc(doc: string | undefined, indent: string): string {
  if (doc === undefined) return '';
  return doc
    .split('\n')
    .map((line) => `${indent}--${line === '' ? '' : ` ${line}`}\n`)
    .join('');
}

function printStatementBody(s: A.RootStatement | A.WorkspaceItem | A.ExtensionStatement, indent: string): string {
  switch (s.kind) {
    case 'ImportStatement':
      return `IMPORT SCHEMA ${str(s.path)}${s.alias ? ` AS ${id(s.alias)}` : ''}`;
    case 'ApplicationStatement':
      return `APPLICATION ${id(s.name)}(${s.uses.map((u) => `USE ${id(u)};`).join(' ')})`;
    case 'DeclareStatement':
      return `DECLARE ${id(s.name)} ${s.type.name} DEFAULT ${s.defaultValue.value}`;
    case 'TemplateStatement':
      return `TEMPLATE ${id(s.name)} OF WORKSPACE ${qname(s.workspace)} SOURCE ${id(s.source)}`;
    case 'WorkspaceStatement':
      return printWorkspace(s, indent);
    case 'AlterWorkspaceStatement':
      return `ALTER WORKSPACE ${qname(s.workspace)} ${printWorkspaceBody(undefined, s.statements, indent)}`;
    case 'RoleStatement':
      return `${s.published ? 'PUBLISHED ' : ''}ROLE ${id(s.name)}`;
    case 'TagStatement':
      return `TAG ${id(s.name)}${s.feature ? ` FEATURE ${str(s.feature)}` : ''}`;
    case 'UseWorkspaceStatement':
      return `USE WORKSPACE ${id(s.workspace)}`;
    case 'ExtensionEngineStatement':
      return printExtensionEngine(s, indent);
    case 'TableStatement':
      return `${s.abstract ? 'ABSTRACT ' : ''}${printTable(s, indent)}`;
    case 'TypeStatement':
      return `TYPE ${id(s.name)} ${printItems(s.items, indent)}`;
    case 'ViewStatement':
      return printView(s, indent);
    case 'RateStatement':
      return printRate(s);
    case 'LimitStatement':
      return printLimit(s);
    case 'GrantStatement':
      return `GRANT ${printGrantSubject(s.what)} TO ${qname(s.role)}`;
    case 'RevokeStatement':
      return `REVOKE ${printGrantSubject(s.what)} FROM ${qname(s.role)}`;
    case 'CommandStatement':
      return printCommand(s);
    case 'QueryStatement':
      return printQuery(s);
    case 'ProjectorStatement':
      return printProjector(s);
    case 'JobStatement':
      return join([
        `JOB ${id(s.name)}`,
        s.schedule && str(s.schedule),
        storages('STATE', s.state),
        storages('INTENTS', s.intents),
      ]);
    case 'FunctionStatement':
      return `FUNCTION ${id(s.name)}(${s.params.map(printFunctionParam).join(', ')}) RETURNS ${printDataType(s.returns)}`;
    case 'StorageStatement':
      return join([
        `STORAGE ${id(s.name)}(${s.operations.map((o) => `${o.operation} SCOPE(${o.scope.join(', ')})`).join(', ')})`,
        s.entityRecord && 'ENTITY RECORD',
        s.entityView && 'ENTITY VIEW',
      ]);
  }
}

function printWorkspace(s: A.WorkspaceStatement, indent: string): string {
  const head = join([
    s.abstract && 'ABSTRACT',
    s.alterable && 'ALTERABLE',
    s.pool && 'POOL OF',
    `WORKSPACE ${id(s.name)}`,
    s.inherits.length > 0 && `INHERITS ${s.inherits.map(qname).join(', ')}`,
  ]);
  return `${head} ${printWorkspaceBody(s.descriptor, s.statements, indent)}`;
}

function printWorkspaceBody(descriptor: A.Descriptor | undefined, items: A.WorkspaceItem[], indent: string): string {
  const inner = indent + INDENT;
  const lines: string[] = [];
  if (descriptor) {
    const name = descriptor.name ? ` ${id(descriptor.name)}` : '';
    lines.push(`${printDoc(descriptor.doc, inner)}${inner}DESCRIPTOR${name} ${printItems(descriptor.items, inner)};`);
  }
  for (const item of items) lines.push(printStatement(item, inner));
  if (lines.length === 0) return '()';
  return `(\n${lines.join('\n')}\n${indent})`;
}

function printExtensionEngine(s: A.ExtensionEngineStatement, indent: string): string {
  const inner = indent + INDENT;
  if (s.statements.length === 0) return `EXTENSION ENGINE ${s.engine} ()`;
  const lines = s.statements.map((item) => printStatement(item, inner));
  return `EXTENSION ENGINE ${s.engine} (\n${lines.join('\n')}\n${indent})`;
}

function printTable(s: A.TableStatement, indent: string): string {
  return join([
    `TABLE ${id(s.name)}`,
    s.inherits && `INHERITS ${qname(s.inherits)}`,
    printItems(s.items, indent),
    printWith(s.with),
  ]);
}

function printItems(items: A.TableItem[], indent: string): string {
  if (items.length === 0) return '()';
  const inner = indent + INDENT;
  const lines = items.map((item) => `${printDoc(item.doc, inner)}${inner}${printTableItem(item, inner)}`);
  return `(\n${lines.join(',\n')}\n${indent})`;
}

function printTableItem(item: A.TableItem, indent: string): string {
  switch (item.kind) {
    case 'FieldDeclaration':
      return join([
        `${id(item.name)} ${printDataType(item.type)}`,
        item.notNull && 'NOT NULL',
        item.verifiable && 'VERIFIABLE',
        item.defaultValue && `DEFAULT ${printDefault(item.defaultValue)}`,
        item.pattern && `CHECK ${str(item.pattern)}`,
        item.checkExpression && `CHECK ${printCheck(item.checkExpression)}`,
      ]);
    case 'NestedTable':
      return `${id(item.name)} ${printTable(item.table, indent)}`;
    case 'FieldSet':
      return qname(item.type);
    case 'UniqueConstraint':
      return `${constraintName(item.name)}UNIQUE (${item.fields.map(id).join(', ')})`;
    case 'UniqueFieldConstraint':
      return `${constraintName(item.name)}UNIQUEFIELD ${id(item.field)}`;
    case 'CheckConstraint':
      return `${constraintName(item.name)}CHECK ${printCheck(item.expression)}`;
  }
}

function constraintName(name: A.Identifier | undefined): string {
  return name ? `CONSTRAINT ${id(name)} ` : '';
}

function printDefault(value: A.DefaultValue): string {
  return value.kind === 'StringLiteral' ? str(value) : String(value.value);
}

/** Raw text is kept; a trailing `--` comment inside it would swallow the `)`, hence the newline. */
function printCheck(check: A.CheckExpression): string {
  return check.text.includes('--') ? `(${check.text}\n)` : `(${check.text})`;
}

function printDataType(type: A.DataType): string {
  switch (type.kind) {
    case 'PrimitiveType':
      return type.length === undefined ? type.name : `${type.name}(${type.length})`;
    case 'RefType':
      return type.targets.length === 0 ? 'ref' : `ref(${type.targets.map(qname).join(', ')})`;
    case 'TypeReference':
      return qname(type.name);
  }
}

function printView(s: A.ViewStatement, indent: string): string {
  const inner = indent + INDENT;
  const lines = s.items.map((item) => `${printDoc(item.doc, inner)}${inner}${printViewItem(item)}`);
  const body = lines.length === 0 ? '()' : `(\n${lines.join(',\n')}\n${indent})`;
  return join([`VIEW ${id(s.name)} ${body} AS RESULT OF ${qname(s.resultOf)}`, printWith(s.with)]);
}

function printViewItem(item: A.ViewItem): string {
  if (item.kind === 'ViewField') {
    return join([`${id(item.name)} ${printDataType(item.type)}`, item.notNull && 'NOT NULL']);
  }
  const parts: string[] = [];
  if (item.partitionKey) parts.push(`(${item.partitionKey.map(id).join(', ')})`);
  parts.push(...item.clusteringColumns.map(id));
  return `PRIMARY KEY (${parts.join(', ')})`;
}

function printParam(p: A.ParamType): string {
  if (p.kind === 'AnyType') return 'any';
  if (p.kind === 'VoidType') return 'void';
  return qname(p);
}

function printCommand(s: A.CommandStatement): string {
  const params = [s.param && printParam(s.param), s.unloggedParam && `UNLOGGED ${printParam(s.unloggedParam)}`];
  const list = params.filter((p): p is string => typeof p === 'string');
  return join([
    `COMMAND ${id(s.name)}${list.length > 0 ? `(${list.join(', ')})` : ''}`,
    storages('STATE', s.state),
    storages('INTENTS', s.intents),
    s.returns && `RETURNS ${printParam(s.returns)}`,
    printWith(s.with),
  ]);
}

function printQuery(s: A.QueryStatement): string {
  return join([
    `QUERY ${id(s.name)}${s.param ? `(${printParam(s.param)})` : ''}`,
    storages('STATE', s.state),
    s.returns && `RETURNS ${printParam(s.returns)}`,
    printWith(s.with),
  ]);
}

function printProjector(s: A.ProjectorStatement): string {
  return join([
    s.sync && 'SYNC',
    `PROJECTOR ${id(s.name)}`,
    s.triggers.map(printTrigger).join(' OR '),
    storages('STATE', s.state),
    storages('INTENTS', s.intents),
    s.includingErrors && 'INCLUDING ERRORS',
  ]);
}

function printTrigger(t: A.ProjectorTrigger): string {
  switch (t.kind) {
    case 'CronTrigger':
      return `CRON ${str(t.schedule)}`;
    case 'ExecuteTrigger':
      return `AFTER EXECUTE${t.withParam ? ' WITH PARAM' : ''} ON ${targets(t.targets)}`;
    case 'OperationTrigger':
      return `AFTER ${t.operations.join(' OR ')} ON ${targets(t.targets)}`;
  }
}

function targets(names: A.QualifiedName[]): string {
  return names.length === 1 && names[0] ? qname(names[0]) : `(${names.map(qname).join(', ')})`;
}

function printFunctionParam(p: A.FunctionParam): string {
  return p.name ? `${id(p.name)} ${printDataType(p.type)}` : printDataType(p.type);
}

function printRate(s: A.RateStatement): string {
  const count = s.count.kind === 'IntLiteral' ? String(s.count.value) : qname(s.count);
  const plural = s.period !== undefined && s.period.value !== 1;
  return join([
    `RATE ${id(s.name)} ${count} PER`,
    s.period && String(s.period.value),
    plural ? `${s.unit}S` : s.unit,
    s.objectScope && `PER ${s.objectScope}`,
    s.subjectScope && `PER ${s.subjectScope}`,
  ]);
}

function printLimit(s: A.LimitStatement): string {
  const t = s.target;
  const target =
    t.kind === 'LimitSingleTarget'
      ? `${t.objectKind} ${qname(t.name)}`
      : join([
          t.kind === 'LimitAllTarget' ? `ALL ${PLURAL[t.objectKind]}` : `EACH ${t.objectKind}`,
          t.tag && `WITH TAG ${qname(t.tag)}`,
        ]);
  return join([`LIMIT ${id(s.name)}`, s.operations.join(', '), `ON ${target}`, `WITH RATE ${qname(s.rate)}`]);
}

function printGrantSubject(what: A.GrantSubject): string {
  if (what.kind === 'RoleGrant') return qname(what.role);
  const privileges = what.privileges
    .map((p) => (p.columns ? `${p.operation}(${p.columns.map(qname).join(', ')})` : p.operation))
    .join(', ');
  const o = what.object;
  const object =
    o.kind === 'GrantSingleObject'
      ? `${o.objectKind} ${qname(o.name)}`
      : join([`ALL ${PLURAL[o.objectKind]}`, o.tag && `WITH TAG ${qname(o.tag)}`]);
  return `${privileges} ON ${object}`;
}

function printWith(items: A.WithItem[]): string | undefined {
  if (items.length === 0) return undefined;
  const parts = items.map((item) =>
    item.kind === 'WithComment' ? `Comment=${str(item.value)}` : `Tags=(${item.tags.map(qname).join(', ')})`,
  );
  return `WITH ${parts.join(', ')}`;
}

function storages(keyword: 'STATE' | 'INTENTS', items: A.StorageReference[]): string | undefined {
  if (items.length === 0) return undefined;
  const list = items.map((s) =>
    s.entities.length === 0 ? qname(s.storage) : `${qname(s.storage)}(${s.entities.map(qname).join(', ')})`,
  );
  return `${keyword}(${list.join(', ')})`;
}

function join(parts: (string | false | undefined)[]): string {
  return parts.filter((p): p is string => typeof p === 'string' && p !== '').join(' ');
}

/**
 * Words that, in any case, could be taken for a keyword in some identifier position
 * (`constraint c check (…)` as a field of type `c`, a type named `table` before `NOT NULL`).
 */
const CASE_INSENSITIVE_KEYWORDS: ReadonlySet<string> = new Set(['CONSTRAINT', 'UNIQUEFIELD', 'TABLE']);

/** Identifiers that the parser would read as keywords are quoted. */
function id(identifier: A.Identifier): string {
  const v = identifier.value;
  const quote = RESERVED_WORDS.has(v) || SOFT_KEYWORDS.has(v) || CASE_INSENSITIVE_KEYWORDS.has(v.toUpperCase());
  return quote ? `"${v}"` : v;
}

function qname(name: A.QualifiedName): string {
  return name.pkg ? `${id(name.pkg)}.${id(name.name)}` : id(name.name);
}

/** A backslash is doubled where the lexer would otherwise read it as an escape. */
function str(literal: A.StringLiteral): string {
  return `'${literal.value.replace(/\\(?=[\\']|$)/g, '\\\\').replace(/'/g, "''")}'`;
}
