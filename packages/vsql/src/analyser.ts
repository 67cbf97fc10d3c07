// The analyser: parsed files of the app's packages (sys included) → AppDef plus every semantic
// error. Passes, in order: collect declarations (analyser-collect), workspaces, tables and types,
// views, extensions, then roles/tags/rates/limits/ACL; each pass reports errors and goes on, so
// one run lists them all.

import type { AppDef, WorkspaceDef } from './appdef.js';
import { APPDEF_VERSION } from './appdef.js';
import type { VsqlError } from './diagnostics.js';
import type { Decl, ParsedFile } from './analyser-context.js';
import { Analysis, toSourceRef } from './analyser-context.js';
import { checkApplication, collectDeclarations } from './analyser-collect.js';
import { analyseWorkspaces } from './analyser-workspaces.js';
import { TablesPass } from './analyser-tables.js';
import { analyseView } from './analyser-views.js';
import { buildStorage, ExtensionsPass } from './analyser-extensions.js';
import { AclPass, buildConstant, buildRate, buildRole, buildTag } from './analyser-acl.js';

export interface PackageInput {
  localName: string;
  path: string;
  isSys: boolean;
  files: ParsedFile[];
}

export interface AnalysisResult {
  appdef: AppDef;
  errors: VsqlError[];
}

export function analyse(packages: PackageInput[]): AnalysisResult {
  const a = new Analysis();
  for (const p of packages) a.addPackage({ ...p, decls: new Map(), imports: new Map() });
  collectDeclarations(a);
  const name = checkApplication(a);
  analyseWorkspaces(a);
  const decls = [...a.decls.values()];
  const ofKind = (k: Decl['kind']): Decl[] => decls.filter((d) => d.kind === k);

  const tablesPass = new TablesPass(a);
  tablesPass.run(decls);

  const storages = new Map(ofKind('storage').map((d) => [d, buildStorage(d)]));
  const views = new Map(
    ofKind('view').flatMap((d) => {
      const v = analyseView(a, d, tablesPass.kinds);
      return v ? [[d, v] as const] : [];
    }),
  );
  const extPass = new ExtensionsPass(a, tablesPass.kinds, storages);
  const extDecls = decls.filter(
    (d) => d.kind === 'command' || d.kind === 'query' || d.kind === 'projector' || d.kind === 'job',
  );
  const extensions = new Map(
    extDecls.flatMap((d) => {
      const e = extPass.build(d);
      return e ? [[d, e] as const] : [];
    }),
  );

  const acl = new AclPass(a, { tables: tablesPass.tables, views });
  for (const [d, e] of extensions) acl.extensionTags.set(d, e.tags);

  const appdef: AppDef = {
    appdefVersion: APPDEF_VERSION,
    name,
    packages: a.packages.map((p) => ({ localName: p.localName, path: p.path })),
    workspaces: {},
    tables: {},
    objects: {},
    views: {},
    extensions: {},
    roles: {},
    rates: {},
    limits: {},
    tags: {},
    storages: {},
    constants: {},
  };
  for (const d of decls) {
    switch (d.kind) {
      case 'workspace': {
        const ws = a.workspaces.get(d.qname);
        if (!ws) break;
        const def: WorkspaceDef = {
          qname: d.qname,
          abstract: ws.node.abstract,
          alterable: ws.node.alterable,
          pool: ws.node.pool,
          descriptor: ws.descriptor?.qname ?? null,
          inherits: ws.inherits.map((w) => w.decl.qname),
          ancestors: ws.ancestors.map((w) => w.decl.qname),
          uses: ws.uses.map((w) => w.decl.qname),
          types: [...ws.types].sort(),
          acl: acl.buildAcl(ws),
          loc: toSourceRef(d.nameLoc),
        };
        if (ws.node.doc !== undefined) def.comment = ws.node.doc;
        appdef.workspaces[d.qname] = def;
        break;
      }
      case 'table': {
        const t = tablesPass.tables.get(d);
        if (t) appdef.tables[d.qname] = t;
        break;
      }
      case 'type': {
        const o = tablesPass.objects.get(d);
        if (o) appdef.objects[d.qname] = o;
        break;
      }
      case 'view': {
        const v = views.get(d);
        if (v) appdef.views[d.qname] = v;
        break;
      }
      case 'command':
      case 'query':
      case 'projector':
      case 'job': {
        const e = extensions.get(d);
        if (e) appdef.extensions[d.qname] = e;
        break;
      }
      case 'role':
        appdef.roles[d.qname] = buildRole(d);
        break;
      case 'tag':
        appdef.tags[d.qname] = buildTag(d);
        break;
      case 'rate':
        appdef.rates[d.qname] = buildRate(a, d);
        break;
      case 'limit':
        appdef.limits[d.qname] = acl.buildLimit(d);
        break;
      case 'storage': {
        const s = storages.get(d);
        if (s) appdef.storages[d.qname] = s;
        break;
      }
      case 'constant':
        appdef.constants[d.qname] = buildConstant(a, d);
        break;
      case 'function':
        // Parsed, not built into the AppDef (as in Voedger).
        break;
    }
  }
  return { appdef, errors: a.sortedErrors() };
}
