import type { IncomingMessage } from 'node:http';
import { AppError } from '@stoa/errors';

/**
 * Reads a request body under a byte cap. The cap is checked against `content-length` before
 * reading and against the bytes seen while reading, so an oversized body is never buffered: the
 * read stops (the request is paused) and the caller answers 413 and closes the connection.
 */

export class BodyTooLargeError extends AppError {
  constructor(maxBytes: number) {
    super('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, { data: { maxBytes } });
  }
}

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) throw new BodyTooLargeError(maxBytes);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Listeners built as unnamed array elements: under tsx (esbuild keepNames) a named arrow costs an
    // Object.defineProperty per request.
    const [onData, onEnd, onError, cleanup] = [
      (chunk: Buffer): void => {
        size += chunk.length;
        if (size > maxBytes) {
          cleanup();
          req.pause();
          reject(new BodyTooLargeError(maxBytes));
          return;
        }
        chunks.push(chunk);
      },
      (): void => {
        cleanup();
        resolve(chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, size));
      },
      (e: Error): void => {
        cleanup();
        reject(new AppError('BAD_REQUEST', 'request body could not be read', { cause: e }));
      },
      (): void => {
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
      },
    ] as const;
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semi = value.indexOf(';');
  const mime = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

/**
 * The JSON body, or undefined when the body is empty. A non-empty body must be declared JSON:
 * 400 (not 415: the error catalogue has no such code and clients handle 400 as "fix your input").
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const buf = await readBody(req, maxBytes);
  if (buf.length === 0) return undefined;
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new AppError('BAD_REQUEST', 'content-type must be application/json', { data: { field: 'content-type' } });
  }
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (e) {
    throw new AppError('BAD_REQUEST', `malformed JSON body: ${(e as Error).message}`);
  }
}
