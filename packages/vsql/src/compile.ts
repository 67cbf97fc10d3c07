// Public entry point of the compiler: sources → AppDef, or every error (syntax errors first, as
// the analyser only runs on files that parse). Never throws for bad input.

import type { AppDef } from './appdef.js';
import type { SchemaFile } from './ast.js';
import { VsqlError } from './diagnostics.js';
import { parse } from './parser.js';
import type { ParsedFile } from './analyser-context.js';
import type { PackageInput } from './analyser.js';
import { analyse } from './analyser.js';
import { SYS_PACKAGE_PATH, SYS_VSQL } from './sys/sys-vsql.js';

export interface CompileFile {
  /** File name used in error positions (e.g. `schema/shop.vsql`). */
  path: string;
  source: string;
  /**
   * Path of the package the file belongs to (`example.com/lib`), for apps made of several
   * packages that IMPORT SCHEMA each other. Omitted = the app's main package.
   */
  package?: string;
}

export interface CompileOptions {
  /** Local name of the main package; default: last element of packagePath, else the APPLICATION name. */
  packageName?: string;
  /** Path of the main package; default: its local name. */
  packagePath?: string;
}

export type CompileResult = { ok: true; appdef: AppDef } | { ok: false; errors: VsqlError[] };

export const SYS_FILE_NAME = 'sys.vsql';

let sysAst: SchemaFile | undefined;

/** The parsed sys package; parsed once (the AST is never mutated). */
function parseSys(): SchemaFile {
  sysAst ??= parse(SYS_VSQL, SYS_FILE_NAME);
  return sysAst;
}

function lastElement(path: string): string {
  return (
    path
      .split('/')
      .filter((x) => x !== '')
      .pop() ?? path
  );
}

function toVsqlError(e: unknown, file: string): VsqlError {
  if (e instanceof VsqlError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new VsqlError(`internal compiler error: ${message}`, { file, line: 1, column: 1, kind: 'semantic' });
}

export function compile(files: CompileFile[], options: CompileOptions = {}): CompileResult {
  try {
    return compileUnsafe(files, options);
  } catch (e) {
    return { ok: false, errors: [toVsqlError(e, files[0]?.path ?? SYS_FILE_NAME)] };
  }
}

function compileUnsafe(files: CompileFile[], options: CompileOptions): CompileResult {
  const errors: VsqlError[] = [];
  const parsed: { file: CompileFile; parsed: ParsedFile }[] = [];
  for (const file of files) {
    try {
      parsed.push({ file, parsed: { ast: parse(file.source, file.path), source: file.source } });
    } catch (e) {
      errors.push(toVsqlError(e, file.path));
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  const mainFiles = parsed.filter((p) => p.file.package === undefined).map((p) => p.parsed);
  const appName = mainFiles.flatMap((f) => f.ast.statements).find((s) => s.kind === 'ApplicationStatement')?.name.value;
  const localName =
    options.packageName ??
    (options.packagePath !== undefined ? lastElement(options.packagePath) : undefined) ??
    appName ??
    'app';
  const packages: PackageInput[] = [
    {
      localName: 'sys',
      path: SYS_PACKAGE_PATH,
      isSys: true,
      files: [{ ast: parseSys(), source: SYS_VSQL }],
    },
    { localName, path: options.packagePath ?? localName, isSys: false, files: mainFiles },
  ];
  const byPath = new Map<string, PackageInput>();
  for (const p of parsed) {
    const path = p.file.package;
    if (path === undefined) continue;
    let pkg = byPath.get(path);
    if (!pkg) {
      pkg = { localName: lastElement(path), path, isSys: false, files: [] };
      byPath.set(path, pkg);
      packages.push(pkg);
    }
    pkg.files.push(p.parsed);
  }
  for (const pkg of packages.slice(1)) {
    if (pkg.localName === 'sys' || pkg.path === SYS_PACKAGE_PATH) {
      const first = pkg.files[0];
      errors.push(
        new VsqlError(`package name ${pkg.localName} is reserved`, {
          file: first?.ast.file ?? SYS_FILE_NAME,
          line: 1,
          column: 1,
          kind: 'semantic',
        }),
      );
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const result = analyse(packages);
  if (result.errors.length > 0) return { ok: false, errors: result.errors };
  return { ok: true, appdef: result.appdef };
}

export interface AppDefSummary {
  name: string;
  counts: { workspaces: number; tables: number; views: number; extensions: number; roles: number };
  workspaces: string[];
  tables: string[];
  views: string[];
  extensions: string[];
  roles: string[];
}

/** Counts and names of the app's own definitions (sys excluded unless asked), for printouts. */
export function summariseAppDef(appdef: AppDef, options: { includeSys?: boolean } = {}): AppDefSummary {
  const keep = (q: string): boolean => options.includeSys === true || !q.startsWith('sys.');
  const names = (r: Record<string, unknown>): string[] => Object.keys(r).filter(keep);
  const workspaces = names(appdef.workspaces);
  const tables = names(appdef.tables);
  const views = names(appdef.views);
  const extensions = names(appdef.extensions);
  const roles = names(appdef.roles);
  return {
    name: appdef.name,
    counts: {
      workspaces: workspaces.length,
      tables: tables.length,
      views: views.length,
      extensions: extensions.length,
      roles: roles.length,
    },
    workspaces,
    tables,
    views,
    extensions,
    roles,
  };
}
