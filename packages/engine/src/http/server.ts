import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Serves a request listener over node:http. Keep-alive is tuned for load balancers and pooling
 * clients: the server keeps idle connections longer (65 s) than common proxies' idle timeout
 * (60 s), so the proxy, not the server, closes them and no request races a closing socket.
 */

export interface HttpServerOptions {
  readonly port: number;
  readonly host?: string;
  /** How long close() waits for in-flight requests before cutting connections (default 5 s). */
  readonly closeGraceMs?: number;
}

export interface HttpServerHandle {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Stops accepting, ends SSE streams and idle sockets, waits for in-flight requests (bounded). */
  close(): Promise<void>;
}

type Listener = ((req: IncomingMessage, res: ServerResponse) => void) & { shutdown?: () => void };

export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export async function startHttpServer(handler: Listener, options: HttpServerOptions): Promise<HttpServerHandle> {
  const server = createServer(
    {
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      // Must exceed keepAliveTimeout, or a request arriving at the end of the idle window is cut.
      headersTimeout: KEEP_ALIVE_TIMEOUT_MS + 1_000,
      requestTimeout: 120_000,
      noDelay: true,
    },
    handler,
  );
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    server,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.closeAllConnections(), options.closeGraceMs ?? 5_000);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        handler.shutdown?.();
        server.closeIdleConnections();
        // SSE sockets become idle only once their final chunk is flushed.
        setImmediate(() => server.closeIdleConnections());
      });
      return closing;
    },
  };
}
