// Shared state of one analysis: packages, declarations, workspaces, collected errors and name
// resolution (reference §1.16). The analyser passes (analyser-*.ts) all work on one Analysis.

import type {
  ApplicationStatement,
  Descriptor,
  QualifiedName,
  SchemaFile,
  TableItem,
  TableStatement,
  WithItem,
  WorkspaceItem,
  WorkspaceStatement,
} from './ast.js';
import type { SourceLocation, SourceSpan } from './diagnostics.js';
import { VsqlError } from './diagnostics.js';
import type { QName, SourceRef } from './appdef.js';

export type DeclKind =
  | 'workspace'
  | 'table'
  | 'type'
  | 'view'
  | 'command'
  | 'query'
  | 'projector'
  | 'job'
  | 'role'
  | 'tag'
  | 'rate'
  | 'limit'
  | 'storage'
  | 'constant'
  | 'function';

export interface ParsedFile {
  ast: SchemaFile;
  source: string;
}

export interface Pkg {
  localName: string;
  path: string;
  isSys: boolean;
  files: ParsedFile[];
  /** Every named statement of the package, by name (names are package-wide unique). */
  decls: Map<string, Decl>;
  /** Local names (last path element or alias) → package path. */
  imports: Map<string, string>;
  application?: ApplicationStatement;
}

/** A table-shaped declaration: a TABLE, a nested table or a workspace descriptor. */
export interface TableSource {
  abstract: boolean;
  inherits?: QualifiedName;
  items: TableItem[];
  with: WithItem[];
  doc?: string;
  /** Set for nested tables: the declaring table and the container name. */
  parent?: Decl;
  containerName?: string;
  /** Set for descriptors: the workspace it describes. */
  descriptorOf?: WsInfo;
}

export interface Decl {
  kind: DeclKind;
  name: string;
  qname: QName;
  pkg: Pkg;
  /** Workspace whose body declares it (for ALTER WORKSPACE bodies: the altered workspace). */
  ws: WsInfo | null;
  /** The AST node of the statement (for tables: the TableStatement or Descriptor). */
  node: { kind: string; loc: SourceSpan };
  /** Where the name is written (errors about the declaration point here). */
  nameLoc: SourceSpan;
  engine?: 'wasm' | 'builtin';
  table?: TableSource;
}

export interface WsBody {
  pkg: Pkg;
  items: WorkspaceItem[];
  /** The ALTER WORKSPACE name, for bodies that alter a workspace. */
  alteredBy?: QualifiedName;
}

export interface WsInfo {
  decl: Decl;
  node: WorkspaceStatement;
  /** The workspace's own body first, then every ALTER WORKSPACE body. */
  bodies: WsBody[];
  /** Declarations of all bodies (not of nested workspaces). */
  members: Decl[];
  descriptor: Decl | null;
  inherits: WsInfo[];
  ancestors: WsInfo[];
  uses: WsInfo[];
  types: Set<QName>;
}

export interface Scope {
  pkg: Pkg;
  ws: WsInfo | null;
}

const KIND_LABEL: Record<DeclKind, string> = {
  workspace: 'workspace',
  table: 'table',
  type: 'type',
  view: 'view',
  command: 'command',
  query: 'query',
  projector: 'projector',
  job: 'job',
  role: 'role',
  tag: 'tag',
  rate: 'rate',
  limit: 'limit',
  storage: 'storage',
  constant: 'constant',
  function: 'function',
};

export function kindLabel(kind: DeclKind): string {
  return KIND_LABEL[kind];
}

export function article(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}

export function writtenName(q: QualifiedName): string {
  return q.pkg ? `${q.pkg.value}.${q.name.value}` : q.name.value;
}

export function toSourceRef(span: SourceSpan | SourceLocation): SourceRef {
  const l = 'start' in span ? span.start : span;
  return { file: l.file, line: l.line, column: l.column };
}

export class Analysis {
  readonly errors: VsqlError[] = [];
  readonly packages: Pkg[] = [];
  readonly byPath = new Map<string, Pkg>();
  readonly workspaces = new Map<QName, WsInfo>();
  readonly decls = new Map<QName, Decl>();
  private readonly sources = new Map<string, string>();
  sys!: Pkg;
  sysWorkspace: WsInfo | undefined;

  addPackage(pkg: Pkg): void {
    this.packages.push(pkg);
    this.byPath.set(pkg.path, pkg);
    if (pkg.isSys) this.sys = pkg;
    for (const f of pkg.files) this.sources.set(f.ast.file, f.source);
  }

  error(message: string, at: SourceSpan | SourceLocation): void {
    const loc = 'start' in at ? at.start : at;
    this.errors.push(VsqlError.at(message, loc, 'semantic', this.sources.get(loc.file)));
  }

  /** Registers a named declaration package-wide; reports a redefinition and returns false. */
  declare(decl: Decl): boolean {
    const existing = decl.pkg.decls.get(decl.name);
    if (existing) {
      this.error(`redefinition of ${decl.name}`, decl.nameLoc);
      return false;
    }
    decl.pkg.decls.set(decl.name, decl);
    this.decls.set(decl.qname, decl);
    return true;
  }

  /** The package a qualifier names in `scope`, reporting an unknown one. */
  resolvePackage(scope: Scope, q: QualifiedName): Pkg | undefined {
    if (!q.pkg) return scope.pkg;
    const name = q.pkg.value;
    if (name === scope.pkg.localName) return scope.pkg;
    if (name === 'sys') return this.sys;
    const path = scope.pkg.imports.get(name);
    const pkg = path === undefined ? undefined : this.byPath.get(path);
    if (!pkg) {
      this.error(`undefined package ${name}`, q.pkg.loc);
      return undefined;
    }
    return pkg;
  }

  /**
   * Resolves a name. Unqualified: the current package (names are package-wide unique), then the
   * current workspace's ancestors (which reach into other packages and `sys.Workspace`).
   * Returns null when the package qualifier itself was wrong (already reported).
   */
  resolve(scope: Scope, q: QualifiedName): Decl | undefined | null {
    const pkg = this.resolvePackage(scope, q);
    if (!pkg) return null;
    const found = pkg.decls.get(q.name.value);
    if (found || q.pkg) return found;
    const chain = scope.ws ? [scope.ws, ...[...scope.ws.ancestors].reverse()] : [];
    if (this.sysWorkspace && !chain.includes(this.sysWorkspace)) chain.push(this.sysWorkspace);
    for (const ws of chain) {
      const member = ws.members.find((d) => d.name === q.name.value);
      if (member) return member;
    }
    return undefined;
  }

  /**
   * Resolves a name that must be one of `kinds`; reports `undefined <label> X` or
   * `X is a <kind>, not <label>` and returns undefined on failure.
   */
  expect(scope: Scope, q: QualifiedName, kinds: DeclKind[], label: string): Decl | undefined {
    const decl = this.resolve(scope, q);
    if (decl === null) return undefined;
    if (!decl) {
      this.error(`undefined ${label} ${writtenName(q)}`, q.loc);
      return undefined;
    }
    if (!kinds.includes(decl.kind)) {
      this.error(`${writtenName(q)} is ${article(kindLabel(decl.kind))}, not ${article(label)}`, q.loc);
      return undefined;
    }
    return decl;
  }

  /** Whether a type is usable in a workspace (declared there, inherited, or used). */
  isVisibleIn(ws: WsInfo | null, qname: QName): boolean {
    if (!ws) return true;
    return ws.types.has(qname);
  }

  sortedErrors(): VsqlError[] {
    const seen = new Set<string>();
    const unique = this.errors.filter((e) => {
      const key = e.message;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return unique.sort((a, b) =>
      a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line !== b.line ? a.line - b.line : a.column - b.column,
    );
  }
}

export function qnameOf(pkg: Pkg, name: string): QName {
  return `${pkg.localName}.${name}`;
}

/** The table-like view of a TABLE statement. */
export function tableSourceOf(t: TableStatement, extra: Partial<TableSource> = {}): TableSource {
  return {
    abstract: t.abstract,
    ...(t.inherits ? { inherits: t.inherits } : {}),
    items: t.items,
    with: t.with,
    ...(t.doc !== undefined ? { doc: t.doc } : {}),
    ...extra,
  };
}

export function descriptorSourceOf(d: Descriptor | undefined, ws: WsInfo): TableSource {
  return {
    abstract: false,
    items: d?.items ?? [],
    with: [],
    ...(d?.doc !== undefined ? { doc: d.doc } : {}),
    descriptorOf: ws,
  };
}

/** Comment of a statement: `WITH Comment=` wins over the pre-statement comment block. */
export function commentOf(withItems: WithItem[], doc: string | undefined): string | undefined {
  for (const w of withItems) if (w.kind === 'WithComment') return w.value.value;
  return doc;
}
