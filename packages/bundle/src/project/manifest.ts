// `stoa.json`, the app manifest: the same rules for a project folder and a bundle's manifest.json,
// and the zod → AppError formatting both use (every message names the file and the field).
import { AppError } from '@stoa/errors';
import { z } from 'zod';

export const MANIFEST_FILE = 'stoa.json';

/** App names: also a URL segment and a storage key prefix, hence lowercase and short. */
export const APP_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
export const MAX_PARTITIONS = 1024;

export interface ProjectManifest {
  /** App name; equals the schema's APPLICATION name. */
  name: string;
  /** Number of partitions, 1…1024, fixed at first deploy. */
  partitions: number;
}

/**
 * Error option for a type or literal check: "is required" for an absent field instead of zod's
 * "expected string, received undefined", `message` for a wrong type or value; other issues of the schema
 * (e.g. unrecognized keys) keep zod's message.
 */
export function requiredOr(message: string): {
  error: (issue: { code?: string; input?: unknown }) => string | undefined;
} {
  return {
    error: (issue) => {
      if (issue.code !== 'invalid_type' && issue.code !== 'invalid_value') return undefined;
      return issue.input === undefined ? 'is required' : message;
    },
  };
}

export const appNameSchema = z
  .string(requiredOr('must be a string'))
  .regex(APP_NAME_PATTERN, 'must be 1–63 characters: a lowercase letter, then lowercase letters, digits or -');

export const partitionsSchema = z
  .number(requiredOr('must be a number'))
  .int('must be an integer')
  .min(1, 'must be at least 1')
  .max(MAX_PARTITIONS, `must be at most ${MAX_PARTITIONS}`);

// Unknown keys are ignored (not refused), as the engine's folder loader always did.
const projectManifestSchema = z.object(
  { name: appNameSchema, partitions: partitionsSchema },
  requiredOr('must be an object'),
);

/**
 * Parses JSON text and validates it with `schema`; `label` (a path) starts every message. Throws
 * AppError(code) with `data.field` (the first offending field) and `data.fields` (all of them).
 */
export function parseJsonWith<T>(
  text: string,
  schema: z.ZodType<T>,
  label: string,
  code: 'VALIDATION_FAILED' | 'BAD_REQUEST' = 'VALIDATION_FAILED',
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AppError(code, `${label}: not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => (issue.path.length > 0 ? issue.path.join('.') : '(root)'));
  const problems = parsed.error.issues.map((issue, i) => `${label}: ${fields[i]}: ${issue.message}`);
  throw new AppError(code, problems.join('\n'), { data: { field: fields[0], fields } });
}

export function parseProjectManifest(text: string, label: string): ProjectManifest {
  const manifest = parseJsonWith(text, projectManifestSchema, label);
  return { name: manifest.name, partitions: manifest.partitions };
}
