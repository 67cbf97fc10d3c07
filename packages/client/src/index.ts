export { createClient, StoaClient } from './client.js';
export { AppClient } from './app-client.js';
export { IdentityClient } from './identity-client.js';
export { MembershipClient } from './membership-client.js';
export { codeOfStatus, fail, mapResult, ok, toAppError, unwrap } from './result.js';
export type { ClientError, HttpError, InvalidResponseError, NetworkError, Result } from './result.js';
export { buildReadQuery } from './query-string.js';
export type { ClientOptions, FetchLike } from './transport.js';
export type * from './types.js';
