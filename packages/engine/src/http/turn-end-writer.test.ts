import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AppError } from '@stoa/errors';
import { Exchange } from './exchange.js';
import { createHttpMetrics } from './http-metrics.js';
import { endAtTurnEnd } from './turn-end-writer.js';

/** Just what Exchange and the writer touch of a ServerResponse, recording what is sent. */
function fakeResponse(name: string, sent: string[]): ServerResponse {
  const headers = new Map<string, unknown>();
  return {
    statusCode: 200,
    headersSent: false,
    setHeader: (k: string, v: unknown) => headers.set(k, v),
    end: (body?: string) => {
      if (body === 'throw') throw new Error('invalid status');
      sent.push(`${name}:${body ?? ''}`);
    },
    destroy: () => sent.push(`${name}:destroyed`),
  } as unknown as ServerResponse;
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('endAtTurnEnd', () => {
  it('ends the responses of a turn together at its end, in call order', async () => {
    const sent: string[] = [];
    endAtTurnEnd(fakeResponse('a', sent), '1');
    endAtTurnEnd(fakeResponse('b', sent));
    await Promise.resolve();
    expect(sent).toEqual([]); // not within the turn (microtasks included)
    await nextTurn();
    expect(sent).toEqual(['a:1', 'b:']);
    endAtTurnEnd(fakeResponse('c', sent), '3');
    await nextTurn();
    expect(sent).toEqual(['a:1', 'b:', 'c:3']);
  });

  it('closes a response whose end throws and still ends the others of its turn', async () => {
    const sent: string[] = [];
    endAtTurnEnd(fakeResponse('a', sent), 'throw');
    endAtTurnEnd(fakeResponse('b', sent), '2');
    await nextTurn();
    expect(sent).toEqual(['a:destroyed', 'b:2']);
  });
});

describe('Exchange', () => {
  it('answers once: a failure after the answer is queued does not send a second one', async () => {
    const sent: string[] = [];
    const res = fakeResponse('r', sent);
    const req = { method: 'GET', socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
    const ex = new Exchange(req, res, 'req-1', '/x', '', pino({ level: 'silent' }), createHttpMetrics(new Registry()));
    ex.sendJson(200, { ok: true });
    ex.fail(new AppError('NOT_FOUND', 'late'));
    await nextTurn();
    expect(sent).toEqual(['r:{"ok":true}']);
    expect(res.statusCode).toBe(200);
  });
});
