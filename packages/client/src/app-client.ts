import { IdentityClient } from './identity-client.js';
import { MembershipClient } from './membership-client.js';
import { buildReadQuery, seg } from './query-string.js';
import { mapResult, results, type Result } from './result.js';
import type { RequestSpec, Transport } from './transport.js';
import type {
  CommandInput,
  CommandResult,
  CreateWorkspaceInput,
  Cud,
  GetDocOptions,
  InsertResult,
  ListOptions,
  QName,
  Row,
  WorkspaceInfo,
} from './types.js';

/**
 * The API v2 of one app (`/api/v2/apps/{owner}/{app}`): workspaces, docs, cdocs, CUDs, commands,
 * queries, views and the OpenAPI document; `identity` and `membership` hold the identity and
 * membership routes. Row types are generic because the app's schema decides them.
 */
export class AppClient {
  readonly identity: IdentityClient;
  readonly membership: MembershipClient;
  /** `/api/v2/apps/{owner}/{app}` (encoded). */
  readonly prefix: string;

  constructor(
    private readonly transport: Transport,
    readonly owner: string,
    readonly name: string,
  ) {
    this.prefix = `/api/v2/apps/${seg(owner)}/${seg(name)}`;
    const send = <T>(spec: RequestSpec): Promise<Result<T>> => this.send<T>(spec);
    this.identity = new IdentityClient(send);
    this.membership = new MembershipClient(send);
  }

  /** The same app with another token (e.g. the one `identity.login` returned); undefined = anonymous. */
  withToken(token: string | undefined): AppClient {
    return new AppClient(this.transport.withToken(token), this.owner, this.name);
  }

  // ---- workspaces

  /** Workspaces the caller owns or is a member of. */
  async listWorkspaces(): Promise<Result<readonly WorkspaceInfo[]>> {
    return results(await this.send<{ results: WorkspaceInfo[] }>({ method: 'GET', path: '/workspaces' }));
  }

  /** 201 → the new WSID (usable at once). */
  async createWorkspace(input: CreateWorkspaceInput): Promise<Result<number>> {
    const body = { kind: input.kind, name: input.name, descriptor: input.descriptor ?? {} };
    const res = await this.send<{ wsid: number }>({ method: 'POST', path: '/workspaces', body });
    return mapResult(res, (v) => v.wsid);
  }

  /** Owner only; afterwards every request to the workspace is 410 GONE. */
  deactivateWorkspace(wsid: number): Promise<Result<void>> {
    return this.send({ method: 'DELETE', path: `/workspaces/${seg(wsid)}`, expect: 'empty' });
  }

  // ---- docs

  /** Inserts one CDoc/WDoc; without `sys.ID` the engine uses raw id 1 (`newIDs['1']`). */
  insertDoc(wsid: number, table: QName, fields: Readonly<Record<string, unknown>>): Promise<Result<InsertResult>> {
    return this.send({ method: 'POST', path: `${ws(wsid)}/docs/${seg(table)}`, body: fields });
  }

  getDoc<T = Row>(wsid: number, table: QName, id: number, options: GetDocOptions = {}): Promise<Result<T>> {
    const query = buildReadQuery({ ...optional('keys', options.keys), ...optional('include', options.include) });
    return this.send({ method: 'GET', path: `${ws(wsid)}/docs/${seg(table)}/${seg(id)}`, query });
  }

  /** Changes the given fields (never `sys.ID`; `sys.IsActive` alone to (de)activate). */
  patchDoc(
    wsid: number,
    table: QName,
    id: number,
    fields: Readonly<Record<string, unknown>>,
  ): Promise<Result<CommandResult>> {
    return this.send({ method: 'PATCH', path: `${ws(wsid)}/docs/${seg(table)}/${seg(id)}`, body: fields });
  }

  deactivateDoc(wsid: number, table: QName, id: number): Promise<Result<CommandResult>> {
    return this.send({ method: 'DELETE', path: `${ws(wsid)}/docs/${seg(table)}/${seg(id)}` });
  }

  /** Active and inactive docs of a CDoc table (`where: {'sys.IsActive': true}` to filter). */
  async listCDocs<T = Row>(wsid: number, table: QName, options: ListOptions = {}): Promise<Result<readonly T[]>> {
    const query = buildReadQuery(options);
    return results(
      await this.send<{ results: T[] }>({ method: 'GET', path: `${ws(wsid)}/cdocs/${seg(table)}`, query }),
    );
  }

  /** 1..100 CUDs in one event (all or nothing). */
  cuds(wsid: number, cuds: readonly Cud[]): Promise<Result<CommandResult>> {
    return this.send({ method: 'POST', path: `${ws(wsid)}/cuds`, body: { cuds } });
  }

  // ---- functions

  exec<R = Row>(wsid: number, command: QName, input: CommandInput = {}): Promise<Result<CommandResult<R>>> {
    const body: Record<string, unknown> = {};
    if (input.args !== undefined) body['args'] = input.args;
    if (input.unloggedArgs !== undefined) body['unloggedArgs'] = input.unloggedArgs;
    return this.send({ method: 'POST', path: `${ws(wsid)}/commands/${seg(command)}`, body });
  }

  /** The query's result rows; `args` travel as JSON in the query string. */
  async query<T = Row>(
    wsid: number,
    query: QName,
    args?: Readonly<Record<string, unknown>>,
    options: ListOptions = {},
  ): Promise<Result<readonly T[]>> {
    const q = buildReadQuery(options, args);
    return results(
      await this.send<{ results: T[] }>({ method: 'GET', path: `${ws(wsid)}/queries/${seg(query)}`, query: q }),
    );
  }

  /** View rows; `where` must fix the view's partition key (else 400 naming the missing field). */
  async readView<T = Row>(wsid: number, view: QName, options: ListOptions = {}): Promise<Result<readonly T[]>> {
    const query = buildReadQuery(options);
    return results(await this.send<{ results: T[] }>({ method: 'GET', path: `${ws(wsid)}/views/${seg(view)}`, query }));
  }

  /** The app's OpenAPI 3.1 document (public). */
  openapi(): Promise<Result<Row>> {
    return this.send({ method: 'GET', path: '/openapi.json' });
  }

  private send<T>(spec: RequestSpec): Promise<Result<T>> {
    return this.transport.request<T>({ ...spec, path: `${this.prefix}${spec.path}` });
  }
}

function ws(wsid: number): string {
  return `/workspaces/${seg(wsid)}`;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
