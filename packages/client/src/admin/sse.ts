/**
 * Server-sent events over fetch's body stream (the admin log stream; EventSource cannot send an
 * Authorization header). Follows the WHATWG event-stream grammar: lines end in CRLF, LF or CR (a
 * CRLF may be split across chunks), `:` lines are comments (heartbeats), `data` lines accumulate,
 * a blank line dispatches, a leading BOM is dropped. UTF-8 is decoded in streaming mode, so a
 * character split across chunks survives.
 */

export interface SseEvent {
  /** `message` unless an `event:` line said otherwise. */
  readonly event: string;
  readonly data: string;
  /** The last `id:` seen so far in the stream (it persists across events, as in EventSource). */
  readonly id: string | undefined;
}

/** Text in, complete events out; keeps the partial line and event between calls. */
export class SseParser {
  private buffer = '';
  private skipLf = false;
  private started = false;
  private data: string[] = [];
  private event = '';
  private lastId: string | undefined;

  push(text: string): SseEvent[] {
    let input = text;
    if (!this.started && input.length > 0) {
      this.started = true;
      if (input.startsWith('\uFEFF')) input = input.slice(1);
    }
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < input.length; i++) {
      const ch = input[i];
      if (this.skipLf) {
        this.skipLf = false;
        if (ch === '\n') {
          start = i + 1;
          continue;
        }
      }
      if (ch !== '\n' && ch !== '\r') continue;
      const line = this.buffer + input.slice(start, i);
      this.buffer = '';
      start = i + 1;
      // A CR may be the first half of a CRLF whose LF arrives in the next chunk.
      if (ch === '\r') this.skipLf = true;
      const event = this.processLine(line);
      if (event !== undefined) events.push(event);
    }
    this.buffer += input.slice(start);
    return events;
  }

  private processLine(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
        // `retry` and unknown fields: nothing to do for a fetch-based reader.
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const data = this.data;
    const event = this.event;
    this.data = [];
    this.event = '';
    if (data.length === 0) return undefined;
    return { event: event === '' ? 'message' : event, data: data.join('\n'), id: this.lastId };
  }
}

/**
 * The events of a byte stream, ending when it ends. Cancels the stream when the consumer stops
 * early (`break`), so the connection is released.
 */
export async function* readSseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  const parser = new SseParser();
  let done = false;
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        // An unterminated last event is dropped, as EventSource does.
        parser.push(decoder.decode());
        return;
      }
      yield* parser.push(decoder.decode(chunk.value, { stream: true }));
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
