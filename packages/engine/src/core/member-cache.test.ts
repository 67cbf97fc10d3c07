import { describe, expect, it } from 'vitest';
import { invalidateSubjects, memberRolesCache } from './member-cache.js';
import type { StoredEvent } from './types.js';

function subjectEvent(wsid: number): StoredEvent {
  return {
    qname: 'sys.CUD',
    wsid,
    partition: 0,
    plogOffset: 1,
    wlogOffset: 1,
    registeredAt: 0,
    cuds: [{ table: 'sys.Subject', id: 200_001, isNew: false, fields: { Roles: '' } }],
  };
}

describe('member roles cache', () => {
  it('loads once, then serves from the cache until the workspace is invalidated', async () => {
    const app = {};
    const cache = memberRolesCache(app);
    let loads = 0;
    const load = (): Promise<string[]> => Promise.resolve([`r${++loads}`]);
    expect(await cache.get(1, 'alice', load)).toEqual(['r1']);
    expect(await cache.get(1, 'alice', load)).toEqual(['r1']);
    invalidateSubjects(app, [{ ...subjectEvent(2) }]); // another workspace
    expect(await cache.get(1, 'alice', load)).toEqual(['r1']);
    invalidateSubjects(app, [subjectEvent(1)]);
    expect(await cache.get(1, 'alice', load)).toEqual(['r2']);
    expect(loads).toBe(2);
  });

  it('does not cache a lookup that raced with an invalidation', async () => {
    const app = {};
    const cache = memberRolesCache(app);
    let release: (roles: string[]) => void = () => undefined;
    const slow = cache.get(7, 'bob', () => new Promise<string[]>((r) => (release = r)));
    invalidateSubjects(app, [subjectEvent(7)]); // the batch was flushed while the lookup read
    release(['stale']);
    expect(await slow).toEqual(['stale']);
    expect(await cache.get(7, 'bob', () => Promise.resolve(['fresh']))).toEqual(['fresh']);
  });

  it('ignores events that write no sys.Subject record', async () => {
    const app = {};
    const cache = memberRolesCache(app);
    await cache.get(3, 'carol', () => Promise.resolve(['a']));
    invalidateSubjects(app, [{ ...subjectEvent(3), cuds: [{ table: 'todo.Task', id: 1, isNew: true, fields: {} }] }]);
    expect(await cache.get(3, 'carol', () => Promise.resolve(['b']))).toEqual(['a']);
  });
});
