import type { AppDef, FieldDef, QName } from '@stoa/vsql';
import { z } from 'zod';
import { MAX_ID, MAX_LIMIT, errorMap, genericWhere, objectError, qnameSchema } from './validation.js';

/**
 * Entity-typed zod schemas built from the AppDef: `where` of views, CDoc lists and query results,
 * and query `args`. They let the edge answer `where.Year: expected number` before the core runs.
 * An entity the AppDef does not know gets the generic shape only: the core then answers 404 for
 * the unknown name, which the edge must not pre-empt with a 400.
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function intSchema(bits: 8 | 16 | 32): z.ZodType {
  const max = 2 ** (bits - 1) - 1;
  return z
    .number()
    .int({ error: 'expected an integer' })
    .min(-max - 1)
    .max(max);
}

const INT64_MESSAGE = 'expected an int64 (number, or decimal string beyond 2^53)';

function isInt64(v: unknown): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v);
  if (typeof v !== 'string' || !/^-?[0-9]{1,19}$/.test(v)) return false;
  const n = BigInt(v);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/** int64/timestamp/currency: a JSON number within ±(2^53−1), or a decimal string beyond. */
const int64Schema: z.ZodType = z.unknown().superRefine((v, ctx) => {
  if (!isInt64(v)) ctx.addIssue({ code: 'custom', message: v === undefined ? 'required' : INT64_MESSAGE });
});

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

export function fieldValueSchema(field: FieldDef): z.ZodType {
  const t = field.type;
  switch (t.kind) {
    case 'int8':
      return intSchema(8);
    case 'int16':
      return intSchema(16);
    case 'int32':
      return intSchema(32);
    case 'int64':
    case 'timestamp':
    case 'currency':
      return int64Schema;
    case 'float32':
    case 'float64':
      return z.number();
    case 'varchar':
      return z.string().max(t.maxLen ?? 255);
    case 'bytes':
      return z.string().regex(BASE64_RE, { error: 'expected base64' });
    case 'blob':
    case 'ref':
      return z.number().int({ error: 'expected a record id' }).min(0).max(MAX_ID);
    case 'bool':
      return z.boolean();
    case 'qname':
      return qnameSchema;
    case 'record':
      return z.unknown();
  }
}

/** A `where` value: the field's own type (equality) or `{"$in":[…]}` of it. */
function whereValueSchema(field: FieldDef): z.ZodType {
  const scalar = fieldValueSchema(field);
  const inList = z.strictObject({ $in: z.array(scalar).min(1).max(MAX_LIMIT) });
  return z.unknown().superRefine((value, ctx) => {
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    const schema = isObject ? inList : scalar;
    if (schema.safeParse(value).success) return;
    const result = schema.safeParse(value, { error: errorMap });
    if (result.success) return;
    // Unknown keys first (as toValidationError orders them): `{"$gt":1}` is a wrong operator, not a missing $in.
    const issues = [...result.error.issues].sort(
      (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
    );
    for (const iss of issues) ctx.addIssue({ code: 'custom', message: iss.message, path: iss.path });
  });
}

function whereSchemaFor(fields: readonly FieldDef[]): z.ZodType {
  const shape: Record<string, z.ZodType> = {};
  for (const f of fields) shape[f.name] = whereValueSchema(f).optional();
  return z.strictObject(shape, objectError);
}

function objectSchemaFor(appdef: AppDef, qname: QName, depth: number): z.ZodType {
  const obj = appdef.objects[qname];
  if (obj === undefined || depth > 8) return z.record(z.string(), z.unknown());
  const shape: Record<string, z.ZodType> = {};
  for (const f of obj.fields) {
    const s = fieldValueSchema(f);
    shape[f.name] = f.required ? s : s.optional();
  }
  for (const c of obj.containers) {
    const s = objectSchemaFor(appdef, c.type, depth + 1);
    shape[c.name] = c.minOccurs > 0 ? s : s.optional();
  }
  return z.strictObject(shape, objectError);
}

/** Fields a read of this entity returns (and `where` may name), or undefined when unknown. */
function entityFields(appdef: AppDef, kind: 'view' | 'table' | 'queryResult', qname: QName): FieldDef[] | undefined {
  if (kind === 'view') return appdef.views[qname]?.fields;
  if (kind === 'table') return appdef.tables[qname]?.fields;
  const ext = appdef.extensions[qname];
  if (ext?.kind !== 'query' || ext.result === undefined) return undefined;
  return appdef.objects[ext.result]?.fields ?? appdef.tables[ext.result]?.fields;
}

const cache = new WeakMap<AppDef, Map<string, z.ZodType>>();

function cached(appdef: AppDef, key: string, build: () => z.ZodType): z.ZodType {
  let perApp = cache.get(appdef);
  if (perApp === undefined) {
    perApp = new Map();
    cache.set(appdef, perApp);
  }
  let schema = perApp.get(key);
  if (schema === undefined) {
    schema = build();
    perApp.set(key, schema);
  }
  return schema;
}

export function whereSchema(appdef: AppDef, kind: 'view' | 'table' | 'queryResult', qname: QName): z.ZodType {
  return cached(appdef, `where:${kind}:${qname}`, () => {
    const fields = entityFields(appdef, kind, qname);
    return fields === undefined ? genericWhere : whereSchemaFor(fields);
  });
}

const nameCache = new WeakMap<AppDef, Map<string, ReadonlySet<string> | undefined>>();

/**
 * Names `order` and `keys` may use for this entity: its fields (system fields included) and, for
 * tables, its containers; undefined when the AppDef does not know the entity (the core answers 404).
 */
export function entityFieldNames(
  appdef: AppDef,
  kind: 'view' | 'table' | 'queryResult',
  qname: QName,
): ReadonlySet<string> | undefined {
  let perApp = nameCache.get(appdef);
  if (perApp === undefined) {
    perApp = new Map();
    nameCache.set(appdef, perApp);
  }
  const key = `${kind}:${qname}`;
  if (perApp.has(key)) return perApp.get(key);
  const fields = entityFields(appdef, kind, qname);
  const names =
    fields === undefined
      ? undefined
      : new Set([
          ...fields.map((f) => f.name),
          ...(kind === 'table' ? (appdef.tables[qname]?.containers ?? []).map((c) => c.name) : []),
        ]);
  perApp.set(key, names);
  return names;
}

/** Query args: the parameter TYPE's fields, strictly; `{}` only for a query without parameter. */
export function queryArgsSchema(appdef: AppDef, query: QName): z.ZodType {
  return cached(appdef, `args:${query}`, () => {
    const ext = appdef.extensions[query];
    const anyObject = z.record(z.string(), z.unknown(), objectError);
    if (ext?.kind !== 'query') return anyObject;
    const param = ext.param ?? 'void';
    if (param === 'void') return z.strictObject({}, objectError);
    if (param === 'any' || appdef.objects[param] === undefined) return anyObject;
    return objectSchemaFor(appdef, param, 0);
  });
}
