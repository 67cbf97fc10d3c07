import type { AclExplainInput, ListOptions } from './types.js';

/**
 * Query strings exactly as packages/engine/src/http/read-params.ts parses them: `where` and
 * `args` JSON-encoded, `order`/`keys`/`include` comma lists, `limit`/`skip` decimal integers.
 * Absent options are omitted (an empty value would be a 400), and no parameter appears twice.
 */
export function buildReadQuery(options: ListOptions = {}, args?: Readonly<Record<string, unknown>>): URLSearchParams {
  const q = new URLSearchParams();
  if (options.where !== undefined) q.set('where', JSON.stringify(options.where));
  if (options.order !== undefined && options.order.length > 0) q.set('order', options.order.join(','));
  if (options.limit !== undefined) q.set('limit', String(options.limit));
  if (options.skip !== undefined) q.set('skip', String(options.skip));
  if (options.keys !== undefined && options.keys.length > 0) q.set('keys', options.keys.join(','));
  if (options.include !== undefined && options.include.length > 0) q.set('include', options.include.join(','));
  if (args !== undefined) q.set('args', JSON.stringify(args));
  return q;
}

/** `?privilege=&resource=[&roles=a,b][&fields=x,y]` of ACL explain. */
export function buildExplainQuery(input: AclExplainInput): URLSearchParams {
  const q = new URLSearchParams({ privilege: input.privilege, resource: input.resource });
  if (input.roles !== undefined) q.set('roles', input.roles.join(','));
  if (input.fields !== undefined) q.set('fields', input.fields.join(','));
  return q;
}

/** Path segments are percent-encoded (owner, app and logins may hold `@`, `+`, …). */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}
