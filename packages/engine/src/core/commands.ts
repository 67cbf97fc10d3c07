/**
 * The command pipeline (ARCHITECTURE.md §5): workspace active → command exists → ACL → parse and
 * validate args and CUDs (outside the single writer, concurrently) → in the partition: resolve
 * ids/records, run the extension (state reads + intents), validate the event (required, refs,
 * uniques), apply it to the batch's in-memory state (records, sync projectors) → the partition
 * commits the batch (PLog insert) and applies it → respond.
 */
import { AppError, isAppError } from '@stoa/errors';
import type { ExtensionDef, QName } from '@stoa/vsql';
import { assertInWorkspace, authorize, resolveAccess, type Access } from './access.js';
import { commitEvent } from './apply.js';
import type { AppRuntime } from './app-runtime.js';
import { CudParser, isObject, type CudPlan } from './cud-parse.js';
import { CudResolver } from './cud-resolve.js';
import { buildExtensionContext, responseError } from './ext-context.js';
import { invalidField, normalizeObject, tableIsA } from './fields.js';
import type { CallContext, CommandInput, CommandResult } from './service.js';
import type { Tx } from './tx.js';

export const SYS_CUD = 'sys.CUD';

interface PreparedCommand {
  readonly access: Access;
  readonly ext: ExtensionDef;
  readonly arg: Record<string, unknown> | undefined;
  readonly unlogged: Record<string, unknown> | undefined;
  readonly plans: readonly CudPlan[];
  /** ODoc argument records: no per-CUD ACL (EXECUTE on the command covers them). */
  readonly argPlans: readonly CudPlan[];
  /** updateDoc/deactivateDoc: the table the path named. */
  readonly expectTable?: QName;
}

function parseParam(
  app: AppRuntime,
  ext: ExtensionDef,
  param: string | undefined,
  value: unknown,
  where: 'args' | 'unloggedArgs',
  parser: CudParser,
): Record<string, unknown> | undefined {
  const empty = value === undefined || value === null || (isObject(value) && Object.keys(value).length === 0);
  if (param === undefined || param === 'void') {
    if (!empty) throw new AppError('VALIDATION_FAILED', `${ext.qname} takes no ${where}`, { data: { field: where } });
    return undefined;
  }
  if (!isObject(value))
    throw new AppError('VALIDATION_FAILED', `${where}: expected an object`, { data: { field: where } });
  if (param === 'any') return { ...value };
  const table = app.appdef.tables[param];
  if (table !== undefined) {
    parser.addInsert(param, value, where, 'VALIDATION_FAILED');
    return undefined;
  }
  return normalizeObject(app.appdef, param, value, where);
}

function findCommand(app: AppRuntime, command: QName): ExtensionDef {
  const ext = app.appdef.extensions[command];
  if (ext?.kind !== 'command') throw new AppError('NOT_FOUND', `unknown command ${command}`, { qname: command });
  return ext;
}

export async function executeCommand(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  command: QName,
  input: CommandInput,
): Promise<CommandResult> {
  const access = await resolveAccess(app, ctx, wsid);
  const ext = findCommand(app, command);
  assertInWorkspace(app, access.meta, command, 'command');
  authorize(app, access, 'execute', command);
  const argParser = new CudParser(app.appdef, access.meta.kind, true);
  const arg = parseParam(app, ext, ext.param, input.args, 'args', argParser);
  const unlogged = parseParam(
    app,
    ext,
    ext.unloggedParam,
    input.unloggedArgs,
    'unloggedArgs',
    new CudParser(app.appdef, access.meta.kind),
  );
  const parser = new CudParser(app.appdef, access.meta.kind);
  if (input.cuds !== undefined && input.cuds.length > 0) {
    if (command !== SYS_CUD)
      throw new AppError('VALIDATION_FAILED', `CUDs are accepted only by ${SYS_CUD}`, { data: { field: 'cuds' } });
    input.cuds.forEach((c, i) => parser.addInput(c, `cuds[${i}]`));
  }
  return run(app, { access, ext, arg, unlogged, plans: parser.plans, argPlans: argParser.plans });
}

/** POST /docs, PATCH/DELETE /docs/{id}: one CUD through sys.CUD. */
export async function executeDocChange(
  app: AppRuntime,
  ctx: CallContext,
  wsid: number,
  table: QName,
  change:
    | { readonly insert: Readonly<Record<string, unknown>> }
    | { readonly id: number; readonly fields: Readonly<Record<string, unknown>> },
): Promise<CommandResult> {
  const access = await resolveAccess(app, ctx, wsid);
  const def = app.appdef.tables[table];
  if (def === undefined || def.abstract) throw new AppError('NOT_FOUND', `unknown table ${table}`, { qname: table });
  if (def.kind === 'ODoc' || def.kind === 'ORecord') {
    throw new AppError('METHOD_NOT_ALLOWED', `${table} is an ODoc; ODocs are created only as command arguments`, {
      qname: table,
    });
  }
  assertInWorkspace(app, access.meta, table, 'table');
  const ext = findCommand(app, SYS_CUD);
  authorize(app, access, 'execute', SYS_CUD);
  const parser = new CudParser(app.appdef, access.meta.kind);
  if ('insert' in change) {
    if (!isObject(change.insert)) throw new AppError('VALIDATION_FAILED', 'expected the document fields as an object');
    const fields = change.insert['sys.ID'] === undefined ? { ...change.insert, 'sys.ID': 1 } : change.insert;
    parser.addInsert(table, fields, 'fields', 'NOT_FOUND');
  } else {
    if (!isObject(change.fields)) throw new AppError('VALIDATION_FAILED', 'expected the changed fields as an object');
    parser.addUpdate(change.id, change.fields, 'fields');
  }
  return run(app, {
    access,
    ext,
    arg: undefined,
    unlogged: undefined,
    plans: parser.plans,
    argPlans: [],
    ...('id' in change ? { expectTable: table } : {}),
  });
}

async function run(app: AppRuntime, cmd: PreparedCommand): Promise<CommandResult> {
  const started = performance.now();
  const labels = { app: app.key, command: cmd.ext.qname };
  try {
    const result = await app.partitionFor(cmd.access.meta.wsid).submit((tx) => executeInPartition(app, cmd, tx));
    app.metrics.commands.inc({ ...labels, status: '200' });
    return result;
  } catch (error) {
    app.metrics.commands.inc({ ...labels, status: String(isAppError(error) ? error.httpStatus : 500) });
    throw error;
  } finally {
    app.metrics.commandDuration.observe(labels, (performance.now() - started) / 1000);
  }
}

async function executeInPartition(app: AppRuntime, cmd: PreparedCommand, tx: Tx): Promise<CommandResult> {
  const { access, ext } = cmd;
  const wsid = access.meta.wsid;
  const meta = await app.workspaces.get(wsid);
  if (meta?.active !== true) throw new AppError('GONE', `workspace ${wsid} is inactive`, { data: { wsid } });
  await tx.seq(wsid); // loads the id sequence allocateId draws from
  const resolver = new CudResolver({
    appdef: app.appdef,
    wsid,
    state: tx.state,
    allocateId() {
      return tx.allocateId(wsid);
    },
    singletonId(t) {
      return app.singletonId(t);
    },
    authorize(privilege, table, fields) {
      authorize(app, access, privilege, table, fields);
    },
    ...(cmd.expectTable === undefined ? {} : { expectTable: cmd.expectTable }),
  });
  await resolver.addPlan(cmd.argPlans);
  const argInserts = resolver.inserts.length;
  await resolver.addPlan(cmd.plans);
  // ODoc argument records are covered by EXECUTE on the command.
  resolver.inserts.splice(
    0,
    argInserts,
    ...resolver.inserts.slice(0, argInserts).map((i) => ({ ...i, checkAcl: false })),
  );
  if (cmd.arg !== undefined) await checkArgRefs(app, ext, cmd.arg, tx, wsid);
  const arg = cmd.arg ?? buildODocArg(app, cmd.argPlans, resolver.inserts.slice(0, argInserts));

  const built = buildExtensionContext({
    appdef: app.appdef,
    ext,
    wsid,
    partition: tx.partition,
    state: tx.state,
    writes: tx.writes,
    arg,
    unloggedArg: cmd.unlogged,
    now: tx.now,
    logger: app.logger,
    logBindings: { wsid, requestId: access.ctx.requestId },
    getSecret(name) {
      return app.getSecret(name);
    },
    allocateId() {
      return tx.allocateId(wsid);
    },
  });
  try {
    await app.extensions.invoke(built.ctx);
  } finally {
    built.close();
  }
  const { intents } = built;
  const failed = responseError(ext.qname, intents.response);
  if (failed !== undefined) throw failed;
  for (const ins of intents.inserts)
    resolver.addIntentInsert(ins.table, ins.id, ins.fields, `${ext.qname} insertRecord(${ins.table})`);
  for (const up of intents.updates) {
    await resolver.addUpdate(up.id, up.fields, `${ext.qname} updateRecord(${up.id})`, false);
    const table = resolver.updates[resolver.updates.length - 1]!.table;
    if (
      !ext.intents.some((i) => i.storage === 'sys.Record' && i.entities.some((e) => tableIsA(app.appdef, table, e)))
    ) {
      throw new AppError('INTERNAL', `${ext.qname} may not write sys.Record(${table}): not in its INTENTS`, {
        qname: ext.qname,
      });
    }
  }
  const { cuds, newIDs } = await resolver.finish();

  const event = await commitEvent(app, tx, {
    qname: ext.qname,
    wsid,
    ...(arg === undefined ? {} : { arg }),
    ...(cmd.unlogged === undefined ? {} : { unlogged: maskUnlogged(cmd.unlogged) }),
    cuds,
    subject: access.ctx.principal?.subject ?? '',
  });
  const result = intents.results[0];
  return {
    currentWLogOffset: event.wlogOffset,
    ...(Object.keys(newIDs).length > 0 ? { newIDs } : {}),
    ...(result === undefined ? {} : { result: checkResult(app, ext, result) }),
  };
}

/**
 * The ODoc argument as the extension sees it: the root record with its nested records in their
 * container arrays (every container present, `[]` when empty), each with its generated `sys.ID`
 * and its parent's as `sys.ParentID`. `inserts[i]` is the resolved insert of `plans[i]`.
 */
function buildODocArg(
  app: AppRuntime,
  plans: readonly CudPlan[],
  inserts: readonly { readonly table: QName; readonly id: number; readonly fields: Record<string, unknown> }[],
): Record<string, unknown> | undefined {
  const byRawId = new Map<number, Record<string, unknown>>();
  let root: Record<string, unknown> | undefined;
  plans.forEach((plan, i) => {
    const ins = inserts[i];
    if (plan.op !== 'insert' || ins === undefined) return;
    const { ['sys.ParentID']: parentRaw, ['sys.Container']: container, ...fields } = ins.fields;
    const record: Record<string, unknown> = { ...fields, 'sys.ID': ins.id };
    for (const c of app.appdef.tables[ins.table]?.containers ?? []) record[c.name] = [];
    byRawId.set(plan.rawId, record);
    const parent = typeof parentRaw === 'number' ? byRawId.get(parentRaw) : undefined;
    if (parent === undefined || typeof container !== 'string') {
      root ??= record;
      return;
    }
    record['sys.ParentID'] = parent['sys.ID'];
    record['sys.Container'] = container;
    const list = parent[container];
    if (Array.isArray(list)) list.push(record);
    else parent[container] = [record];
  });
  return root;
}

/**
 * A ref in a TYPE argument that names an existing record of another table is bad input (400). A
 * ref to a record that does not exist is left to the extension (BEHAVIOUR of todo.CompleteTask:
 * 404 from the extension).
 */
async function checkArgRefs(
  app: AppRuntime,
  ext: ExtensionDef,
  arg: Record<string, unknown>,
  tx: Tx,
  wsid: number,
): Promise<void> {
  const def = ext.param === undefined ? undefined : app.appdef.objects[ext.param];
  for (const f of def?.fields ?? []) {
    const targets = f.type.refTargets ?? [];
    const id = arg[f.name];
    if (f.type.kind !== 'ref' || targets.length === 0 || typeof id !== 'number') continue;
    const rec = await tx.state.getRecord(wsid, id);
    const table = rec === undefined ? undefined : String(rec['sys.QName']);
    if (table !== undefined && !targets.some((t) => tableIsA(app.appdef, table, t))) {
      throw invalidField(f.name, `record ${id} is a ${table}, expected ${targets.join(' or ')}`, 'args');
    }
  }
}

/** Unlogged arguments never reach storage in clear: only their field names survive. */
export function maskUnlogged(unlogged: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(unlogged)) out[k] = '***';
  return out;
}

function checkResult(app: AppRuntime, ext: ExtensionDef, result: Record<string, unknown>): Record<string, unknown> {
  const type = ext.result;
  if (type === undefined || type === 'any' || app.appdef.objects[type] === undefined) return result;
  try {
    return normalizeObject(app.appdef, type, result, `${ext.qname} result`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new AppError('INTERNAL', `extension ${ext.qname} returned an invalid result: ${message}`, {
      qname: ext.qname,
    });
  }
}
