import { AppError } from '@stoa/errors';
import { Prisma } from './generated/prisma/client.js';

/** What adapter-pg attaches to errors it maps (`meta.driverAdapterError.cause`, or `cause`). */
interface AdapterCause {
  readonly originalCode?: string;
  readonly originalMessage?: string;
  readonly constraint?: { readonly fields?: readonly string[]; readonly index?: string };
}

function adapterCauseOf(meta: Record<string, unknown> | undefined): AdapterCause | undefined {
  const adapterError = meta?.driverAdapterError;
  if (typeof adapterError !== 'object' || adapterError === null || !('cause' in adapterError)) return undefined;
  return adapterError.cause as AdapterCause;
}

function fieldsOf(meta: Record<string, unknown> | undefined): string[] {
  // With a driver adapter the columns come from Postgres' "Key (a, b)=…" detail; the classic
  // engine put them in `meta.target`.
  const fields = adapterCauseOf(meta)?.constraint?.fields ?? meta?.target;
  if (Array.isArray(fields)) return fields.map((f) => String(f).replaceAll('"', ''));
  return typeof fields === 'string' ? [fields] : [];
}

/** A Postgres error that reached the caller without a Prisma code (e.g. a CHECK violation). */
function isDriverAdapterError(error: unknown): error is Error & { cause: AdapterCause } {
  return error instanceof Error && error.name === 'DriverAdapterError' && typeof error.cause === 'object';
}

function constraintIn(message: string | undefined): string | undefined {
  return message?.match(/constraint "([^"]+)"/)?.[1];
}

/**
 * Maps the database errors that are expected in normal operation to AppError:
 * - P2002 unique violation → CONFLICT, `data.fields` names the columns;
 * - P2025 record to update/delete not found → NOT_FOUND;
 * - P2003 foreign key violation → BAD_REQUEST when the referenced row does not exist, CONFLICT
 *   when the row is still referenced;
 * - a CHECK violation (Postgres 23514, e.g. a bundle over 32 MiB) → BAD_REQUEST naming it.
 * Anything else is not an expected failure and is rethrown unchanged, so
 * `catch (e) { throw toAppError(e) }` never hides a bug behind a 4xx.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isDriverAdapterError(error) && error.cause.originalCode === '23514') {
    const constraint = constraintIn(error.cause.originalMessage);
    return new AppError('BAD_REQUEST', `value violates the ${constraint ?? 'check'} constraint`, {
      data: constraint === undefined ? {} : { constraint },
      cause: error,
    });
  }
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) throw error;
  const meta = error.meta;
  const model = typeof meta?.modelName === 'string' ? meta.modelName : undefined;
  const subject = model ?? 'record';
  const base: Record<string, unknown> = model === undefined ? {} : { model };
  switch (error.code) {
    case 'P2002': {
      const fields = fieldsOf(meta);
      const what = fields.length > 0 ? fields.join(', ') : 'unique key';
      return new AppError('CONFLICT', `${subject} with the same ${what} already exists`, {
        data: { ...base, fields },
        cause: error,
      });
    }
    case 'P2025':
      return new AppError('NOT_FOUND', `${subject} not found`, { data: base, cause: error });
    case 'P2003': {
      const cause = adapterCauseOf(meta);
      const constraint = cause?.constraint?.index ?? constraintIn(cause?.originalMessage);
      const data = constraint === undefined ? base : { ...base, constraint };
      // Postgres words the two directions differently: "insert or update on table … violates"
      // (the referenced row is missing) and "update or delete on table … violates" (still used).
      if (cause?.originalMessage?.startsWith('update or delete') === true) {
        return new AppError('CONFLICT', `${subject} is still referenced`, { data, cause: error });
      }
      return new AppError('BAD_REQUEST', `${subject} refers to a row that does not exist`, { data, cause: error });
    }
    default:
      throw error;
  }
}
