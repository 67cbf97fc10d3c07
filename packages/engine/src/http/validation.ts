import { AppError } from '@stoa/errors';
import { z } from 'zod';

/**
 * Zod schemas for everything the edge accepts (path parameters, JSON bodies, read parameters),
 * and the turning of a zod failure into a 400 whose message names the field
 * (`where.Year: expected number`). Bad input must never reach the core as a 5xx.
 */

export const MAX_ID = Number.MAX_SAFE_INTEGER;
export const MAX_CUDS = 100;
export const MAX_SUBSCRIPTIONS = 100;
export const MAX_LIMIT = 1000;
/** SSE channels live at most a day; clients reconnect. */
export const MAX_CHANNEL_SECONDS = 86_400;

const QNAME_RE = /^[A-Za-z]\w*\.[A-Za-z]\w*$/;
const DECIMAL_ID_RE = /^[1-9][0-9]{0,15}$/;
/** A field path for `order`/`keys`/`include`: names joined by dots (`Client.Wallet`, `sys.ID`). */
const FIELD_PATH_RE = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/;

export const qnameSchema = z.string().regex(QNAME_RE, { error: 'expected a qualified name pkg.Name' });

/** Ids and WSIDs as JSON numbers: integers 1..2^53−1. */
export const idNumberSchema = z
  .number({ error: 'expected an integer 1..2^53-1' })
  .int({ error: 'expected an integer 1..2^53-1' })
  .min(1, { error: 'expected an integer 1..2^53-1' })
  .max(MAX_ID, { error: 'expected an integer 1..2^53-1' });

/** Ids and WSIDs in a path: decimal, no sign, no leading zeros. */
export const decimalIdSchema = z
  .string()
  .regex(DECIMAL_ID_RE, { error: 'expected a decimal integer 1..2^53-1' })
  .transform(Number)
  .pipe(idNumberSchema);

/** For object schemas: names a non-object input, leaves unknown keys to the error map. */
export const objectError = {
  error: (iss: { code: string }): string | undefined =>
    iss.code === 'invalid_type' ? 'expected a JSON object' : undefined,
};

const jsonObject = z.record(z.string(), z.unknown(), objectError);

export const createWorkspaceBody = z.strictObject({
  kind: qnameSchema,
  name: z.string({ error: 'expected string' }).min(1, { error: 'must not be empty' }).max(255),
  descriptor: jsonObject.optional(),
});

const cudSchema = z.strictObject({
  'sys.ID': idNumberSchema.optional(),
  fields: jsonObject,
});

export const cudsBody = z.strictObject({
  cuds: z
    .array(cudSchema, { error: 'expected an array of CUDs' })
    .min(1, { error: 'at least one CUD is required' })
    .max(MAX_CUDS, { error: `at most ${MAX_CUDS} CUDs per request` }),
});

export const commandBody = z.strictObject({
  args: jsonObject.optional(),
  unloggedArgs: jsonObject.optional(),
});

/** `sys.CUD` through /commands may carry `cuds` as well (API v1 compatibility). */
export const cudCommandBody = z.strictObject({
  args: jsonObject.optional(),
  unloggedArgs: jsonObject.optional(),
  cuds: cudsBody.shape.cuds.optional(),
});

export const docFieldsBody = jsonObject;

export const subscriptionSchema = z.strictObject({ entity: qnameSchema, wsid: idNumberSchema });

export const notificationsBody = z.strictObject({
  subscriptions: z
    .array(subscriptionSchema, { error: 'expected an array of subscriptions' })
    .min(1, { error: 'at least one subscription is required' })
    .max(MAX_SUBSCRIPTIONS, { error: `at most ${MAX_SUBSCRIPTIONS} subscriptions per channel` }),
  expiresIn: z
    .number({ error: 'expected a number of seconds' })
    .int({ error: 'expected an integer number of seconds' })
    .min(1, { error: 'must be at least 1' })
    .max(MAX_CHANNEL_SECONDS, { error: `must be at most ${MAX_CHANNEL_SECONDS}` })
    .optional(),
});

const decimalInt = (min: number, max: number): z.ZodType<number> =>
  z
    .string()
    .regex(/^[0-9]{1,10}$/, { error: 'expected a decimal integer' })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` }),
    );

const commaList = (what: string, re: RegExp): z.ZodType<string[]> =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => unquote(x.trim())))
    .pipe(z.array(z.string().regex(re, { error: `expected ${what}` })).max(100));

function unquote(name: string): string {
  return name.length >= 2 && name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1) : name;
}

/** Shape of `where` when the entity is unknown to the edge (the core then answers 404). */
export const whereScalar = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: 'expected a string, number, boolean or null',
});
export const genericWhere = z.record(
  z.string(),
  z.union([whereScalar, z.strictObject({ $in: z.array(whereScalar).min(1).max(MAX_LIMIT) })], {
    error: 'expected a scalar or {"$in":[…]}',
  }),
  objectError,
);

/** Read parameters other than `where`/`args` (those are entity-typed, see appdef-schemas.ts). */
export const readParamSchemas = {
  order: commaList('field or -field', /^-?[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/),
  limit: decimalInt(1, MAX_LIMIT),
  skip: decimalInt(0, 2 ** 31 - 1),
  keys: commaList('a field path', FIELD_PATH_RE),
  include: commaList('a field path', FIELD_PATH_RE),
} as const;

/** Short, field-first messages: `expected number`, `required`, `unknown field(s): a, b`. */
export const errorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return iss.input === undefined ? 'required' : `expected ${iss.expected}`;
    case 'unrecognized_keys':
      return `unknown field(s): ${[...iss.keys].sort().join(', ')}`;
    case 'too_big':
      return iss.origin === 'array' ? `at most ${String(iss.maximum)} items` : `must be at most ${String(iss.maximum)}`;
    case 'too_small':
      return iss.origin === 'array'
        ? `at least ${String(iss.minimum)} item(s)`
        : iss.origin === 'string'
          ? `must not be shorter than ${String(iss.minimum)}`
          : `must be at least ${String(iss.minimum)}`;
    case 'invalid_format':
      return 'invalid format';
    default:
      return undefined;
  }
};

function joinPath(prefix: string, path: readonly PropertyKey[]): string {
  const parts = prefix === '' ? [] : [prefix];
  for (const p of path) parts.push(String(p));
  return parts.join('.');
}

/** Turns zod issues into one 400: `field: problem` (unknown keys first: the likeliest mistake). */
export function toValidationError(error: z.ZodError, prefix: string): AppError {
  const issues = [...error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const first = issues[0];
  const field = first === undefined ? prefix : joinPath(prefix, first.path);
  const parts = issues.slice(0, 3).map((i) => {
    const at = joinPath(prefix, i.path);
    return at === '' ? i.message : `${at}: ${i.message}`;
  });
  return new AppError('BAD_REQUEST', parts.join('; '), field === '' ? undefined : { data: { field } });
}

/** Parses `value` or throws a 400 naming the field; `prefix` names where the value came from. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  // A per-parse error map costs ~1 µs per call in zod 4, so it is applied only to re-parse a
  // failure for its messages: valid input (the hot path) never pays for it.
  // Path parameters are parsed on every request: the two commonest schemas are checked directly
  // (same regexes and bounds); anything else, and every failure, goes through zod.
  if (typeof value === 'string') {
    if ((schema as z.ZodType) === qnameSchema && QNAME_RE.test(value)) return value as T;
    if ((schema as z.ZodType) === decimalIdSchema && DECIMAL_ID_RE.test(value)) {
      const n = Number(value);
      if (n <= MAX_ID) return n as T;
    }
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const detailed = schema.safeParse(value, { error: errorMap });
  throw toValidationError(detailed.success ? result.error : detailed.error, prefix);
}

/** Parses a JSON text from a query parameter: 400 `invalid 'where' parameter: …` when malformed. */
export function parseJsonParam(name: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new AppError('BAD_REQUEST', `invalid '${name}' parameter: ${(e as Error).message}`, {
      data: { field: name },
    });
  }
}

export function isQName(s: string): boolean {
  return QNAME_RE.test(s);
}
