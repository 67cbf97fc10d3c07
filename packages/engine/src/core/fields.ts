/**
 * Field values at the boundary: validates a client or extension value against a field's type and
 * turns it into the stored form. Numbers follow ARCHITECTURE.md §5: int64/timestamp/currency are
 * JSON numbers up to 2^53−1 and decimal strings beyond (inputs accept both; the stored form is a
 * number when safe, else the canonical decimal string). bytes travel as base64 strings and are
 * stored as bytes.
 */
import { AppError } from '@stoa/errors';
import type { AppDef, FieldDef, QName } from '@stoa/vsql';

const INT_RANGES = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
} as const;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const QNAME = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;
const patternCache = new Map<string, RegExp>();

export function invalidField(field: string, message: string, where?: string): AppError {
  const text = where === undefined ? `field ${field}: ${message}` : `${where}: field ${field}: ${message}`;
  return new AppError('VALIDATION_FAILED', text, { data: { field } });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"` : typeof value;
}

/** Canonical int64: a number when |v| ≤ 2^53−1, else a decimal string. */
export function normalizeInt64(value: unknown): number | string | undefined {
  let big: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return undefined;
    return value;
  } else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) {
    big = BigInt(value);
  } else if (typeof value === 'bigint') {
    big = value;
  } else return undefined;
  if (big < INT64_MIN || big > INT64_MAX) return undefined;
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(big)
    : big.toString();
}

/**
 * The stored form of `value` for `field`, or an AppError naming the field. `null` is returned for
 * null (the caller decides whether the field may be null).
 */
export function normalizeFieldValue(field: FieldDef, value: unknown, where?: string): unknown {
  if (value === null || value === undefined) return null;
  const kind = field.type.kind;
  switch (kind) {
    case 'int8':
    case 'int16':
    case 'int32': {
      if (typeof value !== 'number' || !Number.isInteger(value))
        throw invalidField(field.name, `expected ${kind}, found ${describe(value)}`, where);
      const [lo, hi] = INT_RANGES[kind];
      if (value < lo || value > hi)
        throw invalidField(field.name, `${value} is out of range for ${kind} (${lo}..${hi})`, where);
      return value;
    }
    case 'int64':
    case 'timestamp':
    case 'currency': {
      const v = normalizeInt64(value);
      if (v === undefined) {
        throw invalidField(
          field.name,
          `expected ${kind} (an integer number up to 2^53-1 or a decimal string), found ${describe(value)}`,
          where,
        );
      }
      return v;
    }
    case 'float32':
    case 'float64':
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw invalidField(field.name, `expected ${kind}, found ${describe(value)}`, where);
      return kind === 'float32' ? Math.fround(value) : value;
    case 'bool':
      if (typeof value !== 'boolean') throw invalidField(field.name, `expected bool, found ${describe(value)}`, where);
      return value;
    case 'varchar': {
      if (typeof value !== 'string')
        throw invalidField(field.name, `expected varchar, found ${describe(value)}`, where);
      const max = field.type.maxLen ?? 255;
      if (value.length > max && [...value].length > max)
        throw invalidField(field.name, `longer than ${max} characters`, where);
      if (field.pattern !== undefined && !compilePattern(field.pattern).test(value)) {
        throw invalidField(field.name, `"${value}" does not match the pattern ${field.pattern}`, where);
      }
      return value;
    }
    case 'bytes': {
      let bytes: Uint8Array;
      if (value instanceof Uint8Array) bytes = value;
      else if (typeof value === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(value)) bytes = Buffer.from(value, 'base64');
      else throw invalidField(field.name, `expected bytes as a base64 string, found ${describe(value)}`, where);
      const max = field.type.maxLen ?? 255;
      if (bytes.length > max) throw invalidField(field.name, `longer than ${max} bytes`, where);
      return new Uint8Array(bytes);
    }
    case 'qname':
      if (typeof value !== 'string' || !QNAME.test(value))
        throw invalidField(field.name, `expected a qualified name pkg.Name, found ${describe(value)}`, where);
      return value;
    case 'ref':
    case 'blob':
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
        throw invalidField(field.name, `expected a record id, found ${describe(value)}`, where);
      }
      return value;
    case 'record':
      if (typeof value !== 'object' || Array.isArray(value))
        throw invalidField(field.name, `expected an object, found ${describe(value)}`, where);
      return value;
  }
}

function compilePattern(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    re = new RegExp(pattern, 'u');
    patternCache.set(pattern, re);
  }
  return re;
}

/** Stored → JSON output: bytes as base64; everything else is JSON-ready already. */
export function outputValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

export function outputRecord(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) out[k] = outputValue(v);
  return out;
}

/** True if `table` is `target` or inherits from it (targets may name abstract bases). */
export function tableIsA(appdef: AppDef, table: QName, target: QName): boolean {
  let cur: QName | null | undefined = table;
  for (let i = 0; cur && i < 64; i++) {
    if (cur === target) return true;
    cur = appdef.tables[cur]?.inherits;
  }
  return false;
}

/** Validates a plain object (command/query argument, result) against a TYPE or table's fields. */
export function normalizeObject(
  appdef: AppDef,
  typeName: QName,
  value: unknown,
  where: string,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AppError('VALIDATION_FAILED', `${where}: expected an object of ${typeName}`);
  }
  const def = appdef.objects[typeName];
  if (def === undefined) return { ...(value as Record<string, unknown>) };
  const input = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const byName = new Map(def.fields.map((f) => [f.name, f]));
  const containers = new Map(def.containers.map((c) => [c.name, c]));
  for (const [name, v] of Object.entries(input)) {
    const field = byName.get(name);
    if (field !== undefined) {
      const n = normalizeFieldValue(field, v, where);
      if (n !== null) out[name] = n;
      continue;
    }
    const container = containers.get(name);
    if (container !== undefined) {
      if (v !== null && v !== undefined) out[name] = normalizeObject(appdef, container.type, v, `${where}.${name}`);
      continue;
    }
    throw invalidField(name, `unknown field of ${typeName}`, where);
  }
  for (const field of def.fields) {
    if (field.required && out[field.name] === undefined) throw invalidField(field.name, 'is required', where);
  }
  for (const c of def.containers) {
    if (c.minOccurs > 0 && out[c.name] === undefined) throw invalidField(c.name, 'is required', where);
  }
  return out;
}
