import { describe, expect, it } from 'vitest';
import { readBodyCapped } from './read-body';

function streamOf(chunks: number[]): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = chunks[i++];
      if (size === undefined) controller.close();
      else controller.enqueue(new Uint8Array(size).fill(i));
    },
  });
  return { stream, pulled: () => i };
}

function post(body: BodyInit, headers: Record<string, string> = {}): Request {
  const init: RequestInit & { duplex?: 'half' } = { method: 'POST', body, headers, duplex: 'half' };
  return new Request('http://x.test/', init);
}

describe('readBodyCapped', () => {
  it('returns the whole body up to the cap, chunks joined in order', async () => {
    const { stream } = streamOf([3, 4, 3]);
    const body = await readBodyCapped(post(stream), 10);
    expect([...body]).toEqual([1, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
  });

  it('stops reading as soon as the stream passes the cap', async () => {
    const { stream, pulled } = streamOf([4, 4, 4, 4, 4, 4]);
    await expect(readBodyCapped(post(stream), 10)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(pulled()).toBeLessThanOrEqual(4);
  });

  it('refuses a declared length over the cap before reading', async () => {
    const req = post('tiny', { 'content-length': '11' });
    await expect(readBodyCapped(req, 10)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(req.bodyUsed).toBe(false);
  });

  it('reads an empty body as empty', async () => {
    expect((await readBodyCapped(new Request('http://x.test/', { method: 'POST' }), 10)).length).toBe(0);
  });
});
