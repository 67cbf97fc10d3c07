import { fail, ok } from '@stoa/client';
import { describe, expect, it } from 'vitest';
import { statusOfReadyz } from './nodes';

describe('statusOfReadyz', () => {
  it('healthy on 200, unready on an HTTP error, unreachable on a network failure', () => {
    expect(statusOfReadyz(ok({ status: 'ready' }))).toEqual({ status: 'healthy', detail: 'ready (ready)' });
    expect(
      statusOfReadyz(fail({ kind: 'http', status: 503, code: 'UNAVAILABLE', message: 'apps are loading' })).status,
    ).toBe('unready');
    const network = statusOfReadyz(
      fail({ kind: 'network', message: 'GET http://x/readyz: ECONNREFUSED', timedOut: false, cause: undefined }),
    );
    expect(network).toEqual({ status: 'unreachable', detail: 'GET http://x/readyz: ECONNREFUSED' });
  });
});
