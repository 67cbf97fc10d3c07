/**
 * VSQL parser: tokens → AST (`ast.ts`). Hand-written recursive descent, one method per
 * grammar production; every node carries its source span.
 *
 * Error contract: `parse` throws only `VsqlError` (kind `syntax`), positioned at the offending
 * token, with messages of the form `Expected <what>, found <token>` where <what> is `")"`,
 * `keyword "ON"`, `keyword "TO" or "FROM"`, `identifier`, `data type`, … and <token> is
 * `"TABLE"`, `")"`, `string 'x'` or `<EOF>`. Every loop consumes a token or exits, and nesting
 * (workspaces, nested tables, expressions) is capped, so it never hangs or overflows the stack.
 *
 * Keywords and case: keywords match in any letter case. Where a word could be a keyword or an
 * identifier (start of a table/view item, GRANT's privilege-or-role, `UNLOGGED`, a nested
 * `TABLE`, `NOT` in expressions) the upper-case spelling is always the keyword, and another
 * spelling is the keyword only when the next tokens can't follow an identifier (`unique (a)`
 * is a constraint, `unique int32` a field). Upper-case keywords are reserved: a bare `TABLE` is
 * never an identifier (write `"TABLE"`). Data types and `any`/`void` are lower-case only.
 */
import type * as A from './ast.js';
import { VsqlError, type SourceSpan } from './diagnostics.js';
import { tokenize } from './lexer.js';
import { describeToken, type Punctuator, type Token } from './token.js';

/** Maximum nesting of workspaces, nested tables and expression levels. */
export const MAX_NESTING_DEPTH = 64;

/** Parses one VSQL file. Throws `VsqlError` on the first syntax error. */
export function parse(source: string, file = '<input>'): A.SchemaFile {
  return new Parser(source, file).parseSchemaFile();
}

/** Upper-case words that are keywords somewhere in the grammar; they cannot be bare identifiers. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set(
  `
  ABSTRACT ACTIVATE AFTER ALL ALTER ALTERABLE AND APP APPLICATION AS BETWEEN BUILTIN CHECK
  COMMAND COMMANDS CONSTRAINT CRON DAY DAYS DEACTIVATE DECLARE DEFAULT DESCRIPTOR EACH
  ENGINE ENTITY ERRORS EXECUTE EXTENSION FALSE FEATURE FROM FUNCTION GET GETBATCH GRANT HOUR
  HOURS IMPORT IN INCLUDING INHERITS INSERT INTENTS IP IS JOB JOBS KEY LIMIT MINUTE MINUTES
  NOT NULL OF ON OR PARAM PARTITION PER POOL PRIMARY PROJECTOR PROJECTORS PUBLISHED QUERIES
  QUERY RATE READ RECORD RESULT RETURNS REVOKE ROLE SCHEMA SCOPE SECOND SECONDS SELECT
  SOURCE STATE STORAGE SUBJECT SYNC TABLE TABLES TAG TEMPLATE TO TRUE TYPE UNIQUE
  UNIQUEFIELD UNLOGGED UPDATE USE VERIFIABLE VIEW VIEWS WASM WITH WORKSPACE YEAR YEARS
  `
    .trim()
    .split(/\s+/),
);

interface PrimitiveSpec {
  /** Words after the first one (`precision` of `double precision`). */
  rest: string[];
  name: A.PrimitiveTypeName;
  dataKind: A.DataKind;
  hasLength: boolean;
}

const PRIMITIVES: ReadonlyMap<string, PrimitiveSpec[]> = buildPrimitiveTable();

function buildPrimitiveTable(): Map<string, PrimitiveSpec[]> {
  const specs: [A.PrimitiveTypeName, A.DataKind, boolean][] = [
    ['varchar', 'string', true],
    ['text', 'string', true],
    ['character varying', 'string', true],
    ['bytes', 'bytes', true],
    ['varbinary', 'bytes', true],
    ['binary varying', 'bytes', true],
    ['tinyint', 'int8', false],
    ['int8', 'int8', false],
    ['smallint', 'int16', false],
    ['int16', 'int16', false],
    ['int', 'int32', false],
    ['integer', 'int32', false],
    ['int32', 'int32', false],
    ['bigint', 'int64', false],
    ['int64', 'int64', false],
    ['real', 'float32', false],
    ['float', 'float32', false],
    ['float32', 'float32', false],
    ['double precision', 'float64', false],
    ['float64', 'float64', false],
    ['timestamp', 'int64', false],
    ['money', 'int64', false],
    ['currency', 'int64', false],
    ['boolean', 'bool', false],
    ['bool', 'bool', false],
    ['qname', 'qname', false],
    ['qualified name', 'qname', false],
    ['blob', 'blob', false],
    ['binary large object', 'blob', false],
    ['record', 'record', false],
  ];
  const table = new Map<string, PrimitiveSpec[]>();
  for (const [name, dataKind, hasLength] of specs) {
    const [first = '', ...rest] = name.split(' ');
    const list = table.get(first) ?? [];
    list.push({ rest, name, dataKind, hasLength });
    // Longest spelling first, so `binary large object` wins over a shorter prefix.
    list.sort((a, b) => b.rest.length - a.rest.length);
    table.set(first, list);
  }
  return table;
}

const PRIVILEGES: readonly A.PrivilegeOperation[] = [
  'ALL',
  'SELECT',
  'INSERT',
  'UPDATE',
  'ACTIVATE',
  'DEACTIVATE',
  'EXECUTE',
];
const TABLE_PRIVILEGES: readonly A.PrivilegeOperation[] = [
  'ALL',
  'SELECT',
  'INSERT',
  'UPDATE',
  'ACTIVATE',
  'DEACTIVATE',
];
const PROJECTOR_OPERATIONS: readonly A.ProjectorOperation[] = ['INSERT', 'UPDATE', 'ACTIVATE', 'DEACTIVATE'];
const LIMIT_OPERATIONS: readonly A.LimitOperation[] = [
  'SELECT',
  'EXECUTE',
  'ACTIVATE',
  'DEACTIVATE',
  'INSERT',
  'UPDATE',
];
const STORAGE_OPERATIONS: readonly A.StorageOperationName[] = ['GET', 'GETBATCH', 'READ', 'INSERT', 'UPDATE'];
const EXTENSION_KINDS: readonly A.ExtensionKindName[] = ['COMMANDS', 'QUERIES', 'PROJECTORS', 'JOBS'];
const OBJECT_KINDS: readonly A.LimitObjectKind[] = ['COMMAND', 'QUERY', 'TABLE', 'VIEW'];
type PluralObjectKind = 'COMMANDS' | 'QUERIES' | 'TABLES' | 'VIEWS';
const PLURAL_OBJECT_KINDS: readonly PluralObjectKind[] = ['COMMANDS', 'QUERIES', 'TABLES', 'VIEWS'];
const OBJECT_KINDS_PLURAL: Readonly<Record<PluralObjectKind, A.LimitObjectKind>> = {
  COMMANDS: 'COMMAND',
  QUERIES: 'QUERY',
  TABLES: 'TABLE',
  VIEWS: 'VIEW',
};
const PLURAL_OF: Readonly<Record<A.LimitObjectKind, PluralObjectKind>> = {
  COMMAND: 'COMMANDS',
  QUERY: 'QUERIES',
  TABLE: 'TABLES',
  VIEW: 'VIEWS',
};
const RATE_UNITS: Readonly<Record<string, A.RateUnit>> = {
  SECOND: 'SECOND',
  SECONDS: 'SECOND',
  MINUTE: 'MINUTE',
  MINUTES: 'MINUTE',
  HOUR: 'HOUR',
  HOURS: 'HOUR',
  DAY: 'DAY',
  DAYS: 'DAY',
  YEAR: 'YEAR',
  YEARS: 'YEAR',
};
const COMPARISON_OPERATORS: readonly A.BinaryOperator[] = ['=', '<>', '!=', '<', '<=', '>', '>='];

/** `"A"`, `"A" or "B"`, `"A", "B" or "C"` */
function quoteList(words: readonly string[]): string {
  const quoted = words.map((w) => `"${w}"`);
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1] ?? ''}`;
}

type Fields<T> = Omit<T, 'loc'>;

export class Parser {
  private readonly tokens: Token[];
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly source: string,
    private readonly file: string,
  ) {
    this.tokens = tokenize(source, file);
  }

  // ---------------------------------------------------------------------------------------------
  // Token helpers

  private peek(ahead = 0): Token {
    const index = Math.min(this.pos + ahead, this.tokens.length - 1);
    // The token list always ends with EOF, so the index is valid.
    return this.tokens[index] as Token;
  }

  private advance(): Token {
    const token = this.peek();
    if (token.kind !== 'EOF') this.pos++;
    return token;
  }

  private get previous(): Token {
    return this.tokens[Math.max(0, this.pos - 1)] as Token;
  }

  private isPunct(p: Punctuator, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'Punct' && t.value === p;
  }

  private skipPunct(p: Punctuator): boolean {
    if (!this.isPunct(p)) return false;
    this.pos++;
    return true;
  }

  private expectPunct(p: Punctuator): Token {
    if (!this.isPunct(p)) throw this.unexpected(`"${p}"`);
    return this.advance();
  }

  /** Keyword in a position where no identifier can appear: any letter case. */
  private isKeyword(keyword: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'Name' && t.value.toUpperCase() === keyword;
  }

  /** Keyword in a position where an identifier could appear too: canonical spelling only. */
  private isExactKeyword(keyword: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'Name' && t.value === keyword;
  }

  /**
   * Keyword where an identifier could appear too: the upper-case (reserved) spelling always is
   * the keyword; another spelling only when `confirm` sees tokens that can't follow the identifier.
   */
  private isKeywordConfirmed(keyword: string, confirm: () => boolean): boolean {
    return this.isExactKeyword(keyword) || (this.isKeyword(keyword) && confirm());
  }

  private skipKeyword(keyword: string): boolean {
    if (!this.isKeyword(keyword)) return false;
    this.pos++;
    return true;
  }

  private expectKeyword(keyword: string): Token {
    if (!this.isKeyword(keyword)) throw this.unexpected(`keyword "${keyword}"`);
    return this.advance();
  }

  /** Consumes one of `keywords` (any case) and returns it upper-cased. */
  private expectOneOf<K extends string>(keywords: readonly K[]): K {
    const t = this.peek();
    const upper = t.kind === 'Name' ? t.value.toUpperCase() : '';
    const found = keywords.find((k) => k === upper);
    if (found === undefined) throw this.unexpected(`keyword ${quoteList(keywords)}`);
    this.pos++;
    return found;
  }

  private unexpected(expected: string, token: Token = this.peek()): VsqlError {
    return this.errorAt(`Expected ${expected}, found ${describeToken(token)}`, token);
  }

  private errorAt(message: string, at: Token | SourceSpan): VsqlError {
    const start = at.start;
    return new VsqlError(message, {
      file: this.file,
      line: start.line,
      column: start.column,
      kind: 'syntax',
      source: this.source,
    });
  }

  /** Builds a node spanning from `start` to the last consumed token. */
  private node<T extends A.AstNode>(start: Token, fields: Fields<T>): T {
    // Nothing consumed yet (never the case for real nodes) would give an end before the start.
    const end = this.previous.end.offset >= start.start.offset ? this.previous.end : start.end;
    return { ...fields, loc: { start: start.start, end } } as T;
  }

  /** Attaches the comment block above `start` as `doc`. */
  private withDoc<T extends { doc?: string }>(node: T, start: Token): T {
    if (start.doc !== undefined) node.doc = start.doc;
    return node;
  }

  private enter(): void {
    this.depth++;
    if (this.depth > MAX_NESTING_DEPTH) {
      throw this.errorAt(`Nesting too deep (more than ${MAX_NESTING_DEPTH} levels)`, this.peek());
    }
  }

  private leave(): void {
    this.depth--;
  }

  // ---------------------------------------------------------------------------------------------
  // Names and literals

  private isIdentifierToken(ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'QuotedName' || (t.kind === 'Name' && !RESERVED_WORDS.has(t.value));
  }

  parseIdentifier(): A.Identifier {
    if (!this.isIdentifierToken()) throw this.unexpected('identifier');
    const t = this.advance();
    return this.node<A.Identifier>(t, { kind: 'Identifier', value: t.value });
  }

  /** `[pkg.]Name` */
  parseQualifiedName(): A.QualifiedName {
    const start = this.peek();
    const first = this.parseIdentifier();
    if (this.isPunct('.')) {
      this.advance();
      const name = this.parseIdentifier();
      return this.node<A.QualifiedName>(start, { kind: 'QualifiedName', pkg: first, name });
    }
    return this.node<A.QualifiedName>(start, { kind: 'QualifiedName', name: first });
  }

  /** `Q (, Q)*` */
  private parseQualifiedNameList(): A.QualifiedName[] {
    const list = [this.parseQualifiedName()];
    while (this.skipPunct(',')) list.push(this.parseQualifiedName());
    return list;
  }

  /** `'(' Q (, Q)* ')'` */
  private parseParenthesizedNames(): A.QualifiedName[] {
    this.expectPunct('(');
    const list = this.parseQualifiedNameList();
    this.expectPunct(')');
    return list;
  }

  private parseIdentifierList(): A.Identifier[] {
    const list = [this.parseIdentifier()];
    while (this.skipPunct(',')) list.push(this.parseIdentifier());
    return list;
  }

  parseStringLiteral(): A.StringLiteral {
    const t = this.peek();
    if (t.kind !== 'String') throw this.unexpected('string');
    this.advance();
    return this.node<A.StringLiteral>(t, { kind: 'StringLiteral', value: t.value });
  }

  private isIntStart(): boolean {
    const t = this.peek();
    if (t.kind === 'Int') return true;
    return (this.isPunct('-') || this.isPunct('+')) && this.peek(1).kind === 'Int';
  }

  /** `[-|+] digits` */
  parseIntLiteral(): A.IntLiteral {
    const start = this.peek();
    let sign = 1;
    if (this.isPunct('-') || this.isPunct('+')) {
      if (this.peek(1).kind !== 'Int') throw this.unexpected('integer', this.peek(1));
      sign = this.advance().value === '-' ? -1 : 1;
    }
    const t = this.peek();
    if (t.kind !== 'Int') throw this.unexpected('integer');
    this.advance();
    const value = Number(t.value);
    if (!Number.isSafeInteger(value)) throw this.errorAt(`Integer out of range: ${t.value}`, t);
    return this.node<A.IntLiteral>(start, { kind: 'IntLiteral', value: sign * value || 0 });
  }

  // ---------------------------------------------------------------------------------------------
  // File and root statements

  parseSchemaFile(): A.SchemaFile {
    const start = this.peek();
    const statements: A.RootStatement[] = [];
    let sawNonImport = false;
    while (this.peek().kind !== 'EOF') {
      if (this.isKeyword('IMPORT') && sawNonImport) {
        throw this.errorAt('IMPORT SCHEMA must come before all other statements', this.peek());
      }
      const statement = this.parseRootStatement();
      if (statement.kind !== 'ImportStatement') sawNonImport = true;
      statements.push(statement);
      if (!this.skipPunct(';') && this.peek().kind !== 'EOF') throw this.unexpected('";"');
    }
    const end = this.peek();
    const loc: SourceSpan = { start: start.start, end: end.end };
    return { kind: 'SchemaFile', file: this.file, statements, loc };
  }

  parseRootStatement(): A.RootStatement {
    const t = this.peek();
    const word = t.kind === 'Name' ? t.value.toUpperCase() : '';
    switch (word) {
      case 'IMPORT':
        return this.parseImportStatement();
      case 'APPLICATION':
        return this.parseApplicationStatement();
      case 'DECLARE':
        return this.parseDeclareStatement();
      case 'ABSTRACT':
      case 'ALTERABLE':
      case 'POOL':
      case 'WORKSPACE':
        return this.parseWorkspaceStatement();
      case 'ALTER':
        return this.parseAlterWorkspaceStatement();
      case 'ROLE':
      case 'PUBLISHED':
        return this.parseRoleStatement();
      case 'EXTENSION':
        return this.parseExtensionEngineStatement(true);
      case 'TEMPLATE':
        return this.parseTemplateStatement();
      default:
        throw this.unexpected('statement');
    }
  }

  /** `IMPORT SCHEMA 'path' [AS alias]` */
  parseImportStatement(): A.ImportStatement {
    const start = this.expectKeyword('IMPORT');
    this.expectKeyword('SCHEMA');
    const path = this.parseStringLiteral();
    const alias = this.skipKeyword('AS') ? this.parseIdentifier() : undefined;
    const node = this.node<A.ImportStatement>(start, { kind: 'ImportStatement', path, ...(alias && { alias }) });
    return this.withDoc(node, start);
  }

  /** `APPLICATION Name ( (USE Name ;)* )` — the last `;` is optional. */
  parseApplicationStatement(): A.ApplicationStatement {
    const start = this.expectKeyword('APPLICATION');
    const name = this.parseIdentifier();
    this.expectPunct('(');
    const uses: A.Identifier[] = [];
    while (!this.isPunct(')')) {
      if (!this.isKeyword('USE')) throw this.unexpected('keyword "USE" or ")"');
      this.advance();
      uses.push(this.parseIdentifier());
      if (!this.skipPunct(';') && !this.isPunct(')')) throw this.unexpected('";" or ")"');
    }
    this.expectPunct(')');
    return this.withDoc(this.node<A.ApplicationStatement>(start, { kind: 'ApplicationStatement', name, uses }), start);
  }

  /** `DECLARE Name (int|int32) DEFAULT Int` */
  parseDeclareStatement(): A.DeclareStatement {
    const start = this.expectKeyword('DECLARE');
    const name = this.parseIdentifier();
    const typeToken = this.peek();
    if (!(this.isExactKeyword('int') || this.isExactKeyword('int32')))
      throw this.unexpected('data type "int" or "int32"');
    this.advance();
    const type = this.node<A.PrimitiveType>(typeToken, {
      kind: 'PrimitiveType',
      name: typeToken.value as A.PrimitiveTypeName,
      dataKind: 'int32',
    });
    this.expectKeyword('DEFAULT');
    const defaultValue = this.parseIntLiteral();
    const node = this.node<A.DeclareStatement>(start, { kind: 'DeclareStatement', name, type, defaultValue });
    return this.withDoc(node, start);
  }

  /** `TEMPLATE Name OF WORKSPACE Q SOURCE Ident` */
  parseTemplateStatement(): A.TemplateStatement {
    const start = this.expectKeyword('TEMPLATE');
    const name = this.parseIdentifier();
    this.expectKeyword('OF');
    this.expectKeyword('WORKSPACE');
    const workspace = this.parseQualifiedName();
    this.expectKeyword('SOURCE');
    const source = this.parseIdentifier();
    const node = this.node<A.TemplateStatement>(start, { kind: 'TemplateStatement', name, workspace, source });
    return this.withDoc(node, start);
  }

  // ---------------------------------------------------------------------------------------------
  // Workspaces

  /** `[ABSTRACT | ALTERABLE] [POOL OF] WORKSPACE Name [INHERITS Q, …] ( [DESCRIPTOR …;] items )` */
  parseWorkspaceStatement(): A.WorkspaceStatement {
    const start = this.peek();
    const abstract = this.skipKeyword('ABSTRACT');
    const alterable = !abstract && this.skipKeyword('ALTERABLE');
    let pool = false;
    if (this.skipKeyword('POOL')) {
      this.expectKeyword('OF');
      pool = true;
    }
    this.expectKeyword('WORKSPACE');
    const name = this.parseIdentifier();
    const inherits = this.skipKeyword('INHERITS') ? this.parseQualifiedNameList() : [];
    this.enter();
    this.expectPunct('(');
    let descriptor: A.Descriptor | undefined;
    if (this.isKeyword('DESCRIPTOR')) {
      descriptor = this.parseDescriptor();
      if (!this.skipPunct(';') && !this.isPunct(')')) throw this.unexpected('";" or ")"');
    }
    const statements = this.parseWorkspaceItems();
    this.leave();
    const node = this.node<A.WorkspaceStatement>(start, {
      kind: 'WorkspaceStatement',
      abstract,
      alterable,
      pool,
      name,
      inherits,
      ...(descriptor && { descriptor }),
      statements,
    });
    return this.withDoc(node, start);
  }

  /** `ALTER WORKSPACE Q ( items )` */
  parseAlterWorkspaceStatement(): A.AlterWorkspaceStatement {
    const start = this.expectKeyword('ALTER');
    this.expectKeyword('WORKSPACE');
    const workspace = this.parseQualifiedName();
    this.enter();
    this.expectPunct('(');
    const statements = this.parseWorkspaceItems();
    this.leave();
    const node = this.node<A.AlterWorkspaceStatement>(start, {
      kind: 'AlterWorkspaceStatement',
      workspace,
      statements,
    });
    return this.withDoc(node, start);
  }

  /** `item (; item)* [;] )` — after the opening parenthesis. */
  private parseWorkspaceItems(): A.WorkspaceItem[] {
    const items: A.WorkspaceItem[] = [];
    while (!this.isPunct(')')) {
      items.push(this.parseWorkspaceItem());
      if (!this.skipPunct(';') && !this.isPunct(')')) throw this.unexpected('";" or ")"');
    }
    this.expectPunct(')');
    return items;
  }

  /** `DESCRIPTOR [Name] ( items )` */
  parseDescriptor(): A.Descriptor {
    const start = this.expectKeyword('DESCRIPTOR');
    const name = this.isPunct('(') ? undefined : this.parseIdentifier();
    const items = this.parseTableItems();
    return this.withDoc(this.node<A.Descriptor>(start, { kind: 'Descriptor', ...(name && { name }), items }), start);
  }

  parseWorkspaceItem(): A.WorkspaceItem {
    const t = this.peek();
    const word = t.kind === 'Name' ? t.value.toUpperCase() : '';
    switch (word) {
      case 'RATE':
        return this.parseRateStatement();
      case 'VIEW':
        return this.parseViewStatement();
      case 'USE':
        return this.parseUseWorkspaceStatement();
      case 'ROLE':
      case 'PUBLISHED':
        return this.parseRoleStatement();
      case 'TAG':
        return this.parseTagStatement();
      case 'EXTENSION':
        return this.parseExtensionEngineStatement(false);
      case 'ALTERABLE':
      case 'POOL':
      case 'WORKSPACE':
        return this.parseWorkspaceStatement();
      case 'ABSTRACT':
        return this.isKeyword('TABLE', 1) ? this.parseTableStatement() : this.parseWorkspaceStatement();
      case 'TABLE':
        return this.parseTableStatement();
      case 'TYPE':
        return this.parseTypeStatement();
      case 'LIMIT':
        return this.parseLimitStatement();
      case 'GRANT':
      case 'REVOKE':
        return this.parseGrantOrRevokeStatement();
      case 'DESCRIPTOR':
        throw this.errorAt('DESCRIPTOR must be the first item of a WORKSPACE', t);
      default:
        throw this.unexpected('workspace statement');
    }
  }

  /** `USE WORKSPACE Name` */
  parseUseWorkspaceStatement(): A.UseWorkspaceStatement {
    const start = this.expectKeyword('USE');
    this.expectKeyword('WORKSPACE');
    const workspace = this.parseIdentifier();
    return this.withDoc(this.node<A.UseWorkspaceStatement>(start, { kind: 'UseWorkspaceStatement', workspace }), start);
  }

  /** `[PUBLISHED] ROLE Name` */
  parseRoleStatement(): A.RoleStatement {
    const start = this.peek();
    const published = this.skipKeyword('PUBLISHED');
    this.expectKeyword('ROLE');
    const name = this.parseIdentifier();
    return this.withDoc(this.node<A.RoleStatement>(start, { kind: 'RoleStatement', published, name }), start);
  }

  /** `TAG Name [FEATURE 'text']` */
  parseTagStatement(): A.TagStatement {
    const start = this.expectKeyword('TAG');
    const name = this.parseIdentifier();
    const feature = this.skipKeyword('FEATURE') ? this.parseStringLiteral() : undefined;
    return this.withDoc(
      this.node<A.TagStatement>(start, { kind: 'TagStatement', name, ...(feature && { feature }) }),
      start,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Tables and types

  /** `[ABSTRACT] TABLE Name [INHERITS Q] ( items ) [WITH …]` */
  parseTableStatement(): A.TableStatement {
    const start = this.peek();
    const abstract = this.skipKeyword('ABSTRACT');
    this.expectKeyword('TABLE');
    return this.withDoc(this.parseTableRest(start, abstract), start);
  }

  /** Everything after the `TABLE` keyword; shared with nested tables. */
  private parseTableRest(start: Token, abstract: boolean): A.TableStatement {
    const name = this.parseIdentifier();
    const inherits = this.skipKeyword('INHERITS') ? this.parseQualifiedName() : undefined;
    const items = this.parseTableItems();
    const withItems = this.parseWithClause();
    return this.node<A.TableStatement>(start, {
      kind: 'TableStatement',
      abstract,
      name,
      ...(inherits && { inherits }),
      items,
      with: withItems,
    });
  }

  /** `TYPE Name ( items )` */
  parseTypeStatement(): A.TypeStatement {
    const start = this.expectKeyword('TYPE');
    const name = this.parseIdentifier();
    const items = this.parseTableItems();
    return this.withDoc(this.node<A.TypeStatement>(start, { kind: 'TypeStatement', name, items }), start);
  }

  /** `( [item (, item)*] )` */
  private parseTableItems(): A.TableItem[] {
    this.expectPunct('(');
    const items: A.TableItem[] = [];
    if (!this.isPunct(')')) {
      do items.push(this.parseTableItem());
      while (this.skipPunct(','));
    }
    if (!this.isPunct(')')) throw this.unexpected('"," or ")"');
    this.advance();
    return items;
  }

  parseTableItem(): A.TableItem {
    const start = this.peek();
    if (this.isConstraintStart()) return this.withDoc(this.parseConstraint(), start);
    if (!this.isIdentifierToken()) throw this.unexpected('field, constraint or nested table');
    if (this.isExactKeyword('TABLE', 1) || (this.isKeyword('TABLE', 1) && this.isIdentifierToken(2))) {
      return this.withDoc(this.parseNestedTable(), start);
    }
    // A bare name followed by `,` or `)` (or `.Name` then those) is a fieldset.
    const afterName = this.isPunct('.', 1) ? 3 : 1;
    if (this.isPunct(',', afterName) || this.isPunct(')', afterName)) {
      const type = this.parseQualifiedName();
      return this.withDoc(this.node<A.FieldSet>(start, { kind: 'FieldSet', type }), start);
    }
    return this.withDoc(this.parseFieldDeclaration(), start);
  }

  /**
   * A lower-case `unique`/`check`/`constraint`/`uniquefield` starts a constraint only when the
   * following tokens can't continue a field (`unique (a)` vs the field `unique int32`).
   */
  private isConstraintStart(): boolean {
    return (
      this.isKeywordConfirmed('CONSTRAINT', () =>
        ['UNIQUE', 'UNIQUEFIELD', 'CHECK'].some((k) => this.isIdentifierToken(1) && this.isKeyword(k, 2)),
      ) ||
      this.isKeywordConfirmed('UNIQUE', () => this.isPunct('(', 1)) ||
      this.isKeywordConfirmed('CHECK', () => this.isPunct('(', 1)) ||
      this.isKeywordConfirmed('UNIQUEFIELD', () => this.isIdentifierToken(1))
    );
  }

  /** `Name TABLE Sub [INHERITS Q] ( items ) [WITH …]` */
  parseNestedTable(): A.NestedTable {
    const start = this.peek();
    const name = this.parseIdentifier();
    const tableStart = this.expectKeyword('TABLE');
    this.enter();
    const table = this.parseTableRest(tableStart, false);
    this.leave();
    return this.node<A.NestedTable>(start, { kind: 'NestedTable', name, table });
  }

  /** `Name type [NOT NULL] [VERIFIABLE] [DEFAULT v] [CHECK 'regexp'] [CHECK (expr)]` (any order, each once) */
  parseFieldDeclaration(): A.FieldDeclaration {
    const start = this.peek();
    const name = this.parseIdentifier();
    const type = this.parseDataType();
    let notNull = false;
    let verifiable = false;
    let defaultValue: A.DefaultValue | undefined;
    let pattern: A.StringLiteral | undefined;
    let checkExpression: A.CheckExpression | undefined;
    for (;;) {
      const t = this.peek();
      if (this.isKeyword('NOT')) {
        if (notNull) throw this.errorAt('Duplicate NOT NULL', t);
        this.advance();
        this.expectKeyword('NULL');
        notNull = true;
      } else if (this.isKeyword('VERIFIABLE')) {
        if (verifiable) throw this.errorAt('Duplicate VERIFIABLE', t);
        this.advance();
        verifiable = true;
      } else if (this.isKeyword('DEFAULT')) {
        if (defaultValue) throw this.errorAt('Duplicate DEFAULT', t);
        this.advance();
        if (this.peek().kind === 'String') defaultValue = this.parseStringLiteral();
        else if (this.isIntStart()) defaultValue = this.parseIntLiteral();
        else throw this.unexpected('integer or string');
      } else if (this.isKeyword('CHECK')) {
        this.advance();
        if (this.peek().kind === 'String') {
          if (pattern) throw this.errorAt('Duplicate CHECK pattern', t);
          pattern = this.parseStringLiteral();
        } else if (this.isPunct('(')) {
          if (checkExpression) throw this.errorAt('Duplicate CHECK expression', t);
          checkExpression = this.parseCheckExpression();
        } else {
          throw this.unexpected('string or "("');
        }
      } else {
        break;
      }
    }
    return this.node<A.FieldDeclaration>(start, {
      kind: 'FieldDeclaration',
      name,
      type,
      notNull,
      verifiable,
      ...(defaultValue && { defaultValue }),
      ...(pattern && { pattern }),
      ...(checkExpression && { checkExpression }),
    });
  }

  /** `[CONSTRAINT Name] (UNIQUE (a, b) | UNIQUEFIELD a | CHECK (expr))` */
  parseConstraint(): A.UniqueConstraint | A.UniqueFieldConstraint | A.CheckConstraint {
    const start = this.peek();
    const name = this.skipKeyword('CONSTRAINT') ? this.parseIdentifier() : undefined;
    const named = name ? { name } : {};
    if (this.skipKeyword('UNIQUE')) {
      this.expectPunct('(');
      const fields = this.parseIdentifierList();
      this.expectPunct(')');
      return this.node<A.UniqueConstraint>(start, { kind: 'UniqueConstraint', ...named, fields });
    }
    if (this.skipKeyword('UNIQUEFIELD')) {
      const field = this.parseIdentifier();
      return this.node<A.UniqueFieldConstraint>(start, { kind: 'UniqueFieldConstraint', ...named, field });
    }
    if (this.skipKeyword('CHECK')) {
      if (!this.isPunct('(')) throw this.unexpected('"("');
      const expression = this.parseCheckExpression();
      return this.node<A.CheckConstraint>(start, { kind: 'CheckConstraint', ...named, expression });
    }
    throw this.unexpected('keyword "UNIQUE", "UNIQUEFIELD" or "CHECK"');
  }

  /** A primitive type, `ref[(Q, …)]` or a type name. */
  parseDataType(): A.DataType {
    const start = this.peek();
    if (this.isExactKeyword('ref')) {
      this.advance();
      const targets = this.isPunct('(') ? this.parseParenthesizedNames() : [];
      return this.node<A.RefType>(start, { kind: 'RefType', targets });
    }
    const spec = this.matchPrimitive();
    if (spec) {
      this.pos += 1 + spec.rest.length;
      let length: number | undefined;
      if (spec.hasLength && this.skipPunct('(')) {
        length = this.parseIntLiteral().value;
        this.expectPunct(')');
      }
      return this.node<A.PrimitiveType>(start, {
        kind: 'PrimitiveType',
        name: spec.name,
        dataKind: spec.dataKind,
        ...(length !== undefined && { length }),
      });
    }
    if (!this.isIdentifierToken()) throw this.unexpected('data type');
    const name = this.parseQualifiedName();
    return this.node<A.TypeReference>(start, { kind: 'TypeReference', name });
  }

  private matchPrimitive(): PrimitiveSpec | undefined {
    const t = this.peek();
    if (t.kind !== 'Name') return undefined;
    const candidates = PRIMITIVES.get(t.value);
    return candidates?.find((spec) => spec.rest.every((word, i) => this.isExactKeyword(word, i + 1)));
  }

  /** `[WITH item (, item)*]` */
  private parseWithClause(): A.WithItem[] {
    if (!this.isKeyword('WITH')) return [];
    this.advance();
    const items = [this.parseWithItem()];
    while (this.skipPunct(',')) items.push(this.parseWithItem());
    return items;
  }

  /** `Comment = 'text'` | `Tags = (Q, …)` */
  parseWithItem(): A.WithItem {
    const start = this.peek();
    if (this.isKeyword('COMMENT')) {
      this.advance();
      this.expectPunct('=');
      const value = this.parseStringLiteral();
      return this.node<A.WithComment>(start, { kind: 'WithComment', value });
    }
    if (this.isKeyword('TAGS')) {
      this.advance();
      this.expectPunct('=');
      const tags = this.parseParenthesizedNames();
      return this.node<A.WithTags>(start, { kind: 'WithTags', tags });
    }
    throw this.unexpected('keyword "Comment" or "Tags"');
  }

  // ---------------------------------------------------------------------------------------------
  // Views

  /** `VIEW Name ( items ) AS RESULT OF Q [WITH …]` */
  parseViewStatement(): A.ViewStatement {
    const start = this.expectKeyword('VIEW');
    const name = this.parseIdentifier();
    this.expectPunct('(');
    const items: A.ViewItem[] = [];
    if (!this.isPunct(')')) {
      do items.push(this.parseViewItem());
      while (this.skipPunct(','));
    }
    if (!this.isPunct(')')) throw this.unexpected('"," or ")"');
    this.advance();
    this.expectKeyword('AS');
    this.expectKeyword('RESULT');
    this.expectKeyword('OF');
    const resultOf = this.parseQualifiedName();
    const withItems = this.parseWithClause();
    const node = this.node<A.ViewStatement>(start, { kind: 'ViewStatement', name, items, resultOf, with: withItems });
    return this.withDoc(node, start);
  }

  parseViewItem(): A.ViewItem {
    const start = this.peek();
    if (this.isKeywordConfirmed('PRIMARY', () => this.isKeyword('KEY', 1) && this.isPunct('(', 2)))
      return this.withDoc(this.parsePrimaryKey(), start);
    if (!this.isIdentifierToken()) throw this.unexpected('field or PRIMARY KEY');
    const name = this.parseIdentifier();
    const type = this.parseDataType();
    let notNull = false;
    if (this.skipKeyword('NOT')) {
      this.expectKeyword('NULL');
      notNull = true;
    }
    return this.withDoc(this.node<A.ViewField>(start, { kind: 'ViewField', name, type, notNull }), start);
  }

  /** `PRIMARY KEY ( [( pk, … )] [,] cc, … )` */
  parsePrimaryKey(): A.PrimaryKey {
    const start = this.expectKeyword('PRIMARY');
    this.expectKeyword('KEY');
    this.expectPunct('(');
    let partitionKey: A.Identifier[] | undefined;
    if (this.skipPunct('(')) {
      partitionKey = this.isPunct(')') ? [] : this.parseIdentifierList();
      this.expectPunct(')');
      this.skipPunct(',');
    }
    const clusteringColumns = this.isPunct(')') ? [] : this.parseIdentifierList();
    if (!this.isPunct(')')) throw this.unexpected('"," or ")"');
    this.advance();
    return this.node<A.PrimaryKey>(start, {
      kind: 'PrimaryKey',
      ...(partitionKey && { partitionKey }),
      clusteringColumns,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Extensions

  /** `EXTENSION ENGINE (WASM|BUILTIN) ( stmt (; stmt)* [;] )` */
  parseExtensionEngineStatement(root: boolean): A.ExtensionEngineStatement {
    const start = this.expectKeyword('EXTENSION');
    this.expectKeyword('ENGINE');
    const engine = this.expectOneOf(['WASM', 'BUILTIN'] as const);
    this.expectPunct('(');
    const statements: A.ExtensionStatement[] = [];
    while (!this.isPunct(')')) {
      statements.push(root ? this.parseRootExtensionStatement() : this.parseWorkspaceExtensionStatement());
      if (!this.skipPunct(';') && !this.isPunct(')')) throw this.unexpected('";" or ")"');
    }
    this.advance();
    const node = this.node<A.ExtensionEngineStatement>(start, { kind: 'ExtensionEngineStatement', engine, statements });
    return this.withDoc(node, start);
  }

  private parseRootExtensionStatement(): A.ExtensionStatement {
    const start = this.peek();
    if (this.isKeyword('FUNCTION')) return this.withDoc(this.parseFunctionStatement(), start);
    if (this.isKeyword('STORAGE')) return this.withDoc(this.parseStorageStatement(), start);
    throw this.unexpected('keyword "FUNCTION" or "STORAGE"');
  }

  private parseWorkspaceExtensionStatement(): A.ExtensionStatement {
    const start = this.peek();
    const word = start.kind === 'Name' ? start.value.toUpperCase() : '';
    let statement: A.ExtensionStatement;
    switch (word) {
      case 'COMMAND':
        statement = this.parseCommandStatement();
        break;
      case 'QUERY':
        statement = this.parseQueryStatement();
        break;
      case 'SYNC':
      case 'PROJECTOR':
        statement = this.parseProjectorStatement();
        break;
      case 'JOB':
        statement = this.parseJobStatement();
        break;
      case 'FUNCTION':
        statement = this.parseFunctionStatement();
        break;
      default:
        throw this.unexpected('keyword "COMMAND", "QUERY", "PROJECTOR", "JOB" or "FUNCTION"');
    }
    return this.withDoc(statement, start);
  }

  /** `any` | `void` | Q */
  parseParamType(): A.ParamType {
    const t = this.peek();
    if (this.isExactKeyword('any')) {
      this.advance();
      return this.node<A.AnyType>(t, { kind: 'AnyType' });
    }
    if (this.isExactKeyword('void')) {
      this.advance();
      return this.node<A.VoidType>(t, { kind: 'VoidType' });
    }
    if (!this.isIdentifierToken()) throw this.unexpected('type name, "any" or "void"');
    return this.parseQualifiedName();
  }

  /** `COMMAND Name [( [param] [[,] UNLOGGED param] )] [STATE(…)] [INTENTS(…)] [RETURNS p] [WITH …]` */
  parseCommandStatement(): A.CommandStatement {
    const start = this.expectKeyword('COMMAND');
    const name = this.parseIdentifier();
    let param: A.ParamType | undefined;
    let unloggedParam: A.ParamType | undefined;
    if (this.skipPunct('(')) {
      if (!this.isPunct(')') && !this.isUnlogged()) {
        param = this.parseParamType();
        if (this.skipPunct(',') && !this.isUnlogged()) throw this.unexpected('keyword "UNLOGGED"');
      }
      if (this.isUnlogged()) {
        this.advance();
        unloggedParam = this.parseParamType();
      }
      this.expectPunct(')');
    }
    const state = this.parseStorageClause('STATE');
    const intents = this.parseStorageClause('INTENTS');
    const returns = this.skipKeyword('RETURNS') ? this.parseParamType() : undefined;
    const withItems = this.parseWithClause();
    return this.node<A.CommandStatement>(start, {
      kind: 'CommandStatement',
      name,
      ...(param && { param }),
      ...(unloggedParam && { unloggedParam }),
      state,
      intents,
      ...(returns && { returns }),
      with: withItems,
    });
  }

  /** `unlogged X` is the keyword; `unlogged` alone is a type name. */
  private isUnlogged(): boolean {
    return this.isKeywordConfirmed('UNLOGGED', () => {
      const next = this.peek(1);
      return next.kind === 'Name' || next.kind === 'QuotedName';
    });
  }

  /** `QUERY Name [( [param] )] [STATE(…)] [RETURNS p] [WITH …]` */
  parseQueryStatement(): A.QueryStatement {
    const start = this.expectKeyword('QUERY');
    const name = this.parseIdentifier();
    let param: A.ParamType | undefined;
    if (this.skipPunct('(')) {
      if (!this.isPunct(')')) param = this.parseParamType();
      this.expectPunct(')');
    }
    const state = this.parseStorageClause('STATE');
    const returns = this.skipKeyword('RETURNS') ? this.parseParamType() : undefined;
    const withItems = this.parseWithClause();
    return this.node<A.QueryStatement>(start, {
      kind: 'QueryStatement',
      name,
      ...(param && { param }),
      state,
      ...(returns && { returns }),
      with: withItems,
    });
  }

  /** `[SYNC] PROJECTOR Name trigger (OR trigger)* [STATE(…)] [INTENTS(…)] [INCLUDING ERRORS]` */
  parseProjectorStatement(): A.ProjectorStatement {
    const start = this.peek();
    const sync = this.skipKeyword('SYNC');
    this.expectKeyword('PROJECTOR');
    const name = this.parseIdentifier();
    const triggers = [this.parseProjectorTrigger()];
    while (this.skipKeyword('OR')) triggers.push(this.parseProjectorTrigger());
    const state = this.parseStorageClause('STATE');
    const intents = this.parseStorageClause('INTENTS');
    let includingErrors = false;
    if (this.skipKeyword('INCLUDING')) {
      this.expectKeyword('ERRORS');
      includingErrors = true;
    }
    return this.node<A.ProjectorStatement>(start, {
      kind: 'ProjectorStatement',
      sync,
      name,
      triggers,
      state,
      intents,
      includingErrors,
    });
  }

  /** `AFTER EXECUTE [WITH PARAM] ON target` | `AFTER op (OR op)* ON target` | `CRON 'expr'` */
  parseProjectorTrigger(): A.ProjectorTrigger {
    const start = this.peek();
    if (this.skipKeyword('CRON')) {
      const schedule = this.parseStringLiteral();
      return this.node<A.CronTrigger>(start, { kind: 'CronTrigger', schedule });
    }
    if (!this.isKeyword('AFTER')) throw this.unexpected('keyword "AFTER"');
    this.advance();
    if (this.skipKeyword('EXECUTE')) {
      let withParam = false;
      if (this.skipKeyword('WITH')) {
        this.expectKeyword('PARAM');
        withParam = true;
      }
      this.expectKeyword('ON');
      const targets = this.parseTriggerTargets();
      return this.node<A.ExecuteTrigger>(start, { kind: 'ExecuteTrigger', withParam, targets });
    }
    if (!PROJECTOR_OPERATIONS.some((op) => this.isKeyword(op))) {
      throw this.unexpected(`keyword ${quoteList(['EXECUTE', ...PROJECTOR_OPERATIONS])}`);
    }
    const operations = [this.expectOneOf(PROJECTOR_OPERATIONS)];
    while (this.isKeyword('OR') && !this.isKeyword('AFTER', 1) && !this.isKeyword('CRON', 1)) {
      this.advance();
      operations.push(this.expectOneOf(PROJECTOR_OPERATIONS));
    }
    this.expectKeyword('ON');
    const targets = this.parseTriggerTargets();
    return this.node<A.OperationTrigger>(start, { kind: 'OperationTrigger', operations, targets });
  }

  /** `Q` | `( Q, … )` */
  private parseTriggerTargets(): A.QualifiedName[] {
    return this.isPunct('(') ? this.parseParenthesizedNames() : [this.parseQualifiedName()];
  }

  /** `JOB Name ['cron'] [STATE(…)] [INTENTS(…)]` */
  parseJobStatement(): A.JobStatement {
    const start = this.expectKeyword('JOB');
    const name = this.parseIdentifier();
    const schedule = this.peek().kind === 'String' ? this.parseStringLiteral() : undefined;
    const state = this.parseStorageClause('STATE');
    const intents = this.parseStorageClause('INTENTS');
    return this.node<A.JobStatement>(start, {
      kind: 'JobStatement',
      name,
      ...(schedule && { schedule }),
      state,
      intents,
    });
  }

  /** `FUNCTION Name ( [param (, param)*] ) RETURNS type` */
  parseFunctionStatement(): A.FunctionStatement {
    const start = this.expectKeyword('FUNCTION');
    const name = this.parseIdentifier();
    this.expectPunct('(');
    const params: A.FunctionParam[] = [];
    if (!this.isPunct(')')) {
      do params.push(this.parseFunctionParam());
      while (this.skipPunct(','));
    }
    if (!this.isPunct(')')) throw this.unexpected('"," or ")"');
    this.advance();
    this.expectKeyword('RETURNS');
    const returns = this.parseDataType();
    return this.node<A.FunctionStatement>(start, { kind: 'FunctionStatement', name, params, returns });
  }

  /** `[name] type` — a name is present when a word follows a word that is not a data type. */
  private parseFunctionParam(): A.FunctionParam {
    const start = this.peek();
    let name: A.Identifier | undefined;
    const next = this.peek(1);
    if (
      this.isIdentifierToken() &&
      !this.isExactKeyword('ref') &&
      !this.matchPrimitive() &&
      (next.kind === 'Name' || next.kind === 'QuotedName')
    ) {
      name = this.parseIdentifier();
    }
    const type = this.parseDataType();
    return this.node<A.FunctionParam>(start, { kind: 'FunctionParam', ...(name && { name }), type });
  }

  /** `STORAGE Name ( op (, op)* ) [ENTITY RECORD] [ENTITY VIEW]` */
  parseStorageStatement(): A.StorageStatement {
    const start = this.expectKeyword('STORAGE');
    const name = this.parseIdentifier();
    this.expectPunct('(');
    const operations = [this.parseStorageOperation()];
    while (this.skipPunct(',')) operations.push(this.parseStorageOperation());
    this.expectPunct(')');
    let entityRecord = false;
    let entityView = false;
    while (this.isKeyword('ENTITY')) {
      this.advance();
      const entity = this.expectOneOf(['RECORD', 'VIEW'] as const);
      if (entity === 'RECORD') entityRecord = true;
      else entityView = true;
    }
    return this.node<A.StorageStatement>(start, {
      kind: 'StorageStatement',
      name,
      operations,
      entityRecord,
      entityView,
    });
  }

  /** `(GET|GETBATCH|READ|INSERT|UPDATE) SCOPE ( kind, … )` */
  private parseStorageOperation(): A.StorageOperation {
    const start = this.peek();
    const operation = this.expectOneOf(STORAGE_OPERATIONS);
    this.expectKeyword('SCOPE');
    this.expectPunct('(');
    const scope = [this.expectOneOf(EXTENSION_KINDS)];
    while (this.skipPunct(',')) scope.push(this.expectOneOf(EXTENSION_KINDS));
    this.expectPunct(')');
    return this.node<A.StorageOperation>(start, { kind: 'StorageOperation', operation, scope });
  }

  /** `[STATE|INTENTS ( item (, item)* )]` */
  private parseStorageClause(keyword: 'STATE' | 'INTENTS'): A.StorageReference[] {
    if (!this.skipKeyword(keyword)) return [];
    this.expectPunct('(');
    const items = [this.parseStorageReference()];
    while (this.skipPunct(',')) items.push(this.parseStorageReference());
    this.expectPunct(')');
    return items;
  }

  /** `Q [( Q, … )]` */
  parseStorageReference(): A.StorageReference {
    const start = this.peek();
    const storage = this.parseQualifiedName();
    const entities = this.isPunct('(') ? this.parseParenthesizedNames() : [];
    return this.node<A.StorageReference>(start, { kind: 'StorageReference', storage, entities });
  }

  // ---------------------------------------------------------------------------------------------
  // RATE, LIMIT

  /** `RATE Name (Int|Q) PER [Int] unit [PER APP PARTITION | PER WORKSPACE] [PER SUBJECT | PER IP]` */
  parseRateStatement(): A.RateStatement {
    const start = this.expectKeyword('RATE');
    const name = this.parseIdentifier();
    let count: A.IntLiteral | A.QualifiedName;
    if (this.isIntStart()) count = this.parseIntLiteral();
    else if (this.isIdentifierToken()) count = this.parseQualifiedName();
    else throw this.unexpected('integer or variable name');
    this.expectKeyword('PER');
    const period = this.isIntStart() ? this.parseIntLiteral() : undefined;
    const unitToken = this.peek();
    const unit = unitToken.kind === 'Name' ? RATE_UNITS[unitToken.value.toUpperCase()] : undefined;
    // Plural spellings are accepted too; the message lists the singular ones to stay short.
    if (unit === undefined) throw this.unexpected(`keyword ${quoteList(['SECOND', 'MINUTE', 'HOUR', 'DAY', 'YEAR'])}`);
    this.advance();
    let objectScope: A.RateStatement['objectScope'];
    let subjectScope: A.RateStatement['subjectScope'];
    if (this.skipKeyword('PER')) {
      const scope = this.expectOneOf(['APP', 'WORKSPACE', 'SUBJECT', 'IP'] as const);
      if (scope === 'APP') {
        this.expectKeyword('PARTITION');
        objectScope = 'APP PARTITION';
      } else if (scope === 'WORKSPACE') {
        objectScope = 'WORKSPACE';
      } else {
        subjectScope = scope;
      }
      if (objectScope !== undefined && this.skipKeyword('PER')) {
        subjectScope = this.expectOneOf(['SUBJECT', 'IP'] as const);
      }
    }
    return this.withDoc(
      this.node<A.RateStatement>(start, {
        kind: 'RateStatement',
        name,
        count,
        ...(period && { period }),
        unit,
        ...(objectScope && { objectScope }),
        ...(subjectScope && { subjectScope }),
      }),
      start,
    );
  }

  /** `LIMIT Name [op (, op)*] ON target WITH RATE Q` */
  parseLimitStatement(): A.LimitStatement {
    const start = this.expectKeyword('LIMIT');
    const name = this.parseIdentifier();
    const operations: A.LimitOperation[] = [];
    if (!this.isKeyword('ON')) {
      operations.push(this.expectOneOf(LIMIT_OPERATIONS));
      while (this.skipPunct(',')) operations.push(this.expectOneOf(LIMIT_OPERATIONS));
    }
    const target = this.parseLimitTarget();
    this.expectKeyword('WITH');
    this.expectKeyword('RATE');
    const rate = this.parseQualifiedName();
    const node = this.node<A.LimitStatement>(start, { kind: 'LimitStatement', name, operations, target, rate });
    return this.withDoc(node, start);
  }

  private parseLimitTarget(): A.LimitTarget {
    const start = this.expectKeyword('ON');
    const word = this.expectOneOf(['COMMAND', 'QUERY', 'TABLE', 'VIEW', 'ALL', 'EACH'] as const);
    if (word === 'ALL') {
      const objectKind = OBJECT_KINDS_PLURAL[this.expectOneOf(PLURAL_OBJECT_KINDS)];
      const tag = this.parseWithTag();
      return this.node<A.LimitAllTarget>(start, {
        kind: 'LimitAllTarget',
        objectKind,
        ...(tag && { tag }),
      });
    }
    if (word === 'EACH') {
      const objectKind = this.expectOneOf(OBJECT_KINDS);
      const tag = this.parseWithTag();
      return this.node<A.LimitEachTarget>(start, { kind: 'LimitEachTarget', objectKind, ...(tag && { tag }) });
    }
    const name = this.parseQualifiedName();
    return this.node<A.LimitSingleTarget>(start, { kind: 'LimitSingleTarget', objectKind: word, name });
  }

  /** `[WITH TAG Q]` — only when `WITH` is followed by `TAG` (else it starts another clause). */
  private parseWithTag(): A.QualifiedName | undefined {
    if (!(this.isKeyword('WITH') && this.isKeyword('TAG', 1))) return undefined;
    this.pos += 2;
    return this.parseQualifiedName();
  }

  // ---------------------------------------------------------------------------------------------
  // GRANT, REVOKE

  /** `GRANT what TO Q` | `REVOKE what FROM Q` */
  parseGrantOrRevokeStatement(): A.GrantStatement | A.RevokeStatement {
    const start = this.peek();
    const revoke = this.isKeyword('REVOKE');
    this.advance();
    const what = this.parseGrantSubject();
    this.expectKeyword(revoke ? 'FROM' : 'TO');
    const role = this.parseQualifiedName();
    const node = revoke
      ? this.node<A.RevokeStatement>(start, { kind: 'RevokeStatement', what, role })
      : this.node<A.GrantStatement>(start, { kind: 'GrantStatement', what, role });
    return this.withDoc(node, start);
  }

  /** Privileges `ON` an object, or a role name (role inheritance). */
  parseGrantSubject(): A.GrantSubject {
    const start = this.peek();
    const isPrivilege = (p: string): boolean =>
      this.isKeywordConfirmed(p, () => this.isPunct(',', 1) || this.isPunct('(', 1) || this.isKeyword('ON', 1));
    if (!PRIVILEGES.some(isPrivilege)) {
      if (!this.isIdentifierToken()) throw this.unexpected(`keyword ${quoteList(PRIVILEGES)} or role name`);
      const role = this.parseQualifiedName();
      return this.node<A.RoleGrant>(start, { kind: 'RoleGrant', role });
    }
    const privileges = [this.parsePrivilege()];
    while (this.skipPunct(',')) privileges.push(this.parsePrivilege());
    const object = this.parseGrantObject();
    this.checkPrivileges(privileges, object);
    return this.node<A.PrivilegeGrant>(start, { kind: 'PrivilegeGrant', privileges, object });
  }

  private parsePrivilege(): A.Privilege {
    const start = this.peek();
    const operation = this.expectOneOf(PRIVILEGES);
    const columns = this.isPunct('(') ? this.parseParenthesizedNames() : undefined;
    return this.node<A.Privilege>(start, { kind: 'Privilege', operation, ...(columns && { columns }) });
  }

  /** `ON (TABLE|VIEW|COMMAND|QUERY) Q` | `ON ALL (TABLES|VIEWS|COMMANDS|QUERIES) [WITH TAG Q]` */
  parseGrantObject(): A.GrantObject {
    const start = this.expectKeyword('ON');
    const word = this.expectOneOf(['TABLE', 'VIEW', 'COMMAND', 'QUERY', 'ALL'] as const);
    if (word === 'ALL') {
      const objectKind = OBJECT_KINDS_PLURAL[this.expectOneOf(PLURAL_OBJECT_KINDS)];
      const tag = this.parseWithTag();
      return this.node<A.GrantAllObjects>(start, {
        kind: 'GrantAllObjects',
        objectKind,
        ...(tag && { tag }),
      });
    }
    const name = this.parseQualifiedName();
    return this.node<A.GrantSingleObject>(start, { kind: 'GrantSingleObject', objectKind: word, name });
  }

  /** The combinations Voedger's grammar allows (reference §1.2, GRANT). */
  private checkPrivileges(privileges: A.Privilege[], object: A.GrantObject): void {
    const kind = object.objectKind;
    const allowed: readonly A.PrivilegeOperation[] =
      kind === 'TABLE' ? TABLE_PRIVILEGES : kind === 'VIEW' ? ['SELECT'] : ['EXECUTE'];
    const target = object.kind === 'GrantAllObjects' ? `ALL ${PLURAL_OF[kind]}` : kind;
    for (const privilege of privileges) {
      if (!allowed.includes(privilege.operation)) {
        throw this.errorAt(`Privilege ${privilege.operation} does not apply to ${target}`, privilege.loc);
      }
      if (privilege.columns && (object.kind === 'GrantAllObjects' || (kind !== 'TABLE' && kind !== 'VIEW'))) {
        throw this.errorAt(
          'A column list is only allowed with ON TABLE or ON VIEW',
          privilege.columns[0]?.loc ?? privilege.loc,
        );
      }
    }
    if (privileges.length > 1 && privileges.some((p) => p.operation === 'ALL')) {
      const all = privileges.find((p) => p.operation === 'ALL') ?? privileges[0];
      throw this.errorAt('ALL cannot be combined with other privileges', all?.loc ?? object.loc);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // CHECK expressions

  /** `( expr )` → the expression with its raw text. */
  parseCheckExpression(): A.CheckExpression {
    const open = this.expectPunct('(');
    const first = this.peek();
    const expression = this.parseExpression();
    const last = this.previous;
    this.expectPunct(')');
    const text = this.source.slice(first.start.offset, last.end.offset);
    return this.node<A.CheckExpression>(open, { kind: 'CheckExpression', text, expression });
  }

  parseExpression(): A.Expression {
    this.enter();
    const expression = this.parseOr();
    this.leave();
    return expression;
  }

  private binary(start: Token, operator: A.BinaryOperator, left: A.Expression, right: A.Expression): A.Expression {
    return this.node<A.BinaryExpression>(start, { kind: 'BinaryExpression', operator, left, right });
  }

  private parseOr(): A.Expression {
    const start = this.peek();
    let left = this.parseAnd();
    while (this.skipKeyword('OR')) left = this.binary(start, 'OR', left, this.parseAnd());
    return left;
  }

  private parseAnd(): A.Expression {
    const start = this.peek();
    let left = this.parseNot();
    while (this.skipKeyword('AND')) left = this.binary(start, 'AND', left, this.parseNot());
    return left;
  }

  private parseNot(): A.Expression {
    const start = this.peek();
    if (this.isKeywordConfirmed('NOT', () => this.canStartOperand(1))) {
      this.advance();
      this.enter();
      const operand = this.parseNot();
      this.leave();
      return this.node<A.UnaryExpression>(start, { kind: 'UnaryExpression', operator: 'NOT', operand });
    }
    return this.parseComparison();
  }

  private canStartOperand(ahead: number): boolean {
    const t = this.peek(ahead);
    if (t.kind === 'Punct') return t.value === '(' || t.value === '-' || t.value === '+';
    return t.kind !== 'EOF';
  }

  private parseComparison(): A.Expression {
    const start = this.peek();
    const left = this.parseAdditive();
    const op = COMPARISON_OPERATORS.find((o) => this.isPunct(o as Punctuator));
    if (op !== undefined) {
      this.advance();
      return this.binary(start, op, left, this.parseAdditive());
    }
    if (this.skipKeyword('IS')) {
      const not = this.skipKeyword('NOT');
      this.expectKeyword('NULL');
      return this.node<A.IsNullExpression>(start, { kind: 'IsNullExpression', operand: left, not });
    }
    const not = this.isKeyword('NOT') && (this.isKeyword('BETWEEN', 1) || this.isKeyword('IN', 1));
    if (not) this.advance();
    if (this.skipKeyword('BETWEEN')) {
      const low = this.parseAdditive();
      this.expectKeyword('AND');
      const high = this.parseAdditive();
      return this.node<A.BetweenExpression>(start, { kind: 'BetweenExpression', operand: left, not, low, high });
    }
    if (this.skipKeyword('IN')) {
      this.expectPunct('(');
      const values = [this.parseExpression()];
      while (this.skipPunct(',')) values.push(this.parseExpression());
      this.expectPunct(')');
      return this.node<A.InExpression>(start, { kind: 'InExpression', operand: left, not, values });
    }
    return left;
  }

  private parseAdditive(): A.Expression {
    const start = this.peek();
    let left = this.parseMultiplicative();
    for (;;) {
      const op = this.isPunct('+') ? '+' : this.isPunct('-') ? '-' : undefined;
      if (op === undefined) return left;
      this.advance();
      left = this.binary(start, op, left, this.parseMultiplicative());
    }
  }

  private parseMultiplicative(): A.Expression {
    const start = this.peek();
    let left = this.parseUnary();
    for (;;) {
      const op = this.isPunct('*') ? '*' : this.isPunct('/') ? '/' : this.isPunct('%') ? '%' : undefined;
      if (op === undefined) return left;
      this.advance();
      left = this.binary(start, op, left, this.parseUnary());
    }
  }

  private parseUnary(): A.Expression {
    const start = this.peek();
    if (this.isPunct('-') || this.isPunct('+')) {
      const operator = this.advance().value as '-' | '+';
      this.enter();
      const operand = this.parseUnary();
      this.leave();
      return this.node<A.UnaryExpression>(start, { kind: 'UnaryExpression', operator, operand });
    }
    return this.parsePrimary();
  }

  private parsePrimary(): A.Expression {
    const t = this.peek();
    switch (t.kind) {
      case 'Int':
        return this.parseIntLiteral();
      case 'Float':
        this.advance();
        return this.node<A.FloatLiteral>(t, { kind: 'FloatLiteral', value: Number(t.value) });
      case 'String':
        return this.parseStringLiteral();
      default:
        break;
    }
    if (this.isKeyword('TRUE') || this.isKeyword('FALSE')) {
      this.advance();
      return this.node<A.BooleanLiteral>(t, { kind: 'BooleanLiteral', value: t.value.toUpperCase() === 'TRUE' });
    }
    if (this.isKeyword('NULL')) {
      this.advance();
      return this.node<A.NullLiteral>(t, { kind: 'NullLiteral' });
    }
    if (this.isPunct('(')) {
      this.advance();
      const inner = this.parseExpression();
      this.expectPunct(')');
      return inner;
    }
    if (!this.isIdentifierToken()) throw this.unexpected('expression');
    const name = this.parseQualifiedName();
    if (!this.isPunct('(')) return this.node<A.SymbolExpression>(t, { kind: 'SymbolExpression', name });
    this.advance();
    const args: A.Expression[] = [];
    if (!this.isPunct(')')) {
      do args.push(this.parseExpression());
      while (this.skipPunct(','));
    }
    this.expectPunct(')');
    return this.node<A.SymbolExpression>(t, { kind: 'SymbolExpression', name, args });
  }
}
