import { describe, expect, it } from 'vitest';
import { matchRoute } from './router.js';

const app = '/api/v2/apps/local/todo';

describe('matchRoute', () => {
  it.each([
    ['/healthz', 'healthz', {}],
    ['/readyz', 'readyz', {}],
    ['/metrics', 'metrics', {}],
    ['/.well-known/jwks.json', 'jwks', {}],
    [`${app}/openapi.json`, 'openapi', { owner: 'local', app: 'todo' }],
    [`${app}/workspaces`, 'workspaces', { owner: 'local', app: 'todo' }],
    [`${app}/workspaces/7`, 'workspace', { owner: 'local', app: 'todo', wsid: '7' }],
    [`${app}/workspaces/7/docs/todo.Task`, 'docs', { owner: 'local', app: 'todo', wsid: '7', qname: 'todo.Task' }],
    [
      `${app}/workspaces/7/docs/todo.Task/9`,
      'doc',
      { owner: 'local', app: 'todo', wsid: '7', qname: 'todo.Task', id: '9' },
    ],
    [`${app}/workspaces/7/cdocs/todo.Task`, 'cdocs', { owner: 'local', app: 'todo', wsid: '7', qname: 'todo.Task' }],
    [`${app}/workspaces/7/cuds`, 'cuds', { owner: 'local', app: 'todo', wsid: '7' }],
    [`${app}/workspaces/7/commands/todo.Do`, 'command', { owner: 'local', app: 'todo', wsid: '7', qname: 'todo.Do' }],
    [`${app}/workspaces/7/queries/todo.Q`, 'query', { owner: 'local', app: 'todo', wsid: '7', qname: 'todo.Q' }],
    [`${app}/workspaces/7/views/todo.V`, 'view', { owner: 'local', app: 'todo', wsid: '7', qname: 'todo.V' }],
    [`${app}/notifications`, 'notifications', { owner: 'local', app: 'todo' }],
    [
      `${app}/notifications/ch1/workspaces/7/subscriptions/todo.V`,
      'subscription',
      { owner: 'local', app: 'todo', channelId: 'ch1', wsid: '7', qname: 'todo.V' },
    ],
    ['/api/v2/apps/my%20org/todo/workspaces', 'workspaces', { owner: 'my org', app: 'todo' }],
    [`${app}/users`, 'users', { owner: 'local', app: 'todo' }],
    [`${app}/users/change-password`, 'changePassword', { owner: 'local', app: 'todo' }],
    [`${app}/users/deactivate`, 'deactivateLogin', { owner: 'local', app: 'todo' }],
    [`${app}/devices`, 'devices', { owner: 'local', app: 'todo' }],
    [`${app}/auth/login`, 'login', { owner: 'local', app: 'todo' }],
    [`${app}/auth/refresh`, 'refresh', { owner: 'local', app: 'todo' }],
  ])('%s → %s', (path, id, params) => {
    const m = matchRoute(path);
    expect(m?.route.id).toBe(id);
    expect(m?.params).toEqual(params);
  });

  it.each([
    '/',
    '/healthz/',
    '/api/v2/apps/local',
    '/api/v2/apps/local/todo',
    `${app}/workspaces/`,
    `${app}/workspaces/7/docs`,
    `${app}/workspaces/7/docs/a.B/1/2`,
    `${app}/workspaces/7/cuds/x`,
    `${app}/workspaces/7/blobs/x`,
    `${app}/workspaces//docs/a.B`,
    `${app}/auth/logout`,
    `${app}/auth/login/x`,
    `${app}/users/x`,
    `${app}/devices/x`,
    `${app}/notifications/c/workspaces/7/subscriptions`,
    '/api/v2/apps/%E0%A4%A/todo/workspaces',
  ])('%s → no route', (path) => {
    expect(matchRoute(path)).toBeUndefined();
  });

  it('exposes methods and the template used as the metrics label', () => {
    const m = matchRoute(`${app}/workspaces/7/docs/todo.Task/9`);
    expect(m?.route.methods).toEqual(['GET', 'PATCH', 'DELETE']);
    expect(m?.route.allow).toBe('GET, PATCH, DELETE');
    expect(m?.route.template).toBe('/api/v2/apps/{owner}/{app}/workspaces/{wsid}/docs/{table}/{id}');
  });
});
