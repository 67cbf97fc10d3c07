import { describe, expect, it } from 'vitest';
import { AppError, ERROR_CODE_MAP, ERROR_CODES, isAppError, toAppError } from './index.js';

class DeploymentNotFoundError extends AppError {
  constructor(id: string) {
    super('NOT_FOUND', `deployment ${id} not found`, { data: { id } });
  }
}

describe('AppError', () => {
  it('maps every code to an HTTP status in 4xx/5xx and a tRPC code', () => {
    expect(ERROR_CODES.length).toBeGreaterThan(10);
    for (const code of ERROR_CODES) {
      const { http, trpc } = ERROR_CODE_MAP[code];
      expect(http).toBeGreaterThanOrEqual(400);
      expect(http).toBeLessThan(600);
      expect(trpc).toMatch(/^[A-Z_]+$/);
    }
  });

  it('keeps the subclass name, code and status', () => {
    const err = new DeploymentNotFoundError('d1');
    expect(err.name).toBe('DeploymentNotFoundError');
    expect(err.code).toBe('NOT_FOUND');
    expect(err.httpStatus).toBe(404);
    expect(err.trpcCode).toBe('NOT_FOUND');
    expect(err.expected).toBe(true);
    expect(isAppError(err)).toBe(true);
    expect(err.toBody()).toEqual({ status: 404, message: 'deployment d1 not found', data: { id: 'd1' } });
  });

  it('hides unknown failures behind a generic INTERNAL error', () => {
    const wrapped = toAppError(new Error('secret connection string'));
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.httpStatus).toBe(500);
    expect(wrapped.message).toBe('internal error');
    expect(wrapped.expected).toBe(false);
    expect((wrapped.cause as Error).message).toBe('secret connection string');
  });

  it('carries qname and retry-after', () => {
    const err = new AppError('RATE_LIMITED', 'rate limit exceeded', { qname: 'shop.PlaceOrder', retryAfterSeconds: 3 });
    expect(err.toBody()).toEqual({ status: 429, message: 'rate limit exceeded', qname: 'shop.PlaceOrder' });
    expect(err.retryAfterSeconds).toBe(3);
  });
});
