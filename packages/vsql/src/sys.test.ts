import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';
import { parse } from './parser.js';
import { SYS_VSQL } from './sys/sys-vsql.js';

// The smallest app: the sys package is all that gets compiled besides it.
const result = compile([{ path: 'app.vsql', source: 'APPLICATION empty();' }]);
if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
const appdef = result.appdef;

describe('sys package', () => {
  it('parses on its own and compiles with an empty app', () => {
    expect(parse(SYS_VSQL, 'sys.vsql').statements.length).toBeGreaterThan(0);
    expect(appdef.name).toBe('empty');
    expect(appdef.packages).toEqual([
      { localName: 'sys', path: 'stoa/sys' },
      { localName: 'empty', path: 'empty' },
    ]);
  });

  it('has the abstract root tables of every kind', () => {
    const roots = {
      CDoc: 'CDoc',
      WDoc: 'WDoc',
      ODoc: 'ODoc',
      CRecord: 'CRecord',
      WRecord: 'WRecord',
      ORecord: 'ORecord',
      CSingleton: 'CDoc',
      WSingleton: 'WDoc',
    };
    for (const [name, kind] of Object.entries(roots)) {
      expect(appdef.tables[`sys.${name}`], name).toMatchObject({
        kind,
        abstract: true,
        singleton: name.endsWith('Singleton'),
      });
    }
    expect(appdef.tables['sys.CDoc']!.fields.map((f) => f.name)).toEqual(['sys.QName', 'sys.ID', 'sys.IsActive']);
    expect(appdef.tables['sys.CDoc']!.fields.every((f) => f.system)).toBe(true);
  });

  it('has sys.BLOB as a WDoc and the membership tables', () => {
    expect(appdef.tables['sys.BLOB']).toMatchObject({ kind: 'WDoc', abstract: false });
    expect(appdef.tables['sys.Subject']).toMatchObject({
      kind: 'CDoc',
      uniques: [{ name: 'sys.Subject$uniques$01', fields: ['Login'] }],
    });
    expect(appdef.tables['sys.Invite']?.kind).toBe('CDoc');
    expect(appdef.tables['sys.ChildWorkspace']?.kind).toBe('CDoc');
  });

  it('has the system workspaces', () => {
    expect(appdef.workspaces['sys.Workspace']).toMatchObject({ abstract: true, inherits: [], ancestors: [] });
    expect(appdef.workspaces['sys.AppWorkspaceWS']).toMatchObject({
      abstract: false,
      alterable: true,
      descriptor: 'sys.AppWorkspace',
    });
    expect(appdef.workspaces['sys.ProfileWS']).toMatchObject({ abstract: true });
    expect(appdef.workspaces['sys.UserProfileWS']).toMatchObject({
      alterable: true,
      descriptor: 'sys.UserProfile',
      ancestors: ['sys.Workspace', 'sys.ProfileWS'],
    });
    expect(appdef.workspaces['sys.DeviceProfileWS']).toMatchObject({
      alterable: true,
      descriptor: 'sys.DeviceProfile',
    });
  });

  it('has the built-in roles and their inheritance', () => {
    for (const r of [
      'Anonymous',
      'Everyone',
      'AuthenticatedUser',
      'WorkspaceOwner',
      'System',
      'ProfileOwner',
      'WorkspaceDevice',
    ]) {
      expect(appdef.roles[`sys.${r}`], r).toBeDefined();
    }
    const inherits = appdef.workspaces['sys.Workspace']!.acl.filter((r) => r.privileges.includes('inherits')).map(
      (r) => `${r.on.qnames[0]}→${r.principal}`,
    );
    expect(inherits).toEqual(
      expect.arrayContaining([
        'sys.Everyone→sys.Anonymous',
        'sys.Everyone→sys.AuthenticatedUser',
        'sys.WorkspaceOwner→sys.ProfileOwner',
      ]),
    );
  });

  it('has the storages with their scopes and entities', () => {
    const names = [
      'Record',
      'View',
      'Uniq',
      'Event',
      'WLog',
      'AppSecret',
      'Http',
      'SendMail',
      'Result',
      'Response',
      'RequestSubject',
      'Logger',
    ];
    for (const n of names) expect(appdef.storages[`sys.${n}`], n).toBeDefined();
    expect(appdef.storages['sys.Record']).toEqual({
      qname: 'sys.Record',
      entity: 'record',
      ops: {
        get: ['commands', 'queries', 'projectors', 'jobs'],
        getBatch: ['commands', 'queries', 'projectors', 'jobs'],
        insert: ['commands'],
        update: ['commands'],
      },
    });
    expect(appdef.storages['sys.View']?.entity).toBe('view');
    expect(appdef.storages['sys.Http']).toEqual({
      qname: 'sys.Http',
      entity: null,
      ops: { read: ['queries', 'projectors', 'jobs'] },
    });
  });

  it('has the builtin commands CUD and Init', () => {
    expect(appdef.extensions['sys.CUD']).toMatchObject({
      kind: 'command',
      engine: 'builtin',
      workspace: 'sys.Workspace',
    });
    expect(appdef.extensions['sys.Init']).toMatchObject({ kind: 'command', engine: 'builtin' });
  });
});
