import { AppClient } from './app-client.js';
import type { Result } from './result.js';
import { Transport, type ClientOptions } from './transport.js';
import type { Jwks } from './types.js';

/**
 * A client of one engine node: node-level probes plus `app(owner, name)` for an app's API v2.
 * Immutable: `withToken` returns a new client sharing the options.
 */
export class StoaClient {
  private readonly transport: Transport;

  constructor(options: ClientOptions | Transport) {
    this.transport = options instanceof Transport ? options : new Transport(options);
  }

  get options(): ClientOptions {
    return this.transport.options;
  }

  /** The same node with another bearer token; undefined = anonymous. */
  withToken(token: string | undefined): StoaClient {
    return new StoaClient(this.transport.withToken(token));
  }

  app(owner: string, name: string): AppClient {
    return new AppClient(this.transport, owner, name);
  }

  /** 200 `{status: 'ok'}` while the node serves. */
  healthz(): Promise<Result<{ status: string }>> {
    return this.transport.request({ method: 'GET', path: '/healthz' });
  }

  /** 200 `{status: 'ready'}` once every app is loaded; else an http error UNAVAILABLE (503). */
  readyz(): Promise<Result<{ status: string }>> {
    return this.transport.request({ method: 'GET', path: '/readyz' });
  }

  /** The node's public signing keys (to verify principal tokens offline). */
  jwks(): Promise<Result<Jwks>> {
    return this.transport.request({ method: 'GET', path: '/.well-known/jwks.json' });
  }
}

export function createClient(options: ClientOptions): StoaClient {
  return new StoaClient(options);
}
