// Pass 1: register every named statement of every package (package-wide unique names), build the
// workspace skeletons (bodies, members, descriptors) and attach ALTER WORKSPACE bodies. No name
// is resolved here except ALTER targets, so later passes see every declaration.

import type {
  AlterWorkspaceStatement,
  ExtensionEngineStatement,
  Identifier,
  TableStatement,
  WorkspaceItem,
  WorkspaceStatement,
} from './ast.js';
import type { Analysis, Decl, DeclKind, Pkg, WsInfo } from './analyser-context.js';
import { descriptorSourceOf, qnameOf, tableSourceOf, writtenName } from './analyser-context.js';

function makeDecl(
  a: Analysis,
  pkg: Pkg,
  ws: WsInfo | null,
  kind: DeclKind,
  name: Identifier,
  node: Decl['node'],
  extra: Partial<Decl> = {},
): Decl | undefined {
  const decl: Decl = {
    kind,
    name: name.value,
    qname: qnameOf(pkg, name.value),
    pkg,
    ws,
    node,
    nameLoc: name.loc,
    ...extra,
  };
  if (!a.declare(decl)) return undefined;
  ws?.members.push(decl);
  return decl;
}

function collectTable(
  a: Analysis,
  pkg: Pkg,
  ws: WsInfo | null,
  t: TableStatement,
  parent?: Decl,
  containerName?: string,
): void {
  const extra = parent ? { parent, ...(containerName !== undefined ? { containerName } : {}) } : {};
  const decl = makeDecl(a, pkg, ws, 'table', t.name, t, { table: tableSourceOf(t, extra) });
  for (const item of t.items) {
    if (item.kind === 'NestedTable') {
      if (decl) collectTable(a, pkg, ws, item.table, decl, item.name.value);
      else collectTable(a, pkg, ws, item.table);
    }
  }
}

function collectExtensions(a: Analysis, pkg: Pkg, ws: WsInfo | null, block: ExtensionEngineStatement): void {
  const engine = block.engine === 'WASM' ? 'wasm' : 'builtin';
  for (const s of block.statements) {
    switch (s.kind) {
      case 'CommandStatement':
        makeDecl(a, pkg, ws, 'command', s.name, s, { engine });
        break;
      case 'QueryStatement':
        makeDecl(a, pkg, ws, 'query', s.name, s, { engine });
        break;
      case 'ProjectorStatement':
        makeDecl(a, pkg, ws, 'projector', s.name, s, { engine });
        break;
      case 'JobStatement':
        makeDecl(a, pkg, ws, 'job', s.name, s, { engine });
        break;
      case 'FunctionStatement':
        makeDecl(a, pkg, ws, 'function', s.name, s, { engine });
        break;
      case 'StorageStatement':
        if (!pkg.isSys) a.error('storages are only allowed in package sys', s.name.loc);
        makeDecl(a, pkg, ws, 'storage', s.name, s, { engine });
        break;
    }
  }
}

function collectBody(a: Analysis, pkg: Pkg, ws: WsInfo | null, items: WorkspaceItem[]): void {
  for (const item of items) {
    switch (item.kind) {
      case 'TableStatement':
        collectTable(a, pkg, ws, item);
        break;
      case 'TypeStatement':
        makeDecl(a, pkg, ws, 'type', item.name, item);
        break;
      case 'ViewStatement':
        makeDecl(a, pkg, ws, 'view', item.name, item);
        break;
      case 'RoleStatement':
        makeDecl(a, pkg, ws, 'role', item.name, item);
        break;
      case 'TagStatement':
        makeDecl(a, pkg, ws, 'tag', item.name, item);
        break;
      case 'RateStatement':
        makeDecl(a, pkg, ws, 'rate', item.name, item);
        break;
      case 'LimitStatement':
        makeDecl(a, pkg, ws, 'limit', item.name, item);
        break;
      case 'ExtensionEngineStatement':
        collectExtensions(a, pkg, ws, item);
        break;
      case 'WorkspaceStatement':
        collectWorkspace(a, pkg, item);
        break;
      default:
        // USE WORKSPACE, GRANT and REVOKE name nothing; later passes walk the bodies for them.
        break;
    }
  }
}

function collectWorkspace(a: Analysis, pkg: Pkg, node: WorkspaceStatement): void {
  const qname = qnameOf(pkg, node.name.value);
  const decl: Decl = { kind: 'workspace', name: node.name.value, qname, pkg, ws: null, node, nameLoc: node.name.loc };
  const ws: WsInfo = {
    decl,
    node,
    bodies: [{ pkg, items: node.statements }],
    members: [],
    descriptor: null,
    inherits: [],
    ancestors: [],
    uses: [],
    types: new Set(),
  };
  const declared = a.declare(decl);
  if (declared) a.workspaces.set(qname, ws);
  if (node.abstract && node.descriptor) {
    a.error(
      `abstract workspace ${node.name.value} cannot have a descriptor`,
      node.descriptor.name?.loc ?? node.descriptor.loc,
    );
  } else if (!node.abstract) {
    const d = node.descriptor;
    const name: Identifier = d?.name ?? {
      kind: 'Identifier',
      value: `${node.name.value}Descriptor`,
      loc: node.name.loc,
    };
    ws.descriptor =
      makeDecl(a, pkg, ws, 'table', name, d ?? node, {
        table: descriptorSourceOf(d, ws),
        nameLoc: d?.name?.loc ?? d?.loc ?? node.name.loc,
      }) ?? null;
  }
  collectBody(a, pkg, ws, node.statements);
}

/** Collects every package's declarations, then attaches ALTER WORKSPACE bodies to their targets. */
export function collectDeclarations(a: Analysis): void {
  const alters: { pkg: Pkg; node: AlterWorkspaceStatement }[] = [];
  for (const pkg of a.packages) {
    for (const file of pkg.files) {
      for (const st of file.ast.statements) {
        switch (st.kind) {
          case 'ImportStatement':
            collectImport(a, pkg, st.path.value, st.alias, st.path.loc);
            break;
          case 'ApplicationStatement':
            if (pkg.application) a.error('redefinition of application', st.name.loc);
            else pkg.application = st;
            break;
          case 'DeclareStatement':
            makeDecl(a, pkg, null, 'constant', st.name, st);
            break;
          case 'WorkspaceStatement':
            collectWorkspace(a, pkg, st);
            break;
          case 'AlterWorkspaceStatement':
            alters.push({ pkg, node: st });
            break;
          case 'RoleStatement':
            a.error(`ROLE ${st.name.value} must be declared inside a workspace`, st.name.loc);
            break;
          case 'ExtensionEngineStatement':
            collectExtensions(a, pkg, null, st);
            break;
          case 'TemplateStatement':
            break;
        }
      }
    }
  }
  a.sysWorkspace = a.workspaces.get('sys.Workspace');
  for (const { pkg, node } of alters) {
    const target = a.expect({ pkg, ws: null }, node.workspace, ['workspace'], 'workspace');
    const ws = target ? a.workspaces.get(target.qname) : undefined;
    if (ws && !ws.node.alterable && ws.decl.pkg !== pkg) {
      a.error(`workspace ${writtenName(node.workspace)} is not alterable`, node.workspace.loc);
    }
    if (ws) ws.bodies.push({ pkg, items: node.statements, alteredBy: node.workspace });
    collectBody(a, pkg, ws ?? null, node.statements);
  }
}

function collectImport(a: Analysis, pkg: Pkg, path: string, alias: Identifier | undefined, loc: Decl['nameLoc']): void {
  const local = alias?.value ?? path.split('/').pop() ?? path;
  const at = alias?.loc ?? loc;
  if (local === pkg.localName) {
    a.error(`import name ${local} conflicts with the package's own name`, at);
    return;
  }
  const bound = pkg.imports.get(local);
  if (bound !== undefined && bound !== path) {
    a.error(`redefinition of import name ${local}`, at);
    return;
  }
  if (!a.byPath.has(path)) {
    a.error(`undefined package ${path}`, loc);
    return;
  }
  pkg.imports.set(local, path);
}

/** APPLICATION rules: exactly one per app, and every imported package used by it. */
export function checkApplication(a: Analysis): string {
  const apps = a.packages.filter((p) => p.application);
  const main = a.packages.find((p) => !p.isSys);
  if (apps.length === 0) {
    const first = main?.files[0]?.ast;
    if (first) a.error('application not defined', first.loc.start);
    return main?.localName ?? 'app';
  }
  for (const extra of apps.slice(1)) {
    if (extra.application) a.error('redefinition of application', extra.application.name.loc);
  }
  const appPkg = apps[0]!;
  const app = appPkg.application!;
  const used = new Set(app.uses.map((u) => u.value));
  for (const u of app.uses) {
    if (!appPkg.imports.has(u.value)) a.error(`undefined package ${u.value}`, u.loc);
  }
  for (const pkg of a.packages) {
    for (const file of pkg.files) {
      for (const st of file.ast.statements) {
        if (st.kind !== 'ImportStatement' || pkg !== appPkg) continue;
        const local = st.alias?.value ?? st.path.value.split('/').pop() ?? '';
        if (!used.has(local))
          a.error(`application does not define use of package ${local}`, st.alias?.loc ?? st.path.loc);
      }
    }
  }
  return app.name.value;
}
