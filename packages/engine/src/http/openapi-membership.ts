import type { JsonSchema } from './openapi-schemas.js';
import { errorRefs, jsonAnswer, jsonBody, schemaRef } from './openapi-schemas.js';

/**
 * OpenAPI paths and schemas of the membership routes (membership-routes.ts): invites, members,
 * app API tokens and ACL explain. Merged into the app document by openapi.ts.
 */

type Operation = Record<string, unknown>;

const errors = errorRefs;
const body = jsonBody;
const answer = jsonAnswer;

function results(name: string): JsonSchema {
  return { type: 'object', properties: { results: { type: 'array', items: schemaRef(name) } }, required: ['results'] };
}

const WSID = { $ref: '#/components/parameters/wsid' };
const ID = { $ref: '#/components/parameters/id' };
const LOGIN = { name: 'login', in: 'path', required: true, schema: { type: 'string', minLength: 1, maxLength: 256 } };
const WS_ERRORS = ['400', '401', '403', '404', '410'];
const WRITE_ERRORS = [...WS_ERRORS, '409', '413', '503'];

export function addMembershipPaths(add: (path: string, method: string, op: Operation) => void): void {
  const tags = ['membership'];
  add('/workspaces/{wsid}/invites', 'post', {
    operationId: 'inviteLogin',
    tags,
    summary: 'Invite a login with roles (owner only); 409 if a member or an invite is pending',
    parameters: [WSID],
    requestBody: body('InviteRequest'),
    responses: {
      ...answer('201', 'invited', {
        type: 'object',
        properties: { inviteId: { type: 'integer' } },
        required: ['inviteId'],
      }),
      ...errors(WRITE_ERRORS),
    },
  });
  add('/workspaces/{wsid}/invites', 'get', {
    operationId: 'listWorkspaceInvites',
    tags,
    summary: 'Every invite of the workspace, any state (owner only)',
    parameters: [WSID],
    responses: { ...answer('200', 'invites', results('Invite')), ...errors(WS_ERRORS) },
  });
  add('/workspaces/{wsid}/invites/{id}', 'delete', {
    operationId: 'cancelInvite',
    tags,
    summary: 'Cancel a pending invite (owner only); 409 unless pending',
    parameters: [WSID, ID],
    responses: { ...answer('204', 'cancelled'), ...errors(WRITE_ERRORS) },
  });
  for (const action of ['accept', 'decline'] as const) {
    add(`/workspaces/{wsid}/invites/{id}/${action}`, 'post', {
      operationId: `${action}Invite`,
      tags,
      summary: `${action === 'accept' ? 'Accept' : 'Decline'} an invite (the invited login only; others 403)`,
      parameters: [WSID, ID],
      responses: {
        ...(action === 'accept' ? answer('200', 'member', schemaRef('Member')) : answer('204', 'declined')),
        ...errors(WRITE_ERRORS),
      },
    });
  }
  add('/invites', 'get', {
    operationId: 'listMyInvites',
    tags,
    summary: "The caller's pending invites across workspaces",
    responses: { ...answer('200', 'invites', results('Invite')), ...errors(['401', '403']) },
  });
  add('/workspaces/{wsid}/members', 'get', {
    operationId: 'listMembers',
    tags,
    summary: 'Active members with their roles (members only)',
    parameters: [WSID],
    responses: { ...answer('200', 'members', results('Member')), ...errors(WS_ERRORS) },
  });
  add('/workspaces/{wsid}/members/{login}', 'patch', {
    operationId: 'changeMemberRoles',
    tags,
    summary: "Replace a member's roles (owner only); applies on the member's next request",
    parameters: [WSID, LOGIN],
    requestBody: body('MemberRolesRequest'),
    responses: { ...answer('200', 'member', schemaRef('Member')), ...errors(WRITE_ERRORS) },
  });
  add('/workspaces/{wsid}/members/{login}', 'delete', {
    operationId: 'removeMember',
    tags,
    summary: 'Remove a member (owner) or leave (the member itself); the owner cannot leave (409)',
    parameters: [WSID, LOGIN],
    responses: { ...answer('204', 'removed'), ...errors(WRITE_ERRORS) },
  });
  add('/workspaces/{wsid}/api-tokens', 'post', {
    operationId: 'createApiToken',
    tags,
    summary: 'Create an app API token bound to this workspace with PUBLISHED roles (owner only)',
    description: 'The token value is in this answer only; it is never stored or listed.',
    parameters: [WSID],
    requestBody: body('ApiTokenRequest'),
    responses: { ...answer('201', 'created', schemaRef('CreatedApiToken')), ...errors(WRITE_ERRORS) },
  });
  add('/workspaces/{wsid}/api-tokens', 'get', {
    operationId: 'listApiTokens',
    tags,
    summary: "The workspace's API tokens without their values (owner only)",
    parameters: [WSID],
    responses: { ...answer('200', 'tokens', results('ApiToken')), ...errors(WS_ERRORS) },
  });
  add('/workspaces/{wsid}/api-tokens/{id}', 'delete', {
    operationId: 'revokeApiToken',
    tags,
    summary: 'Revoke an API token (owner only); refused with 401 from its next request on',
    parameters: [WSID, ID],
    responses: { ...answer('204', 'revoked'), ...errors(WRITE_ERRORS) },
  });
  const query = (name: string, required: boolean, description: string, schema: JsonSchema): unknown => ({
    name,
    in: 'query',
    required,
    description,
    schema,
  });
  add('/workspaces/{wsid}/acl/explain', 'get', {
    operationId: 'explainAcl',
    tags,
    summary: 'The ACL decision for roles and an operation, with the deciding rule (owner only)',
    parameters: [
      WSID,
      query('privilege', true, 'operation', {
        type: 'string',
        enum: ['select', 'insert', 'update', 'activate', 'deactivate', 'execute'],
      }),
      query('resource', true, 'table, view, command or query QName', { type: 'string' }),
      query('roles', false, "comma list of role QNames (default: the caller's roles)", { type: 'string' }),
      query('fields', false, 'comma list of fields the operation touches', { type: 'string' }),
    ],
    responses: { ...answer('200', 'decision', schemaRef('AclExplanation')), ...errors(WS_ERRORS) },
  });
}

export function membershipSchemas(): Record<string, JsonSchema> {
  const roles: JsonSchema = { type: 'array', items: { type: 'string' }, maxItems: 32 };
  const ms: JsonSchema = { type: 'integer', description: 'milliseconds since the epoch' };
  return {
    InviteRequest: {
      type: 'object',
      properties: { login: { type: 'string', minLength: 1, maxLength: 256 }, roles },
      required: ['login', 'roles'],
      additionalProperties: false,
    },
    MemberRolesRequest: {
      type: 'object',
      properties: { roles },
      required: ['roles'],
      additionalProperties: false,
    },
    ApiTokenRequest: {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 255 },
        roles: { ...roles, minItems: 1 },
        expiresInSeconds: { type: 'integer', minimum: 1, maximum: 604_800, description: 'default 604800 (7 days)' },
      },
      required: ['name', 'roles'],
      additionalProperties: false,
    },
    Invite: {
      type: 'object',
      properties: {
        inviteId: { type: 'integer' },
        wsid: { type: 'integer' },
        login: { type: 'string' },
        roles,
        state: { type: 'string', enum: ['created', 'accepted', 'declined', 'cancelled'] },
        invitedBy: { type: 'string' },
        createdAt: ms,
        updatedAt: ms,
        workspaceName: { type: 'string' },
        workspaceKind: { type: 'string' },
      },
      required: ['inviteId', 'wsid', 'login', 'roles', 'state'],
    },
    Member: {
      type: 'object',
      properties: {
        login: { type: 'string' },
        roles,
        kind: { type: 'string', enum: ['user', 'device'] },
        owner: { type: 'boolean' },
        wsid: { type: 'integer' },
      },
      required: ['login', 'roles', 'kind', 'owner'],
    },
    CreatedApiToken: {
      type: 'object',
      properties: { id: { type: 'integer' }, token: { type: 'string' }, expiresAt: ms },
      required: ['id', 'token', 'expiresAt'],
    },
    ApiToken: {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        name: { type: 'string' },
        roles,
        expiresAt: ms,
        createdAt: ms,
        createdBy: { type: 'string' },
        revoked: { type: 'boolean' },
        expired: { type: 'boolean' },
      },
      required: ['id', 'name', 'roles', 'expiresAt', 'revoked', 'expired'],
    },
    AclExplanation: {
      type: 'object',
      properties: {
        allowed: { type: 'boolean' },
        fields: {
          oneOf: [
            { type: 'string', enum: ['all'] },
            { type: 'array', items: { type: 'string' } },
          ],
        },
        rule: {
          oneOf: [
            { type: 'null' },
            {
              type: 'object',
              properties: {
                op: { type: 'string', enum: ['grant', 'revoke'] },
                privileges: { type: 'array', items: { type: 'string' } },
                on: { type: 'object' },
                columns: { type: 'array', items: { type: 'string' } },
                principal: { type: 'string' },
                workspace: { type: 'string' },
                loc: { oneOf: [{ type: 'null' }, { type: 'object' }] },
                text: { type: 'string' },
              },
              required: ['op', 'privileges', 'on', 'principal', 'workspace', 'loc', 'text'],
            },
          ],
        },
        reason: { type: 'string' },
        roles,
      },
      required: ['allowed', 'fields', 'rule', 'reason', 'roles'],
    },
  };
}
