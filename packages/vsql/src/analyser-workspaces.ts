// Pass 2: workspace inheritance (bases must be abstract, no cycles, implicit sys.Workspace),
// USE WORKSPACE, and the set of types usable in each workspace.

import type { QName } from './appdef.js';
import type { Analysis, WsInfo } from './analyser-context.js';
import { writtenName } from './analyser-context.js';

const MEMBER_KINDS = new Set([
  'table',
  'type',
  'view',
  'command',
  'query',
  'projector',
  'job',
  'role',
  'tag',
  'rate',
  'limit',
]);

function resolveBases(a: Analysis, ws: WsInfo): void {
  for (const q of ws.node.inherits) {
    const decl = a.expect({ pkg: ws.decl.pkg, ws: null }, q, ['workspace'], 'workspace');
    if (!decl) continue;
    if (decl.qname === 'sys.Workspace') {
      a.error('explicit inheritance from sys.Workspace is not allowed: every workspace inherits it', q.loc);
      continue;
    }
    const base = a.workspaces.get(decl.qname);
    if (!base) continue;
    if (!base.node.abstract) a.error(`base workspace ${writtenName(q)} must be abstract`, q.loc);
    ws.inherits.push(base);
  }
  const sysWs = a.sysWorkspace;
  if (ws.inherits.length === 0 && sysWs && ws !== sysWs) ws.inherits.push(sysWs);
}

/** Farthest ancestors first; reports a cycle once, at the workspace that closes it. */
function computeAncestors(a: Analysis, ws: WsInfo, done: Set<WsInfo>, visiting: Set<WsInfo>): void {
  if (done.has(ws)) return;
  if (visiting.has(ws)) {
    a.error(`circular inheritance of workspace ${ws.decl.name}`, ws.decl.nameLoc);
    return;
  }
  visiting.add(ws);
  const out: WsInfo[] = [];
  const add = (w: WsInfo): void => {
    if (w !== ws && !out.includes(w)) out.push(w);
  };
  for (const base of ws.inherits) {
    computeAncestors(a, base, done, visiting);
    base.ancestors.forEach(add);
    add(base);
  }
  const sysWs = a.sysWorkspace;
  if (sysWs && ws !== sysWs && !out.includes(sysWs)) out.unshift(sysWs);
  ws.ancestors = out;
  visiting.delete(ws);
  done.add(ws);
}

function resolveUses(a: Analysis, ws: WsInfo): void {
  for (const body of ws.bodies) {
    for (const item of body.items) {
      if (item.kind !== 'UseWorkspaceStatement') continue;
      const q = { kind: 'QualifiedName' as const, name: item.workspace, loc: item.workspace.loc };
      const decl = a.expect({ pkg: body.pkg, ws }, q, ['workspace'], 'workspace');
      const used = decl ? a.workspaces.get(decl.qname) : undefined;
      if (!used) continue;
      if (used.node.abstract) a.error(`use of abstract workspace ${item.workspace.value}`, item.workspace.loc);
      else if (!ws.uses.includes(used)) ws.uses.push(used);
    }
  }
}

export function analyseWorkspaces(a: Analysis): void {
  const all = [...a.workspaces.values()];
  for (const ws of all) resolveBases(a, ws);
  const done = new Set<WsInfo>();
  for (const ws of all) computeAncestors(a, ws, done, new Set());
  for (const ws of all) resolveUses(a, ws);
  for (const ws of all) {
    const types = new Set<QName>();
    for (const w of [ws, ...ws.ancestors]) {
      for (const m of w.members) if (MEMBER_KINDS.has(m.kind)) types.add(m.qname);
    }
    for (const used of ws.uses) if (used.descriptor) types.add(used.descriptor.qname);
    ws.types = types;
  }
}
