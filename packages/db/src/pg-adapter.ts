// The pg driver adapter shared by the client (createDb) and the Prisma CLI (prisma.config.ts).
// Prisma 6.19.3's WASM schema engine talks to Postgres only through a driver adapter; the stock
// @prisma/adapter-pg needs the fixes below for that (packages/db/README.md, "Workarounds").
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { AppError } from '@stoa/errors';
import pg from 'pg';

/** Where a database lives, as discrete fields (never a connection string: see PrismaPg below). */
export interface PgTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string | undefined;
  readonly database: string;
  readonly ssl: boolean;
}

const TEXT_OID = 25;
const TEXT_ARRAY_OID = 1009;
const CHAR_OID = 18;
/**
 * Catalog types the schema engine's introspection selects (`name`, `regproc`, `bpchar`,
 * `regconfig`, `"char"[]`, `name[]`) that adapter-pg refuses as "Unsupported column type": they
 * are strings (arrays parsed below), so reporting them as text is exact.
 */
const CATALOG_OID_AS_TEXT: ReadonlyMap<number, number> = new Map([
  [19, TEXT_OID],
  [24, TEXT_OID],
  [194, TEXT_OID],
  [2205, TEXT_OID],
  [1002, TEXT_ARRAY_OID],
  [1003, TEXT_ARRAY_OID],
]);
/** `ColumnTypeEnum.Character` of @prisma/driver-adapter-utils 6.19.3 (adapter-pg's own dependency). */
const CHARACTER_COLUMN_TYPE = 6;
/**
 * The single-byte `"char"` (OID 18, e.g. `pg_constraint.contype`) must reach the schema engine as
 * a Character column: as text, the engine panics ("unreachable") as soon as a CHECK constraint
 * exists. adapter-pg has no mapping for it, so the client reports it as text and remembers the
 * column, keyed by the result's rows array, which adapter-pg hands back unchanged.
 */
const charColumnsByRows = new WeakMap<object, number[]>();

/** pg has no parser for `"char"[]`/`name[]` and hands over '{a,b}'; text[]'s parser reads them. */
const parseTextArray = (pg.types.getTypeParser as (oid: number, format: 'text') => (value: string) => unknown)(
  TEXT_ARRAY_OID,
  'text',
);

interface PgResultLike {
  fields: { name: string; dataTypeID: number }[];
  rows: unknown[];
}

function isPgResult(value: unknown): value is PgResultLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    'fields' in value &&
    Array.isArray(value.fields) &&
    'rows' in value &&
    Array.isArray(value.rows)
  );
}

function parseArrayColumn(rows: unknown[], index: number, name: string): void {
  for (const row of rows) {
    // Rows are arrays for adapter-pg (rowMode "array"), objects for plain pg callers.
    const record = row as Record<string | number, unknown>;
    const key = Array.isArray(row) ? index : name;
    const value = record[key];
    if (typeof value === 'string') record[key] = parseTextArray(value);
  }
}

function remapFieldTypes(result: unknown): void {
  // A multi-statement simple query answers with one result per statement.
  const results: unknown[] = Array.isArray(result) ? result : [result];
  for (const r of results) {
    if (!isPgResult(r)) continue;
    const charColumns: number[] = [];
    r.fields.forEach((field, index) => {
      if (field.dataTypeID === CHAR_OID) {
        charColumns.push(index);
        field.dataTypeID = TEXT_OID;
        return;
      }
      const mapped = CATALOG_OID_AS_TEXT.get(field.dataTypeID);
      if (mapped === undefined) return;
      if (mapped === TEXT_ARRAY_OID) parseArrayColumn(r.rows, index, field.name);
      field.dataTypeID = mapped;
    });
    if (charColumns.length > 0) charColumnsByRows.set(r.rows, charColumns);
  }
}

interface RawResultSet {
  columnTypes: number[];
  rows: unknown[];
}

/** Restores Character for the `"char"` columns remapFieldTypes noted. */
function restoreCharColumns<T>(resultSet: T): T {
  const set = resultSet as unknown as RawResultSet;
  const charColumns = charColumnsByRows.get(set.rows);
  if (charColumns !== undefined) for (const index of charColumns) set.columnTypes[index] = CHARACTER_COLUMN_TYPE;
  return resultSet;
}

interface RawQueryable {
  queryRaw(query: never): Promise<unknown>;
}

function withCharColumns<Q extends RawQueryable>(queryable: Q): Q {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query: never) => restoreCharColumns(await queryRaw(query));
  return queryable;
}

type QueryCallback = (err: Error | null | undefined, res: unknown) => void;

/**
 * A pg.Client whose results report catalog types in ways adapter-pg accepts (workaround 1).
 * pg-pool calls `query` with a callback, transactions call it on a checked-out client without
 * one: both are covered.
 */
export class CatalogTypesClient extends pg.Client {}

// pg's overloads cannot be restated in a subclass; the original is called with its own `this`.
const baseQuery = Reflect.get(pg.Client.prototype, 'query') as (this: pg.Client, ...args: unknown[]) => unknown;
function queryWithCatalogTypes(this: pg.Client, ...args: unknown[]): unknown {
  const last = args.at(-1);
  if (typeof last === 'function') {
    const callback = last as QueryCallback;
    args[args.length - 1] = (err: Error | null | undefined, res: unknown) => {
      if (err === null || err === undefined) remapFieldTypes(res);
      callback(err, res);
    };
    return baseQuery.apply(this, args);
  }
  const out = baseQuery.apply(this, args);
  // Submittables (cursors, streams) come back as themselves; only promises carry a result.
  if (out instanceof Promise) {
    return out.then((res: unknown) => {
      remapFieldTypes(res);
      return res;
    });
  }
  return out;
}
CatalogTypesClient.prototype.query = queryWithCatalogTypes as pg.Client['query'];

/** Parses `postgresql://user[:password]@host[:port]/database[?sslmode=…]`. */
export function parseDatabaseUrl(databaseUrl: string): PgTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new AppError('BAD_REQUEST', 'database URL is not a URL (expected postgresql://user@host:port/database)');
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new AppError('BAD_REQUEST', `database URL must use postgresql:, not ${url.protocol}`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new AppError('BAD_REQUEST', 'database URL must name one database (postgresql://…/name)');
  }
  const sslmode = url.searchParams.get('sslmode');
  return {
    host: url.hostname === '' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 5432 : Number(url.port),
    user: url.username === '' ? 'postgres' : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    database,
    ssl: sslmode === 'require' || sslmode === 'verify-ca' || sslmode === 'verify-full',
  };
}

/** The same server and credentials, another database. */
export function withDatabase(target: PgTarget, database: string): PgTarget {
  return { ...target, database };
}

export function toDatabaseUrl(target: PgTarget): string {
  const auth =
    encodeURIComponent(target.user) + (target.password === undefined ? '' : `:${encodeURIComponent(target.password)}`);
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const query = target.ssl ? '?sslmode=require' : '';
  return `postgresql://${auth}@${host}:${target.port}/${encodeURIComponent(target.database)}${query}`;
}

export interface PoolOptions {
  /** Connections the pool may open (pg's default is 10). */
  readonly max?: number;
}

/**
 * Pool settings from discrete fields (workaround 2: adapter-pg derives the shadow database by
 * spreading `{ ...config, database }`, which a `connectionString` would silently override).
 * `allowExitOnIdle` lets a CLI process exit as soon as its work is done instead of idling until
 * pg's idle timeout closes the last connection.
 */
export function toPoolConfig(target: PgTarget, options: PoolOptions = {}): pg.PoolConfig {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    ssl: target.ssl,
    allowExitOnIdle: true,
    Client: CatalogTypesClient,
    ...(options.max === undefined ? {} : { max: options.max }),
  };
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;

/**
 * adapter-pg with `"char"` columns typed as Character (see charColumnsByRows) and a shadow
 * database that can be dropped (workaround 3): upstream drops the shadow database while its own
 * pool still holds connections, so the DROP fails and the database leaks. Here the shadow pool is
 * ended first and the DROP uses WITH (FORCE).
 */
export class StoaPgAdapterFactory extends PrismaPg {
  readonly #poolConfig: pg.PoolConfig;

  constructor(poolConfig: pg.PoolConfig) {
    super(poolConfig);
    this.#poolConfig = poolConfig;
  }

  override async connect(): Promise<PgAdapter> {
    const adapter = withCharColumns(await super.connect());
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => withCharColumns(await startTransaction(isolationLevel));
    return adapter;
  }

  override async connectToShadowDb(): Promise<PgAdapter> {
    const admin = await this.connect();
    // The stoa_db_ prefix marks every database Stoa's tooling creates and may drop.
    const database = `stoa_db_shadow_${randomUUID().replaceAll('-', '')}`;
    await admin.executeScript(`CREATE DATABASE ${quoteIdentifier(database)}`);
    const shadow = await new StoaPgAdapterFactory({ ...this.#poolConfig, database }).connect();
    const disposeShadowPool = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      try {
        await disposeShadowPool();
        await admin.executeScript(`DROP DATABASE IF EXISTS ${quoteIdentifier(database)} WITH (FORCE)`);
      } finally {
        await admin.dispose();
      }
    };
    return shadow;
  }
}

/** The adapter factory for one database URL (client and CLI alike). */
export function createPgAdapterFactory(databaseUrl: string, options: PoolOptions = {}): StoaPgAdapterFactory {
  return new StoaPgAdapterFactory(toPoolConfig(parseDatabaseUrl(databaseUrl), options));
}
