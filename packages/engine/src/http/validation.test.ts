import { AppError } from '@stoa/errors';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { queryArgsSchema, whereSchema } from './appdef-schemas.js';
import { loadExampleAppDef } from './test-support.js';
import { decimalIdSchema, notificationsBody, parseOrThrow } from './validation.js';

function messageOf(schema: z.ZodType, value: unknown, prefix: string): string | undefined {
  try {
    parseOrThrow(schema, value, prefix);
    return undefined;
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    expect(e.httpStatus).toBe(400);
    return e.message;
  }
}

describe('edge validation', () => {
  it('ids: decimal 1..2^53-1, no sign or leading zero', () => {
    expect(parseOrThrow(decimalIdSchema, '9007199254740991', 'wsid')).toBe(9007199254740991);
    for (const bad of ['0', '01', '-1', '1.5', '9007199254740992', '', 'x']) {
      expect(messageOf(decimalIdSchema, bad, 'wsid')).toMatch(/^wsid: /);
    }
  });

  it('where is typed by the view fields; int64 accepts numbers and decimal strings', () => {
    const todo = loadExampleAppDef('todo');
    const where = whereSchema(todo, 'view', 'todo.TaskStats');
    expect(messageOf(where, { Board: 0, Priority: { $in: [1, 2] } }, 'where')).toBeUndefined();
    expect(messageOf(where, { Open: '123456789012345678' }, 'where')).toBeUndefined();
    expect(messageOf(where, { Open: '99999999999999999999' }, 'where')).toBe(
      'where.Open: expected an int64 (number, or decimal string beyond 2^53)',
    );
    expect(messageOf(where, { Board: 2 ** 31 }, 'where')).toBe('where.Board: must be at most 2147483647');
    expect(messageOf(where, { Priority: { $in: [] } }, 'where')).toBe('where.Priority.$in: at least 1 item(s)');
    expect(whereSchema(todo, 'view', 'todo.TaskStats')).toBe(where); // cached per AppDef
  });

  it('where on an entity the AppDef does not know keeps the generic shape (the core answers 404)', () => {
    const where = whereSchema(loadExampleAppDef('todo'), 'view', 'todo.Nope');
    expect(messageOf(where, { Anything: 1, Other: { $in: ['a'] } }, 'where')).toBeUndefined();
    expect(messageOf(where, { A: [1] }, 'where')).toBe('where.A: expected a scalar or {"$in":[…]}');
  });

  it('query args follow the parameter TYPE strictly', () => {
    const shop = loadExampleAppDef('shop');
    const args = queryArgsSchema(shop, 'shop.SalesReport');
    expect(messageOf(args, { Year: 2024 }, 'args')).toBeUndefined();
    expect(messageOf(args, { Year: '2024' }, 'args')).toBe('args.Year: expected number');
    expect(messageOf(queryArgsSchema(shop, 'shop.Ping'), {}, 'args')).toBeUndefined();
  });

  it('bodies: unknown keys are named, several issues are joined', () => {
    expect(messageOf(notificationsBody, { subscriptions: [], foo: 1, bar: 2 }, '')).toBe(
      'unknown field(s): bar, foo; subscriptions: at least one subscription is required',
    );
  });
});
