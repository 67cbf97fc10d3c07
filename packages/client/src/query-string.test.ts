import { ERROR_CODE_MAP } from '@stoa/errors';
import { describe, expect, it } from 'vitest';
import { buildExplainQuery, buildReadQuery, seg } from './query-string.js';
import { codeOfStatus, results, toAppError } from './result.js';

describe('buildReadQuery', () => {
  it('encodes where/args as JSON, lists comma-joined, numbers as decimals', () => {
    const q = buildReadQuery(
      { where: { Board: 0, Title: 'a b&c' }, order: ['-Priority', 'Title'], limit: 5, skip: 10, keys: ['Title'] },
      { Year: 2026 },
    );
    expect([...q.keys()]).toEqual(['where', 'order', 'limit', 'skip', 'keys', 'args']);
    expect(JSON.parse(q.get('where') ?? '')).toEqual({ Board: 0, Title: 'a b&c' });
    expect(q.get('order')).toBe('-Priority,Title');
    expect(q.get('limit')).toBe('5');
    expect(q.get('skip')).toBe('10');
    expect(JSON.parse(q.get('args') ?? '')).toEqual({ Year: 2026 });
    // Round-trips through the parser the engine uses.
    expect(new URLSearchParams(q.toString()).get('where')).toBe('{"Board":0,"Title":"a b&c"}');
  });

  it('omits absent and empty options', () => {
    expect(buildReadQuery({ order: [], keys: [], include: [] }).toString()).toBe('');
    expect(buildReadQuery().toString()).toBe('');
  });

  it('builds the ACL explain query and encodes path segments', () => {
    const q = buildExplainQuery({ privilege: 'select', resource: 'shop.Product', roles: ['a.B', 'c.D'] });
    expect(q.toString()).toBe('privilege=select&resource=shop.Product&roles=a.B%2Cc.D');
    expect(seg('ann+x@example.com')).toBe('ann%2Bx%40example.com');
  });
});

describe('status → code', () => {
  it('maps every status of the catalogue back to a code with that status', () => {
    for (const { http } of Object.values(ERROR_CODE_MAP)) expect(ERROR_CODE_MAP[codeOfStatus(http)].http).toBe(http);
    expect(codeOfStatus(400)).toBe('BAD_REQUEST');
    expect(codeOfStatus(404)).toBe('NOT_FOUND');
    expect(codeOfStatus(502)).toBe('UNAVAILABLE');
    expect(codeOfStatus(418)).toBe('BAD_REQUEST');
    expect(codeOfStatus(599)).toBe('INTERNAL');
  });

  it('turns each error kind into an AppError', () => {
    const http = toAppError({ kind: 'http', status: 409, code: 'CONFLICT', message: 'taken', data: { field: 'x' } });
    expect(http).toMatchObject({ code: 'CONFLICT', message: 'taken', data: { field: 'x' }, httpStatus: 409 });
    expect(toAppError({ kind: 'network', message: 'm', timedOut: true, cause: null }).code).toBe('TIMEOUT');
    expect(toAppError({ kind: 'invalid-response', status: 200, message: 'm' }).code).toBe('INTERNAL');
  });

  it('reports a success body without results as an invalid response', () => {
    expect(results({ ok: true, value: {} as { results: never[] } })).toMatchObject({
      ok: false,
      error: { kind: 'invalid-response' },
    });
    expect(results({ ok: true, value: { results: [1] } })).toEqual({ ok: true, value: [1] });
  });
});
