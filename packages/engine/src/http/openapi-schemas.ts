import type { AppDef, ContainerDef, FieldDef, QName } from '@stoa/vsql';

/**
 * AppDef → JSON Schema (2020-12, as OpenAPI 3.1 uses) for tables, TYPEs and views. Schemas are
 * emitted as components named by QName and referenced with `$ref`; `SchemaCollector` emits
 * exactly the components some operation references (plus what those reference), so every `$ref`
 * resolves and nothing unreferenced bloats the document.
 */

export type JsonSchema = Record<string, unknown>;

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const QNAME_PATTERN = '^[A-Za-z]\\w*\\.[A-Za-z]\\w*$';
const INT64_STRING_PATTERN = '^-?[0-9]{1,19}$';

export function schemaRef(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

function withComment(schema: JsonSchema, comment: string | undefined): JsonSchema {
  return comment === undefined ? schema : { ...schema, description: comment };
}

function intRange(bits: 8 | 16 | 32): JsonSchema {
  const max = 2 ** (bits - 1) - 1;
  return { type: 'integer', format: bits === 32 ? 'int32' : `int${bits}`, minimum: -max - 1, maximum: max };
}

/** int64/timestamp/currency: numbers within ±(2^53−1), decimal strings beyond (ARCHITECTURE §5). */
function int64Schema(description: string): JsonSchema {
  return {
    description,
    oneOf: [
      { type: 'integer', format: 'int64', minimum: -MAX_SAFE, maximum: MAX_SAFE },
      { type: 'string', pattern: INT64_STRING_PATTERN },
    ],
  };
}

export function fieldSchema(field: FieldDef): JsonSchema {
  const t = field.type;
  let schema: JsonSchema;
  switch (t.kind) {
    case 'int8':
      schema = intRange(8);
      break;
    case 'int16':
      schema = intRange(16);
      break;
    case 'int32':
      schema = intRange(32);
      break;
    case 'int64':
      schema = int64Schema('int64: a number up to 2^53-1 in magnitude, a decimal string beyond');
      break;
    case 'timestamp':
      schema = int64Schema('Unix time in milliseconds (int64)');
      break;
    case 'currency':
      schema = int64Schema('unscaled currency amount (int64)');
      break;
    case 'float32':
      schema = { type: 'number', format: 'float' };
      break;
    case 'float64':
      schema = { type: 'number', format: 'double' };
      break;
    case 'varchar': {
      const max = t.maxLen ?? 255;
      schema =
        field.pattern === undefined
          ? { type: 'string', maxLength: max }
          : { type: 'string', maxLength: max, pattern: field.pattern };
      break;
    }
    case 'bytes':
      schema = { type: 'string', contentEncoding: 'base64', maxLength: 4 * Math.ceil((t.maxLen ?? 255) / 3) };
      break;
    case 'blob':
      schema = { type: 'integer', format: 'int64', minimum: 0, maximum: MAX_SAFE, description: 'id of a sys.BLOB' };
      break;
    case 'ref': {
      const targets = t.refTargets ?? [];
      schema = {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        maximum: MAX_SAFE,
        description: targets.length === 0 ? 'id of any record' : `id of a ${targets.join(' | ')} record`,
      };
      break;
    }
    case 'bool':
      schema = { type: 'boolean' };
      break;
    case 'qname':
      schema = { type: 'string', pattern: QNAME_PATTERN };
      break;
    case 'record':
      schema = { type: 'object' };
      break;
  }
  if (field.system && field.name !== 'sys.ID') schema = { ...schema, readOnly: true };
  return withComment(schema, field.comment);
}

export class SchemaCollector {
  private readonly wanted = new Set<QName>();

  constructor(private readonly appdef: AppDef) {}

  /** A `$ref` to the component for `qname`, or an open schema when the AppDef does not define it. */
  ref(qname: QName): JsonSchema {
    const known = qname in this.appdef.tables || qname in this.appdef.objects || qname in this.appdef.views;
    if (!known) return {};
    this.wanted.add(qname);
    return schemaRef(qname);
  }

  /** A command/query parameter or result: `void` → undefined, `any` → any JSON object. */
  param(param: string | undefined): JsonSchema | undefined {
    if (param === undefined || param === 'void') return undefined;
    if (param === 'any') return { type: 'object' };
    return this.ref(param);
  }

  /** Fields to change on PATCH: the table's own fields, none required. */
  updateSchema(qname: QName): JsonSchema {
    const table = this.appdef.tables[qname];
    if (table === undefined) return { type: 'object' };
    const properties: Record<string, JsonSchema> = {};
    for (const f of table.fields) if (!f.system) properties[f.name] = fieldSchema(f);
    return { type: 'object', properties, additionalProperties: false };
  }

  /** Every referenced component, following references until none is new. */
  build(): Record<string, JsonSchema> {
    const out: Record<string, JsonSchema> = {};
    const done = new Set<QName>();
    let pending = [...this.wanted];
    while (pending.length > 0) {
      for (const q of pending) {
        done.add(q);
        out[q] = this.componentFor(q);
      }
      pending = [...this.wanted].filter((q) => !done.has(q));
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  }

  private componentFor(qname: QName): JsonSchema {
    const table = this.appdef.tables[qname];
    if (table !== undefined) {
      return withComment(this.objectOf(table.fields, table.containers, true), table.comment);
    }
    const obj = this.appdef.objects[qname];
    if (obj !== undefined) {
      return withComment(this.objectOf(obj.fields, obj.containers, false), obj.comment);
    }
    const view = this.appdef.views[qname];
    if (view !== undefined) {
      const schema = this.objectOf(view.fields, [], false);
      const key = `key: ((${view.partitionKey.join(', ')})${view.clusteringColumns.map((c) => `, ${c}`).join('')})`;
      return { ...schema, description: view.comment === undefined ? key : `${view.comment}; ${key}` };
    }
    return {};
  }

  /** Tables' containers are arrays of child records; TYPEs' containers are nested objects. */
  private objectOf(
    fields: readonly FieldDef[],
    containers: readonly ContainerDef[],
    tableContainers: boolean,
  ): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const f of fields) {
      properties[f.name] = fieldSchema(f);
      if (f.required && !f.system) required.push(f.name);
    }
    for (const c of containers) {
      const child = this.ref(c.type);
      if (tableContainers) {
        const arr: JsonSchema = { type: 'array', items: child, maxItems: c.maxOccurs };
        properties[c.name] = c.minOccurs > 0 ? { ...arr, minItems: c.minOccurs } : arr;
      } else {
        properties[c.name] = child;
      }
      if (c.minOccurs > 0) required.push(c.name);
    }
    const schema: JsonSchema = { type: 'object', properties, additionalProperties: false };
    return required.length > 0 ? { ...schema, required } : schema;
  }
}

/** Shared error responses (components/responses) by status. */
export const ERROR_RESPONSES: Record<string, [string, string]> = {
  '400': ['BadRequest', 'bad input: malformed JSON, unknown or mistyped field (named in the message)'],
  '401': ['Unauthenticated', 'no, invalid or expired token, or a token of another app'],
  '403': ['Forbidden', 'denied by the ACL'],
  '404': ['NotFound', 'unknown app, workspace, function, document or route'],
  '409': ['Conflict', 'unique constraint, reused raw id'],
  '410': ['Gone', 'the workspace is inactive'],
  '413': ['PayloadTooLarge', 'request body too large'],
  '429': ['RateLimited', 'rate limit exceeded; see Retry-After'],
  '503': ['Unavailable', 'partition not ready or overloaded; see Retry-After'],
};

export function errorRefs(codes: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of codes) {
    const entry = ERROR_RESPONSES[c];
    if (entry !== undefined) out[c] = { $ref: `#/components/responses/${entry[0]}` };
  }
  return out;
}

/** A required JSON request body referring to a component schema. */
export function jsonBody(name: string): Record<string, unknown> {
  return { required: true, content: { 'application/json': { schema: schemaRef(name) } } };
}

/** One success response; without a schema it has no body (e.g. 204). */
export function jsonAnswer(status: string, description: string, schema?: JsonSchema): Record<string, unknown> {
  return {
    [status]: schema === undefined ? { description } : { description, content: { 'application/json': { schema } } },
  };
}
