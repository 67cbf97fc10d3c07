import { AppError } from '@stoa/errors';
import { InvalidJobPayloadError } from '@stoa/jobs';
import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { DeployStepError, isRetryable, toJobFailure } from './failures.js';

describe('permanent vs retryable failures', () => {
  it('decides by code for AppErrors: 4xx permanent except 429; 5xx, timeouts and unknown errors retried', () => {
    for (const code of [
      'BAD_REQUEST',
      'VALIDATION_FAILED',
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'NOT_FOUND',
      'CONFLICT',
      'PAYLOAD_TOO_LARGE',
    ] as const) {
      expect(isRetryable(new AppError(code, 'x')), code).toBe(false);
    }
    for (const code of ['RATE_LIMITED', 'UNAVAILABLE', 'TIMEOUT', 'INTERNAL'] as const) {
      expect(isRetryable(new AppError(code, 'x')), code).toBe(true);
    }
    expect(isRetryable(new Error('ECONNRESET'))).toBe(true);
    expect(isRetryable('a string')).toBe(true);
    expect(isRetryable(new InvalidJobPayloadError('deploy.build', 'deploymentId: bad'))).toBe(false);
  });

  it('lets a DeployStepError override its code', () => {
    expect(isRetryable(new DeployStepError('TIMEOUT', 'took too long', false))).toBe(false);
    expect(isRetryable(new DeployStepError('BAD_REQUEST', 'odd but transient', true))).toBe(true);
  });

  it('turns permanent failures into UnrecoverableError keeping message and cause; passes retryable ones through', () => {
    const permanent = new AppError('VALIDATION_FAILED', 'schema/app.vsql:3:5: Expected ")"');
    const failure = toJobFailure(permanent);
    expect(failure).toBeInstanceOf(UnrecoverableError);
    expect(failure.name).toBe('UnrecoverableError');
    expect(failure.message).toBe(permanent.message);
    expect(failure.cause).toBe(permanent);
    const transient = new AppError('UNAVAILABLE', 'node down');
    expect(toJobFailure(transient)).toBe(transient);
    const already = new UnrecoverableError('stop');
    expect(toJobFailure(already)).toBe(already);
    expect(toJobFailure('plain')).toEqual(new Error('plain'));
  });
});
