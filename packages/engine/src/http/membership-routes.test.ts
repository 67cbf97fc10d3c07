import { describe, expect, it } from 'vitest';
import { MEMBERSHIP_ROUTES } from './membership-routes.js';
import { matchRoute } from './router.js';

const APP = '/api/v2/apps/local/shop';

describe('membership routes', () => {
  it.each([
    ['/invites', 'myInvites', {}],
    ['/workspaces/7/invites', 'invites', { wsid: '7' }],
    ['/workspaces/7/invites/9', 'invite', { wsid: '7', id: '9' }],
    ['/workspaces/7/invites/9/accept', 'inviteAccept', { wsid: '7', id: '9' }],
    ['/workspaces/7/invites/9/decline', 'inviteDecline', { wsid: '7', id: '9' }],
    ['/workspaces/7/members', 'members', { wsid: '7' }],
    ['/workspaces/7/members/ann%40example.com', 'member', { wsid: '7', login: 'ann@example.com' }],
    ['/workspaces/7/api-tokens', 'apiTokens', { wsid: '7' }],
    ['/workspaces/7/api-tokens/3', 'apiToken', { wsid: '7', id: '3' }],
    ['/workspaces/7/acl/explain', 'aclExplain', { wsid: '7' }],
  ])('%s → %s', (path, id, params) => {
    const m = matchRoute(APP + path);
    expect(m?.route.id).toBe(id);
    expect(m?.params).toMatchObject(params);
    expect(MEMBERSHIP_ROUTES.has(m!.route.id)).toBe(true);
  });

  it.each([
    '/invites/1',
    '/workspaces/7/invites/9/maybe',
    '/workspaces/7/members/a/b',
    '/workspaces/7/members/%E0%A4%A',
    '/workspaces/7/acl',
    '/workspaces/7/acl/other',
    '/workspaces/7/api-tokens/3/x',
  ])('%s → no route', (path) => {
    expect(matchRoute(APP + path)).toBeUndefined();
  });
});
