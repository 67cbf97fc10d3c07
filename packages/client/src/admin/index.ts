// `@stoa/client/admin`: the engine admin API (docs/admin-api.md) — typed client, admin keys and
// tokens, wire types. Results and errors are the API v2 client's (`Result`, `ClientError`).
export { AdminClient, createAdminClient, isIncompatible } from './admin-client.js';
export type { AdminClientOptions } from './admin-client.js';
export {
  ADMIN_AUDIENCE,
  DEFAULT_ADMIN_TOKEN_TTL_SECONDS,
  MAX_ADMIN_TOKEN_TTL_SECONDS,
  generateAdminKeyPair,
  importAdminKey,
  parseAdminKeyFile,
  signAdminToken,
  toPublicJwk,
} from './keys.js';
export type { AdminPrivateJwk, AdminPublicJwk, AdminSigningKey, SignAdminTokenOptions } from './keys.js';
export { SseParser, readSseEvents } from './sse.js';
export type { SseEvent } from './sse.js';
export { fail, ok, toAppError, unwrap } from '../result.js';
export type { ClientError, HttpError, InvalidResponseError, NetworkError, Result } from '../result.js';
export type { FetchLike } from '../transport.js';
export type * from './types.js';
