// Pass 5: commands, queries, projectors and jobs: parameters and results, STATE/INTENTS against
// the STORAGE declarations of sys, projector triggers, job placement and cron schedules.

import type {
  CommandStatement,
  JobStatement,
  ParamType,
  ProjectorStatement,
  QueryStatement,
  StorageReference,
  StorageStatement,
} from './ast.js';
import type { ExtensionDef, ParamRef, StorageDef, StorageRef, StorageScope, TriggerDef, TriggerOn } from './appdef.js';
import type { Analysis, Decl, DeclKind, Scope } from './analyser-context.js';
import { article, commentOf, kindLabel, toSourceRef, writtenName } from './analyser-context.js';
import type { TableKinds } from './analyser-fields.js';
import { resolveTags } from './analyser-tags.js';
import { findCronError } from './cron.js';

const WASM_RESERVED = new Set(['alloc', 'free', 'calloc', 'realloc', 'malloc', '_start', 'memory']);
const SCOPE_OF: Record<string, StorageScope> = {
  command: 'commands',
  query: 'queries',
  projector: 'projectors',
  job: 'jobs',
};
/** sys tables a projector may name as "any record of a family" (reference §1.10). */
const ABSTRACT_TRIGGER_TARGETS = new Set(['sys.CRecord', 'sys.WRecord', 'sys.ODoc']);

export function buildStorage(d: Decl): StorageDef {
  const st = d.node as StorageStatement;
  const keyOf = { GET: 'get', GETBATCH: 'getBatch', READ: 'read', INSERT: 'insert', UPDATE: 'update' } as const;
  const scopeOf = { COMMANDS: 'commands', QUERIES: 'queries', PROJECTORS: 'projectors', JOBS: 'jobs' } as const;
  const ops: StorageDef['ops'] = {};
  for (const op of st.operations) ops[keyOf[op.operation]] = op.scope.map((s) => scopeOf[s]);
  return { qname: d.qname, ops, entity: st.entityRecord ? 'record' : st.entityView ? 'view' : null };
}

export class ExtensionsPass {
  constructor(
    private readonly a: Analysis,
    private readonly kinds: TableKinds,
    private readonly storages: Map<Decl, StorageDef>,
  ) {}

  build(d: Decl): ExtensionDef | undefined {
    const a = this.a;
    const scope: Scope = { pkg: d.pkg, ws: d.ws };
    const kind = d.kind as ExtensionDef['kind'];
    if (d.engine === 'wasm' && (d.name.startsWith('Wasm') || WASM_RESERVED.has(d.name))) {
      a.error(`WASM extension name ${d.name} is reserved`, d.nameLoc);
    }
    const def: ExtensionDef = {
      qname: d.qname,
      kind,
      engine: d.engine ?? 'builtin',
      workspace: d.ws?.decl.qname ?? null,
      state: [],
      intents: [],
      tags: [],
      loc: toSourceRef(d.nameLoc),
    };
    const node = d.node as CommandStatement | QueryStatement | ProjectorStatement | JobStatement;
    def.state = this.storageRefs(scope, kind, node.state, 'STATE');
    if (node.kind !== 'QueryStatement') def.intents = this.storageRefs(scope, kind, node.intents, 'INTENTS');
    switch (node.kind) {
      case 'CommandStatement':
        def.param = this.param(scope, node.param, ['type', 'odoc'], 'type or ODoc');
        def.unloggedParam = this.param(scope, node.unloggedParam, ['type', 'table'], 'type or table');
        def.result = this.param(scope, node.returns, ['type', 'table'], 'type or table');
        def.tags = resolveTags(a, scope, node.with);
        break;
      case 'QueryStatement':
        def.param = this.param(scope, node.param, ['type'], 'type');
        if (!node.returns) a.error(`query ${d.name} must have a return type`, d.nameLoc);
        def.result = this.param(scope, node.returns, ['type'], 'type');
        def.tags = resolveTags(a, scope, node.with);
        break;
      case 'ProjectorStatement':
        def.sync = node.sync;
        def.triggers = this.triggers(scope, node);
        def.includingErrors = node.includingErrors;
        break;
      case 'JobStatement':
        if (d.ws?.decl.qname !== 'sys.AppWorkspaceWS') a.error('JOB is only allowed in AppWorkspaceWS', d.nameLoc);
        if (!node.schedule) a.error(`job ${d.name} has no cron schedule`, d.nameLoc);
        else {
          const err = findCronError(node.schedule.value);
          if (err) a.error(`invalid cron schedule '${node.schedule.value}': ${err}`, node.schedule.loc);
          def.cron = node.schedule.value;
        }
        break;
    }
    const withItems = 'with' in node ? node.with : [];
    const comment = commentOf(withItems, node.doc);
    if (comment !== undefined) def.comment = comment;
    return def;
  }

  /** A parameter/result: `any`, `void`, a TYPE, or (where allowed) a table / an ODoc. */
  private param(
    scope: Scope,
    p: ParamType | undefined,
    allowed: ('type' | 'table' | 'odoc')[],
    label: string,
  ): ParamRef {
    if (!p || p.kind === 'VoidType') return 'void';
    if (p.kind === 'AnyType') return 'any';
    const kinds: DeclKind[] = allowed.includes('type') ? ['type'] : [];
    if (allowed.includes('table') || allowed.includes('odoc')) kinds.push('table');
    const decl = this.a.expect(scope, p, kinds, label);
    if (!decl) return writtenName(p);
    if (decl.kind === 'table') {
      const info = this.kinds.get(decl);
      if (info?.abstract) this.a.error(`use of abstract table ${writtenName(p)}`, p.loc);
      else if (info && !allowed.includes('table') && info.kind !== 'ODoc') {
        this.a.error(`${writtenName(p)} is ${article(info.kind)}, not ${article(label)}`, p.loc);
      }
    }
    return decl.qname;
  }

  private storageRefs(
    scope: Scope,
    kind: ExtensionDef['kind'],
    items: StorageReference[],
    clause: 'STATE' | 'INTENTS',
  ): StorageRef[] {
    const a = this.a;
    const out: StorageRef[] = [];
    for (const item of items) {
      const decl = a.expect(scope, item.storage, ['storage'], 'storage');
      if (!decl) continue;
      const storage = this.storages.get(decl);
      if (!storage) continue;
      const ops =
        clause === 'STATE'
          ? [storage.ops.get, storage.ops.getBatch, storage.ops.read]
          : [storage.ops.insert, storage.ops.update];
      const scopeName = SCOPE_OF[kind]!;
      if (!ops.some((o) => o?.includes(scopeName))) {
        a.error(`${kind} cannot use storage ${decl.qname} in ${clause}`, item.storage.loc);
      }
      const entities: string[] = [];
      if (storage.entity && item.entities.length === 0) {
        a.error(`storage ${decl.qname} requires entity`, item.storage.loc);
      } else if (!storage.entity && item.entities.length > 0) {
        a.error(`storage ${decl.qname} does not take entities`, item.entities[0]!.loc);
      }
      for (const e of item.entities) {
        if (!storage.entity) break;
        const ent = a.expect(
          scope,
          e,
          [storage.entity === 'record' ? 'table' : 'view'],
          storage.entity === 'record' ? 'table' : 'view',
        );
        if (!ent) continue;
        if (this.kinds.get(ent)?.abstract) {
          a.error(`use of abstract table ${writtenName(e)}`, e.loc);
          continue;
        }
        if (!entities.includes(ent.qname)) entities.push(ent.qname);
      }
      out.push({ storage: decl.qname, entities });
    }
    return out;
  }

  private triggers(scope: Scope, node: ProjectorStatement): TriggerDef[] {
    const a = this.a;
    const out: TriggerDef[] = [];
    for (const t of node.triggers) {
      if (t.kind === 'CronTrigger') {
        a.error('scheduled projector deprecated; use jobs instead', t.loc);
        continue;
      }
      if (t.kind === 'ExecuteTrigger') {
        const targets: string[] = [];
        for (const q of t.targets) {
          const decl = a.resolve(scope, q);
          if (decl === null) continue;
          const label = t.withParam ? 'type or ODoc' : 'command';
          if (!decl) {
            a.error(`undefined ${label} ${writtenName(q)}`, q.loc);
            continue;
          }
          const info = decl.kind === 'table' ? this.kinds.get(decl) : undefined;
          const ok = t.withParam
            ? decl.kind === 'type' || (info?.kind === 'ODoc' && (!info.abstract || decl.qname === 'sys.ODoc'))
            : decl.kind === 'command';
          if (!ok) {
            const what = info ? info.kind : kindLabel(decl.kind);
            a.error(
              `AFTER EXECUTE${t.withParam ? ' WITH PARAM' : ''} ON ${writtenName(q)}: ${writtenName(q)} is ${article(what)}, not ${article(label)}`,
              q.loc,
            );
            continue;
          }
          targets.push(decl.qname);
        }
        out.push({ on: t.withParam ? 'executeWithParam' : 'execute', targets });
        continue;
      }
      const targets: string[] = [];
      for (const q of t.targets) {
        const decl = a.expect(scope, q, ['table'], 'table');
        if (!decl) continue;
        const info = this.kinds.get(decl);
        if (!info) continue;
        if (info.abstract && !ABSTRACT_TRIGGER_TARGETS.has(decl.qname)) {
          a.error(`projector refers to abstract table ${writtenName(q)}`, q.loc);
          continue;
        }
        if ((info.kind === 'ODoc' || info.kind === 'ORecord') && t.operations.some((o) => o !== 'INSERT')) {
          a.error(`only INSERT allowed for ${info.kind} ${writtenName(q)}`, q.loc);
          continue;
        }
        targets.push(decl.qname);
      }
      for (const op of t.operations) out.push({ on: op.toLowerCase() as TriggerOn, targets: [...targets] });
    }
    return out;
  }
}
