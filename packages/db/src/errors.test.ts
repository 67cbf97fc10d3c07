import { AppError } from '@stoa/errors';
import { describe, expect, it } from 'vitest';
import { toAppError } from './errors.js';
import { Prisma } from './generated/prisma/client.js';

function known(code: string, meta: Record<string, unknown>): Prisma.PrismaClientKnownRequestError {
  return new Prisma.PrismaClientKnownRequestError(`failure ${code}`, { code, clientVersion: '6.19.3', meta });
}

function adapterMeta(modelName: string, cause: Record<string, unknown>): Record<string, unknown> {
  return { modelName, driverAdapterError: { name: 'DriverAdapterError', cause } };
}

describe('toAppError', () => {
  it('maps P2002 to CONFLICT with the fields, from the adapter or the classic meta.target', () => {
    const viaAdapter = toAppError(
      known(
        'P2002',
        adapterMeta('App', { kind: 'UniqueConstraintViolation', constraint: { fields: ['orgId', 'name'] } }),
      ),
    );
    expect(viaAdapter).toMatchObject({ code: 'CONFLICT', data: { model: 'App', fields: ['orgId', 'name'] } });
    expect(viaAdapter.message).toBe('App with the same orgId, name already exists');
    expect(toAppError(known('P2002', { modelName: 'User', target: ['email'] })).data).toEqual({
      model: 'User',
      fields: ['email'],
    });
  });

  it('maps P2025 to NOT_FOUND and keeps the Prisma error as cause', () => {
    const original = known('P2025', { modelName: 'Deployment', operation: 'an update' });
    const err = toAppError(original);
    expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'Deployment not found', data: { model: 'Deployment' } });
    expect(err.cause).toBe(original);
  });

  it('tells the two directions of a foreign key violation apart', () => {
    const missingParent = known(
      'P2003',
      adapterMeta('App', {
        originalMessage: 'insert or update on table "App" violates foreign key constraint "App_orgId_fkey"',
        constraint: { index: 'App_orgId_fkey' },
      }),
    );
    expect(toAppError(missingParent)).toMatchObject({ code: 'BAD_REQUEST', data: { constraint: 'App_orgId_fkey' } });
    const stillUsed = known(
      'P2003',
      adapterMeta('Bundle', {
        originalMessage:
          'update or delete on table "Bundle" violates foreign key constraint "Deployment_bundleId_fkey" on table "Deployment"',
      }),
    );
    expect(toAppError(stillUsed)).toMatchObject({ code: 'CONFLICT', data: { constraint: 'Deployment_bundleId_fkey' } });
  });

  it('maps a CHECK violation from the adapter to BAD_REQUEST naming the constraint', () => {
    const error = Object.assign(new Error('check'), {
      name: 'DriverAdapterError',
      cause: {
        originalCode: '23514',
        originalMessage: 'new row for relation "Bundle" violates check constraint "Bundle_size_check"',
      },
    });
    expect(toAppError(error)).toMatchObject({ code: 'BAD_REQUEST', data: { constraint: 'Bundle_size_check' } });
  });

  it('returns AppErrors as they are and rethrows everything else', () => {
    const app = new AppError('FORBIDDEN', 'no');
    expect(toAppError(app)).toBe(app);
    const other = known('P2034', { modelName: 'App' });
    expect(() => toAppError(other)).toThrow(other);
    const bug = new RangeError('bug');
    expect(() => toAppError(bug)).toThrow(bug);
    expect(() => toAppError('a string')).toThrow('a string');
  });
});
