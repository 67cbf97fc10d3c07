// `@stoa/client/portal`: the portal's tool API (`/api/v1`): deploy a project archive with a portal
// access token, follow the deployment's log. Results and errors are the API v2 client's.
export { PortalClient, createPortalClient, parseDeployLogEvent } from './portal-client.js';
export type { FollowOptions, PortalClientOptions } from './portal-client.js';
export { fail, ok, toAppError, unwrap } from '../result.js';
export type { ClientError, HttpError, InvalidResponseError, NetworkError, Result } from '../result.js';
export type * from './types.js';
