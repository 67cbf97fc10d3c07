/**
 * API v2 read parameters applied to rows in memory: `where` (equality or `{"$in": […]}` per
 * field), `order` (`field` / `-field`, several = tie-breakers), `skip`, `limit`, `keys`
 * (projection). Values compare after normalisation, so an int64 given as a decimal string matches
 * the stored number.
 */
import { AppError } from '@stoa/errors';
import { normalizeInt64 } from './fields.js';
import { isObject } from './cud-parse.js';
import type { ReadQuery } from './service.js';

type Row = Readonly<Record<string, unknown>>;

export const MAX_LIMIT = 10_000;

function canonical(v: unknown): unknown {
  if (typeof v === 'string' && /^-?\d{16,20}$/.test(v)) return normalizeInt64(v) ?? v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}

export function matchValues(where: unknown): unknown[] {
  if (isObject(where) && '$in' in where) {
    const list = where.$in;
    if (!Array.isArray(list)) throw new AppError('BAD_REQUEST', 'where: $in expects an array');
    return list.map(canonical);
  }
  if (isObject(where))
    throw new AppError(
      'BAD_REQUEST',
      `where: unsupported condition ${JSON.stringify(where)} (use a value or {"$in": [...]})`,
    );
  return [canonical(where)];
}

export function filterRows(
  rows: readonly Row[],
  where: ReadQuery['where'],
  skipFields: ReadonlySet<string> = new Set(),
): Row[] {
  if (where === undefined) return [...rows];
  const conds = Object.entries(where)
    .filter(([f]) => !skipFields.has(f))
    .map(([f, w]) => [f, matchValues(w)] as const);
  return rows.filter((r) => conds.every(([f, values]) => values.includes(canonical(r[f]))));
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string' && /^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (
    (typeof a === 'number' || typeof a === 'string') &&
    (typeof b === 'number' || typeof b === 'string') &&
    typeof a !== typeof b
  ) {
    try {
      const x = BigInt(a);
      const y = BigInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    } catch {
      return text(a) < text(b) ? -1 : 1;
    }
  }
  const x = text(a);
  const y = text(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** order → skip → limit → keys. */
export function shapeRows(rows: Row[], query: ReadQuery): Record<string, unknown>[] {
  let out = rows;
  if (query.order !== undefined && query.order.length > 0) {
    const keys = query.order.map((o) => (o.startsWith('-') ? { f: o.slice(1), d: -1 } : { f: o, d: 1 }));
    out = [...out].sort((a, b) => {
      for (const { f, d } of keys) {
        const c = compare(a[f], b[f]);
        if (c !== 0) return c * d;
      }
      return 0;
    });
  }
  const skip = query.skip ?? 0;
  const limit = Math.min(query.limit ?? MAX_LIMIT, MAX_LIMIT);
  if (!Number.isInteger(skip) || skip < 0) throw new AppError('BAD_REQUEST', 'skip: expected a non-negative integer');
  if (!Number.isInteger(limit) || limit < 0)
    throw new AppError('BAD_REQUEST', 'limit: expected a non-negative integer');
  out = out.slice(skip, skip + limit);
  return out.map((r) => project(r, query.keys));
}

export function project(row: Row, keys: readonly string[] | undefined): Record<string, unknown> {
  if (keys === undefined || keys.length === 0) return { ...row };
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in row) out[k] = row[k];
  return out;
}
