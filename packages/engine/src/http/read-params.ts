import { AppError } from '@stoa/errors';
import type { z } from 'zod';
import type { ReadQuery } from '../core/service.js';
import { genericWhere, parseJsonParam, parseOrThrow, readParamSchemas } from './validation.js';

/**
 * API v2 read parameters from the query string: `where` and `args` are JSON objects checked
 * against the entity's schema, `order`/`keys`/`include` comma lists, `limit`/`skip` integers.
 * A parameter the route does not take, or one given twice, is a 400 naming it.
 */

export type ReadParamName = 'where' | 'order' | 'limit' | 'skip' | 'keys' | 'include' | 'args';

export const DOC_PARAMS: readonly ReadParamName[] = ['keys', 'include'];
export const LIST_PARAMS: readonly ReadParamName[] = ['where', 'order', 'limit', 'skip', 'keys', 'include'];
export const QUERY_PARAMS: readonly ReadParamName[] = [...LIST_PARAMS, 'args'];
export const NO_PARAMS: readonly ReadParamName[] = [];

export interface ParsedReadParams {
  readonly read: ReadQuery;
  readonly args: Readonly<Record<string, unknown>> | undefined;
}

export interface EntitySchemas {
  where(): z.ZodType;
  args?(): z.ZodType;
  /** Names `order` and `keys` may use (first segment of a dotted name); undefined = not checked. */
  names?(): ReadonlySet<string> | undefined;
}

/** A name of `order` (without its `-`) or `keys` that the entity does not have → 400 naming it. */
function checkNames(param: 'order' | 'keys', list: readonly string[], schemas: EntitySchemas | undefined): void {
  const names = schemas?.names?.();
  if (names === undefined) return;
  for (const item of list) {
    const name = param === 'order' && item.startsWith('-') ? item.slice(1) : item;
    // `sys.ID` is a name with a dot; other dotted names are paths into a field or container.
    if (!names.has(name) && !names.has(name.split('.')[0] ?? '')) {
      throw new AppError('BAD_REQUEST', `${param}: unknown field ${name}`, { data: { field: `${param}.${name}` } });
    }
  }
}

const EMPTY: ParsedReadParams = { read: {}, args: undefined };

/**
 * Parsed `where` objects per schema and raw text. Clients repeat the same filters (a view read
 * always fixes the same partition key), and JSON + zod parsing was ~6 % of a view read's CPU.
 * Only successful parses are kept, deep-frozen (every consumer only reads them); bounded by
 * clearing when full.
 */
const whereCache = new WeakMap<z.ZodType, Map<string, Record<string, unknown>>>();
const WHERE_CACHE_MAX = 256;

function parseWhere(schema: z.ZodType<Record<string, unknown>>, raw: string): Record<string, unknown> {
  let perSchema = whereCache.get(schema);
  if (perSchema === undefined) {
    perSchema = new Map();
    whereCache.set(schema, perSchema);
  }
  const hit = perSchema.get(raw);
  if (hit !== undefined) return hit;
  const parsed = deepFreeze(parseOrThrow(schema, parseJsonParam('where', raw), 'where'));
  if (perSchema.size >= WHERE_CACHE_MAX) perSchema.clear();
  perSchema.set(raw, parsed);
  return parsed;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function parseReadParams(
  queryString: string,
  allowed: readonly ReadParamName[],
  schemas: EntitySchemas | undefined,
): ParsedReadParams {
  if (queryString === '') return EMPTY;
  const params = new URLSearchParams(queryString);
  const seen = new Map<string, string>();
  const unknown: string[] = [];
  for (const [name, value] of params) {
    if (!(allowed as readonly string[]).includes(name)) {
      unknown.push(name);
      continue;
    }
    if (seen.has(name)) {
      throw new AppError('BAD_REQUEST', `query parameter '${name}' given more than once`, { data: { field: name } });
    }
    seen.set(name, value);
  }
  if (unknown.length > 0) {
    const names = [...new Set(unknown)].sort().join(', ');
    throw new AppError('BAD_REQUEST', `unknown query parameter(s): ${names}`, { data: { field: unknown[0] } });
  }
  if (seen.size === 0) return EMPTY;

  const read: {
    where?: Record<string, unknown>;
    order?: string[];
    limit?: number;
    skip?: number;
    keys?: string[];
    include?: string[];
  } = {};
  let args: Record<string, unknown> | undefined;
  for (const [name, value] of seen) {
    switch (name as ReadParamName) {
      case 'where':
        read.where = parseWhere((schemas?.where() ?? genericWhere) as z.ZodType<Record<string, unknown>>, value);
        break;
      case 'args': {
        const schema = schemas?.args?.();
        if (schema === undefined)
          throw new AppError('BAD_REQUEST', 'args are not expected', { data: { field: 'args' } });
        args = parseOrThrow(schema as z.ZodType<Record<string, unknown>>, parseJsonParam('args', value), 'args');
        break;
      }
      case 'order':
        read.order = parseOrThrow(readParamSchemas.order, value, 'order');
        checkNames('order', read.order, schemas);
        break;
      case 'limit':
        read.limit = parseOrThrow(readParamSchemas.limit, value, 'limit');
        break;
      case 'skip':
        read.skip = parseOrThrow(readParamSchemas.skip, value, 'skip');
        break;
      case 'keys':
        read.keys = parseOrThrow(readParamSchemas.keys, value, 'keys');
        checkNames('keys', read.keys, schemas);
        break;
      case 'include':
        read.include = parseOrThrow(readParamSchemas.include, value, 'include');
        break;
    }
  }
  return { read, args };
}
