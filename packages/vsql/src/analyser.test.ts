import { describe, expect, it } from 'vitest';
import type { AppDef } from './appdef.js';
import { compile, type CompileFile } from './compile.js';
import { findCronError } from './cron.js';

function ok(files: CompileFile[], options?: Parameters<typeof compile>[1]): AppDef {
  const r = compile(files, options);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.appdef;
}

function errors(files: CompileFile[]): string[] {
  const r = compile(files);
  return r.ok ? [] : r.errors.map((e) => e.message);
}

const LIB: CompileFile = {
  path: 'lib/lib.vsql',
  package: 'example.com/lib',
  source: `ABSTRACT WORKSPACE LibBaseWS (
    TAG LibTag;
    ABSTRACT TABLE Audited INHERITS sys.CDoc (CreatedBy varchar(50));
    TABLE Note INHERITS sys.CDoc (Text varchar(200) NOT NULL) WITH Tags=(LibTag);
    ROLE Reader;
);
ALTERABLE WORKSPACE LibWS INHERITS LibBaseWS ();`,
};

describe('analyser', () => {
  it('resolves names across imported packages, aliases and ALTER WORKSPACE of another package', () => {
    const app: CompileFile = {
      path: 'app.vsql',
      source: `IMPORT SCHEMA 'example.com/lib' AS l;
APPLICATION app(USE l;);
WORKSPACE AppWS INHERITS l.LibBaseWS (
    TABLE Doc INHERITS l.Audited (Title varchar(10), NoteID ref(Note));
    ROLE Writer;
    GRANT l.Reader TO Writer;
    GRANT SELECT ON ALL TABLES WITH TAG l.LibTag TO Writer;
);
ALTER WORKSPACE l.LibWS (
    TABLE Extra INHERITS sys.WDoc (X int32);
);`,
    };
    const appdef = ok([app, LIB]);
    expect(appdef.packages).toEqual([
      { localName: 'sys', path: 'stoa/sys' },
      { localName: 'app', path: 'app' },
      { localName: 'lib', path: 'example.com/lib' },
    ]);
    expect(appdef.tables['app.Doc']).toMatchObject({ kind: 'CDoc', inherits: 'lib.Audited' });
    expect(appdef.tables['app.Doc']!.fields.filter((f) => !f.system).map((f) => f.name)).toEqual([
      'CreatedBy',
      'Title',
      'NoteID',
    ]);
    // Unqualified `Note` is found through the inherited workspace of the other package.
    expect(appdef.tables['app.Doc']!.fields.find((f) => f.name === 'NoteID')!.type.refTargets).toEqual(['lib.Note']);
    expect(appdef.workspaces['app.AppWS']!.acl.map((r) => r.on.qnames)).toEqual([['lib.Reader'], ['lib.Note']]);
    expect(appdef.tables['app.Extra']!.workspace).toBe('lib.LibWS');
    expect(appdef.workspaces['lib.LibWS']!.types).toContain('app.Extra');
  });

  it('requires imported packages to be used by the APPLICATION', () => {
    const app: CompileFile = { path: 'app.vsql', source: `IMPORT SCHEMA 'example.com/lib';\nAPPLICATION app();` };
    expect(errors([app, LIB])).toEqual(['app.vsql:1:15: application does not define use of package lib']);
    const missing: CompileFile = {
      path: 'app.vsql',
      source: `IMPORT SCHEMA 'example.com/none';\nAPPLICATION app(USE none;);`,
    };
    expect(errors([missing])).toEqual([
      'app.vsql:1:15: undefined package example.com/none',
      'app.vsql:2:21: undefined package none',
    ]);
  });

  it('uses the package name from options', () => {
    const appdef = ok([{ path: 'a.vsql', source: 'APPLICATION myapp();\nWORKSPACE W (ROLE R;);' }], {
      packagePath: 'github.com/acme/shop',
    });
    expect(appdef.name).toBe('myapp');
    expect(appdef.packages[1]).toEqual({ localName: 'shop', path: 'github.com/acme/shop' });
    expect(appdef.roles['shop.R']).toBeDefined();
  });

  it('keeps comments and gives a default descriptor to workspaces without one', () => {
    const appdef = ok([
      {
        path: 'a.vsql',
        source: `APPLICATION a();
-- The main workspace.
WORKSPACE W (
    -- A thing.
    TABLE T INHERITS sys.CDoc (
        -- its name
        Name varchar
    );
    TABLE U INHERITS sys.CDoc (X int32) WITH Comment='explicit';
);`,
      },
    ]);
    expect(appdef.workspaces['a.W']).toMatchObject({ descriptor: 'a.WDescriptor', comment: 'The main workspace.' });
    expect(appdef.tables['a.WDescriptor']).toMatchObject({
      kind: 'CDoc',
      singleton: true,
      descriptorOf: 'a.W',
      inherits: 'sys.CSingleton',
    });
    expect(appdef.tables['a.T']!.comment).toBe('A thing.');
    expect(appdef.tables['a.T']!.fields.find((f) => f.name === 'Name')).toMatchObject({
      comment: 'its name',
      type: { kind: 'varchar', maxLen: 255 },
    });
    expect(appdef.tables['a.U']!.comment).toBe('explicit');
  });

  it('expands GRANT ALL ON ALL TABLES to the concrete tables of the workspace, inherited ones included', () => {
    const appdef = ok([
      {
        path: 'a.vsql',
        source: `APPLICATION a();
ABSTRACT WORKSPACE B (TABLE Base INHERITS sys.CDoc (X int32); ABSTRACT TABLE Abs INHERITS sys.CDoc (Y int32););
WORKSPACE W INHERITS B (
    TABLE Own INHERITS sys.WDoc (Z int32);
    ROLE R;
    GRANT ALL ON ALL TABLES TO R;
    GRANT SELECT(Z, sys.ID), UPDATE(Z) ON TABLE Own TO R;
);`,
      },
    ]);
    const [all, sel, upd] = appdef.workspaces['a.W']!.acl;
    expect(all!.privileges).toEqual(['select', 'insert', 'update']);
    expect(all!.on.kind).toBe('allTables');
    // Abstract tables and sys tables (membership, BLOBs…) are not part of an app's ALL TABLES.
    expect(all!.on.qnames).toEqual(['a.Base', 'a.Own', 'a.WDescriptor']);
    expect(sel).toMatchObject({ privileges: ['select'], columns: ['Z', 'sys.ID'] });
    expect(upd).toMatchObject({ privileges: ['update'], columns: ['Z'] });
  });

  it('accepts sys.CRecord/sys.WRecord/sys.ODoc as "any" projector targets and a TYPE as AFTER EXECUTE WITH PARAM target', () => {
    const appdef = ok([
      {
        path: 'a.vsql',
        source: `APPLICATION a();
WORKSPACE W (
    TYPE P (X int32);
    EXTENSION ENGINE BUILTIN (
        COMMAND C(P);
        PROJECTOR Any AFTER INSERT OR UPDATE ON (sys.CRecord, sys.WRecord) OR AFTER INSERT ON sys.ODoc;
        PROJECTOR ByParam AFTER EXECUTE WITH PARAM ON P OR AFTER EXECUTE ON C;
    );
);`,
      },
    ]);
    expect(appdef.extensions['a.Any']!.triggers).toEqual([
      { on: 'insert', targets: ['sys.CRecord', 'sys.WRecord'] },
      { on: 'update', targets: ['sys.CRecord', 'sys.WRecord'] },
      { on: 'insert', targets: ['sys.ODoc'] },
    ]);
    expect(appdef.extensions['a.ByParam']!.triggers).toEqual([
      { on: 'executeWithParam', targets: ['a.P'] },
      { on: 'execute', targets: ['a.C'] },
    ]);
  });

  it('checks cron expressions', () => {
    for (const good of [
      '0 3 * * *',
      '*/5 * * * *',
      '0 0 1 JAN-MAR MON-FRI',
      '30 0 3 * * ?',
      '@daily',
      '@every 2m30s',
      '0 8-18/2 * * 1,3,5',
    ]) {
      expect(findCronError(good), good).toBeUndefined();
    }
    expect(findCronError('* * 32 * *')).toBe('day of month value 32 out of range 1-31');
    expect(findCronError('*/0 * * * *')).toBe("bad step in minute field '*/0'");
    expect(findCronError('0 5-3 * * *')).toBe("bad range in hour field '5-3'");
    expect(findCronError('@sometimes')).toBe("unknown descriptor '@sometimes'");
    expect(findCronError('0 0 * FOO *')).toBe("bad value in month field 'FOO'");
  });
});
