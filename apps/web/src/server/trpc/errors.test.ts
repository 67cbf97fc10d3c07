import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODE_MAP, ERROR_CODES } from '@stoa/errors';
import { appErrorToTrpc, toTrpcError } from './errors';

describe('AppError → TRPCError', () => {
  it('maps every code through ERROR_CODE_MAP and keeps the message and cause', () => {
    for (const code of ERROR_CODES) {
      const appError = new AppError(code, `failed with ${code}`);
      const mapped = appErrorToTrpc(appError);
      expect(mapped.code).toBe(ERROR_CODE_MAP[code].trpc);
      expect(mapped.message).toBe(`failed with ${code}`);
      expect(mapped.cause).toBe(appError);
    }
  });

  it('maps what tRPC wrapped, passes TRPCErrors through and hides unknown failures', () => {
    const notFound = new AppError('NOT_FOUND', 'app x not found');
    expect(toTrpcError(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: notFound })).code).toBe('NOT_FOUND');

    const unauthorized = new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in first' });
    expect(toTrpcError(unauthorized)).toBe(unauthorized);

    const leaky = new Error('connect ECONNREFUSED postgresql://secret@db');
    const hidden = toTrpcError(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: leaky }));
    expect(hidden.code).toBe('INTERNAL_SERVER_ERROR');
    expect(hidden.message).toBe('internal error');
    expect(hidden.cause).toBe(leaky);
  });
});
