import { describe, expect, it } from 'vitest';
import { SseParser, readSseEvents, type SseEvent } from './sse.js';

function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      const chunk = chunks[i++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSseEvents(stream)) events.push(event);
  return events;
}

// Two events with ids, a heartbeat comment, a multi-line data field, a named event, CRLF and CR
// line ends, multi-byte UTF-8 (2, 3 and 4 bytes) and a trailing unterminated event.
const WIRE =
  '\uFEFF: heartbeat\n' +
  'id: 1\n' +
  'data: {"seq":1,"msg":"héllo €"}\n\n' +
  'id: 2\r\n' +
  'data:first\r\n' +
  'data: second 🚀\r\n\r\n' +
  ': keep-alive\r' +
  'event: ping\r' +
  'data\r\r' +
  'retry: 1000\n' +
  'data: no id change\n\n' +
  'data: never dispatched';

const EXPECTED: SseEvent[] = [
  { event: 'message', data: '{"seq":1,"msg":"héllo €"}', id: '1' },
  { event: 'message', data: 'first\nsecond 🚀', id: '2' },
  { event: 'ping', data: '', id: '2' },
  { event: 'message', data: 'no id change', id: '2' },
];

describe('SseParser', () => {
  it('parses comments, ids, multi-line data, named events and every line ending', () => {
    const parser = new SseParser();
    expect(parser.push(WIRE)).toEqual(EXPECTED);
  });

  it('keeps partial lines between pushes, a CRLF split between two pushes counting once', () => {
    const parser = new SseParser();
    expect(parser.push('data: a\r')).toEqual([]);
    expect(parser.push('\ndata: b\r')).toEqual([]);
    expect(parser.push('\n\r\n')).toEqual([{ event: 'message', data: 'a\nb', id: undefined }]);
    expect(parser.push('data: c\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'message', data: 'c', id: undefined }]);
  });
});

describe('readSseEvents', () => {
  it('gives the same events however the bytes are cut (every split point, incl. inside UTF-8 characters)', async () => {
    const bytes = new TextEncoder().encode(WIRE);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const events = await collect(streamOf([bytes.slice(0, cut), bytes.slice(cut)]));
      expect(events, `cut at byte ${cut}`).toEqual(EXPECTED);
    }
  });

  it('handles one byte per chunk', async () => {
    const bytes = new TextEncoder().encode(WIRE);
    const chunks = [...bytes].map((b) => Uint8Array.of(b));
    expect(await collect(streamOf(chunks))).toEqual(EXPECTED);
  });

  it('cancels the stream when the consumer stops early', async () => {
    let cancelled = false;
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(encoder.encode('data: x\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of readSseEvents(stream)) {
      expect(event.data).toBe('x');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
