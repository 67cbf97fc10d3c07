/** The AppService of one loaded app: the edge's entry points, delegating to the core modules. */
import type { AppDef, QName } from '@stoa/vsql';
import type { AppRuntime } from './app-runtime.js';
import { executeCommand, executeDocChange } from './commands.js';
import { createIdentityService } from './identity/identity-service.js';
import type { IdentityService } from './identity/types.js';
import { createMembershipApi } from './membership/index.js';
import type { MembershipApi } from './membership/api.js';
import { authorizeSubscription, getDoc, listCDocs, readView, runQuery } from './reads.js';
import type {
  AppService,
  CallContext,
  CommandInput,
  CommandResult,
  CreateWorkspaceInput,
  ReadQuery,
  ReadResult,
  WorkspaceInfo,
} from './service.js';
import { createWorkspace, deactivateWorkspace, listWorkspaces } from './workspaces.js';

export class RuntimeAppService implements AppService {
  readonly owner: string;
  readonly name: string;
  readonly appdef: AppDef;
  readonly partitions: number;
  readonly versionHash: string;
  readonly identity: IdentityService;
  readonly membership: MembershipApi;

  constructor(readonly runtime: AppRuntime) {
    this.owner = runtime.bundle.owner;
    this.name = runtime.bundle.manifest.name;
    this.appdef = runtime.appdef;
    this.partitions = runtime.partitionCount;
    this.versionHash = runtime.bundle.versionHash;
    this.identity = createIdentityService(runtime, runtime.options.identity);
    this.membership = createMembershipApi(runtime);
  }

  createWorkspace(ctx: CallContext, input: CreateWorkspaceInput): Promise<{ wsid: number }> {
    return createWorkspace(this.runtime, ctx, input);
  }

  listWorkspaces(ctx: CallContext): Promise<readonly WorkspaceInfo[]> {
    return listWorkspaces(this.runtime, ctx);
  }

  deactivateWorkspace(ctx: CallContext, wsid: number): Promise<void> {
    return deactivateWorkspace(this.runtime, ctx, wsid);
  }

  executeCommand(ctx: CallContext, wsid: number, command: QName, input: CommandInput): Promise<CommandResult> {
    return executeCommand(this.runtime, ctx, wsid, command, input);
  }

  insertDoc(
    ctx: CallContext,
    wsid: number,
    table: QName,
    fields: Readonly<Record<string, unknown>>,
  ): Promise<CommandResult> {
    return executeDocChange(this.runtime, ctx, wsid, table, { insert: fields });
  }

  updateDoc(
    ctx: CallContext,
    wsid: number,
    table: QName,
    id: number,
    fields: Readonly<Record<string, unknown>>,
  ): Promise<CommandResult> {
    return executeDocChange(this.runtime, ctx, wsid, table, { id, fields });
  }

  deactivateDoc(ctx: CallContext, wsid: number, table: QName, id: number): Promise<CommandResult> {
    return executeDocChange(this.runtime, ctx, wsid, table, { id, fields: { 'sys.IsActive': false } });
  }

  getDoc(
    ctx: CallContext,
    wsid: number,
    table: QName,
    id: number,
    query: ReadQuery,
  ): Promise<Readonly<Record<string, unknown>>> {
    return getDoc(this.runtime, ctx, wsid, table, id, query);
  }

  listCDocs(ctx: CallContext, wsid: number, table: QName, query: ReadQuery): Promise<ReadResult> {
    return listCDocs(this.runtime, ctx, wsid, table, query);
  }

  runQuery(
    ctx: CallContext,
    wsid: number,
    query: QName,
    args: Readonly<Record<string, unknown>> | undefined,
    read: ReadQuery,
  ): Promise<ReadResult> {
    return runQuery(this.runtime, ctx, wsid, query, args, read);
  }

  readView(ctx: CallContext, wsid: number, view: QName, query: ReadQuery): Promise<ReadResult> {
    return readView(this.runtime, ctx, wsid, view, query);
  }

  authorizeSubscription(ctx: CallContext, wsid: number, view: QName): Promise<void> {
    return authorizeSubscription(this.runtime, ctx, wsid, view);
  }
}
