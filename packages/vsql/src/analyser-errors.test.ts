import { describe, expect, it } from 'vitest';
import { compile } from './compile.js';

/**
 * Each case is a schema with `@@` written just before the offending name; the test removes the
 * marker and expects exactly one error, at that position, with that message.
 */
interface Case {
  name: string;
  source: string;
  message: string;
}

const ws = (body: string): string => `APPLICATION test();\nWORKSPACE W (\n${body}\n);\n`;
const CDOC = 'TABLE T INHERITS sys.CDoc (X int32 NOT NULL);';

const cases: Case[] = [
  {
    name: 'undefined table in INHERITS',
    source: ws('TABLE A INHERITS @@Nope (X int32);'),
    message: 'undefined table Nope',
  },
  { name: 'redefinition', source: ws(`${CDOC}\nTABLE @@T INHERITS sys.CDoc (Y int32);`), message: 'redefinition of T' },
  {
    name: 'INHERITS a type',
    source: ws('TYPE P (X int32);\nTABLE A INHERITS @@P (Y int32);'),
    message: 'P is a type, not a table',
  },
  {
    name: 'base table not abstract',
    source: ws(`${CDOC}\nTABLE A INHERITS @@T (Y int32);`),
    message: 'base table T must be abstract',
  },
  {
    name: 'undefined table kind',
    source: ws('TABLE @@A (X int32);'),
    message: 'undefined table kind of A: INHERITS sys.CDoc, sys.WDoc, sys.ODoc or a table based on them',
  },
  {
    name: 'circular table inheritance',
    source: ws('ABSTRACT TABLE @@A INHERITS B (X int32);\nABSTRACT TABLE B INHERITS A (Y int32);'),
    message: 'circular inheritance of table A',
  },
  {
    name: 'ref to undefined table',
    source: ws('TABLE A INHERITS sys.CDoc (R ref(@@Nope));'),
    message: 'undefined table Nope',
  },
  {
    name: 'ref to a type',
    source: ws('TYPE P (X int32);\nTABLE A INHERITS sys.CDoc (R ref(@@P));'),
    message: 'P is a type, not a table',
  },
  {
    name: 'ref to an abstract table',
    source: ws('TABLE A INHERITS sys.CDoc (R ref(@@sys.CDoc));'),
    message: 'reference to abstract table sys.CDoc',
  },
  {
    name: 'CDoc references WDoc',
    source: ws('TABLE B INHERITS sys.WDoc (X int32);\nTABLE A INHERITS sys.CDoc (R ref(@@B));'),
    message: 'CDoc A cannot reference WDoc B',
  },
  {
    name: 'WDoc references ODoc',
    source: ws('TABLE O INHERITS sys.ODoc (X int32);\nTABLE A INHERITS sys.WDoc (R ref(@@O));'),
    message: 'WDoc A cannot reference ODoc O',
  },
  {
    name: 'view references ODoc',
    source: ws(
      'TABLE O INHERITS sys.ODoc (X int32);\nVIEW V (K int32 NOT NULL, C int32 NOT NULL, R ref(@@O), PRIMARY KEY ((K), C)) AS RESULT OF P;\nEXTENSION ENGINE BUILTIN (PROJECTOR P AFTER INSERT ON O INTENTS(sys.View(V)););',
    ),
    message: 'view V cannot reference ODoc O',
  },
  {
    name: 'varchar too long',
    source: ws('TABLE A INHERITS sys.CDoc (S @@varchar(70000));'),
    message: 'maximum field length is 65535',
  },
  {
    name: 'varchar of length 0',
    source: ws('TABLE A INHERITS sys.CDoc (S @@varchar(0));'),
    message: 'positive value only',
  },
  {
    name: 'regexp CHECK on int',
    source: ws("TABLE A INHERITS sys.CDoc (N int32 CHECK @@'^[0-9]$');"),
    message: 'regexp CHECK only available for varchar field',
  },
  {
    name: 'invalid regexp',
    source: ws("TABLE A INHERITS sys.CDoc (S varchar CHECK @@'[a-');"),
    message: 'invalid regexp in CHECK: Invalid regular expression: /[a-/u: Unterminated character class',
  },
  {
    name: 'VERIFIABLE on int',
    source: ws('TABLE A INHERITS sys.CDoc (@@N int32 VERIFIABLE);'),
    message: 'VERIFIABLE only available for varchar field',
  },
  {
    name: 'duplicate field',
    source: ws('TABLE A INHERITS sys.CDoc (X int32, @@X int64);'),
    message: 'redefinition of field X',
  },
  {
    name: 'field clashes with an inherited one',
    source: ws('ABSTRACT TABLE B INHERITS sys.CDoc (X int32);\nTABLE A INHERITS B (@@X int64);'),
    message: 'redefinition of field X',
  },
  {
    name: 'unique on undefined field',
    source: ws('TABLE A INHERITS sys.CDoc (X int32, UNIQUE(@@Nope));'),
    message: 'undefined field Nope',
  },
  {
    name: 'field in two uniques',
    source: ws('TABLE A INHERITS sys.CDoc (X int32, UNIQUE(X), UNIQUE(@@X));'),
    message: 'field X already in unique',
  },
  { name: 'blob in a type', source: ws('TYPE P (B @@blob);'), message: 'BLOB field B is only allowed in tables' },
  {
    name: 'fieldset of a table',
    source: ws(`${CDOC}\nTABLE A INHERITS sys.CDoc (@@T);`),
    message: 'T is a table, not a type',
  },
  {
    name: 'container of the wrong kind',
    source: ws('TABLE O INHERITS sys.ORecord (X int32);\nTABLE A INHERITS sys.CDoc (Lines @@O);'),
    message: 'incorrect nested table kind: O is an ORecord, A needs CRecord containers',
  },
  {
    name: 'nested table inheriting the wrong kind',
    source: ws('TABLE A INHERITS sys.CDoc (Lines TABLE L INHERITS @@sys.WRecord (X int32));'),
    message: 'incorrect nested table kind: L must be a CRecord, not WRecord',
  },
  {
    name: 'undefined package',
    source: ws('TABLE A INHERITS sys.CDoc (R ref(@@foo.Bar));'),
    message: 'undefined package foo',
  },
  {
    name: 'view key field not declared',
    source: ws(
      'VIEW V (K int32 NOT NULL, PRIMARY KEY ((K), @@Nope)) AS RESULT OF P;\nEXTENSION ENGINE BUILTIN (PROJECTOR P AFTER INSERT ON sys.CRecord INTENTS(sys.View(V)););',
    ),
    message: 'undefined field Nope',
  },
  {
    name: 'view key field nullable',
    source: ws(
      'VIEW V (K int32 NOT NULL, C int32, PRIMARY KEY ((K), @@C)) AS RESULT OF P;\nEXTENSION ENGINE BUILTIN (PROJECTOR P AFTER INSERT ON sys.CRecord INTENTS(sys.View(V)););',
    ),
    message: 'key field C must be NOT NULL',
  },
  {
    name: 'varchar in partition key',
    source: ws(
      'VIEW V (S varchar NOT NULL, C int32 NOT NULL, PRIMARY KEY ((@@S), C)) AS RESULT OF P;\nEXTENSION ENGINE BUILTIN (PROJECTOR P AFTER INSERT ON sys.CRecord INTENTS(sys.View(V)););',
    ),
    message: 'varchar field S cannot be in the partition key',
  },
  {
    name: 'varchar not last in clustering key',
    source: ws(
      'VIEW V (K int32 NOT NULL, S varchar NOT NULL, C int32 NOT NULL, PRIMARY KEY ((K), @@S, C)) AS RESULT OF P;\nEXTENSION ENGINE BUILTIN (PROJECTOR P AFTER INSERT ON sys.CRecord INTENTS(sys.View(V)););',
    ),
    message: 'varchar field S must be the last clustering column',
  },
  {
    name: 'view without partition key',
    source: ws(
      'VIEW V (C int32 NOT NULL, @@PRIMARY KEY (C)) AS RESULT OF P;\nEXTENSION ENGINE BUILTIN (PROJECTOR P AFTER INSERT ON sys.CRecord INTENTS(sys.View(V)););',
    ),
    message: 'partition key not defined for view V',
  },
  {
    name: 'view projector without the intent',
    source: ws(
      'VIEW V (K int32 NOT NULL, C int32 NOT NULL, PRIMARY KEY ((K), C)) AS RESULT OF @@P;\nEXTENSION ENGINE BUILTIN (PROJECTOR P AFTER INSERT ON sys.CRecord;);',
    ),
    message: 'P does not declare intent for view V',
  },
  {
    name: 'view result of an undefined projector',
    source: ws('VIEW V (K int32 NOT NULL, C int32 NOT NULL, PRIMARY KEY ((K), C)) AS RESULT OF @@Nope;'),
    message: 'undefined projector Nope',
  },
  {
    name: 'view result of a command',
    source: ws(
      'VIEW V (K int32 NOT NULL, C int32 NOT NULL, PRIMARY KEY ((K), C)) AS RESULT OF @@Cmd;\nEXTENSION ENGINE BUILTIN (COMMAND Cmd(););',
    ),
    message: 'Cmd is a command, not a projector',
  },
  {
    name: 'AFTER EXECUTE ON a table',
    source: ws(`${CDOC}\nEXTENSION ENGINE BUILTIN (PROJECTOR P AFTER EXECUTE ON @@T;);`),
    message: 'AFTER EXECUTE ON T: T is a CDoc, not a command',
  },
  {
    name: 'AFTER INSERT ON a command',
    source: ws('EXTENSION ENGINE BUILTIN (COMMAND Cmd(); PROJECTOR P AFTER INSERT ON @@Cmd;);'),
    message: 'Cmd is a command, not a table',
  },
  {
    name: 'UPDATE trigger on an ODoc',
    source: ws('TABLE O INHERITS sys.ODoc (X int32);\nEXTENSION ENGINE BUILTIN (PROJECTOR P AFTER UPDATE ON @@O;);'),
    message: 'only INSERT allowed for ODoc O',
  },
  {
    name: 'projector on an abstract table',
    source: ws(
      'ABSTRACT TABLE A INHERITS sys.CDoc (X int32);\nEXTENSION ENGINE BUILTIN (PROJECTOR P AFTER INSERT ON @@A;);',
    ),
    message: 'projector refers to abstract table A',
  },
  {
    name: 'scheduled projector',
    source: ws("EXTENSION ENGINE BUILTIN (PROJECTOR P @@CRON '* * * * *';);"),
    message: 'scheduled projector deprecated; use jobs instead',
  },
  {
    name: 'JOB outside AppWorkspaceWS',
    source: ws("EXTENSION ENGINE BUILTIN (JOB @@J '0 3 * * *';);"),
    message: 'JOB is only allowed in AppWorkspaceWS',
  },
  {
    name: 'cron with three fields',
    source:
      "APPLICATION test();\nALTER WORKSPACE sys.AppWorkspaceWS (\nEXTENSION ENGINE BUILTIN (JOB J @@'* * *';);\n);\n",
    message: "invalid cron schedule '* * *': expected 5 or 6 fields, found 3",
  },
  {
    name: 'cron minute out of range',
    source:
      "APPLICATION test();\nALTER WORKSPACE sys.AppWorkspaceWS (\nEXTENSION ENGINE BUILTIN (JOB J @@'61 * * * *';);\n);\n",
    message: "invalid cron schedule '61 * * * *': minute value 61 out of range 0-59",
  },
  {
    name: 'job without cron',
    source: 'APPLICATION test();\nALTER WORKSPACE sys.AppWorkspaceWS (\nEXTENSION ENGINE BUILTIN (JOB @@J;);\n);\n',
    message: 'job J has no cron schedule',
  },
  {
    name: 'query without RETURNS',
    source: ws('EXTENSION ENGINE BUILTIN (QUERY @@Q;);'),
    message: 'query Q must have a return type',
  },
  {
    name: 'WASM reserved name',
    source: ws('EXTENSION ENGINE WASM (COMMAND @@WasmDo(););'),
    message: 'WASM extension name WasmDo is reserved',
  },
  {
    name: 'command parameter is a CDoc',
    source: ws(`${CDOC}\nEXTENSION ENGINE BUILTIN (COMMAND C(@@T););`),
    message: 'T is a CDoc, not a type or ODoc',
  },
  {
    name: 'undefined command parameter',
    source: ws('EXTENSION ENGINE BUILTIN (COMMAND C(@@Nope););'),
    message: 'undefined type or ODoc Nope',
  },
  {
    name: 'undefined storage',
    source: ws('EXTENSION ENGINE BUILTIN (COMMAND C() STATE(@@sys.Nope););'),
    message: 'undefined storage sys.Nope',
  },
  {
    name: 'storage without entity',
    source: ws('EXTENSION ENGINE BUILTIN (COMMAND C() INTENTS(@@sys.Record););'),
    message: 'storage sys.Record requires entity',
  },
  {
    name: 'storage not allowed for the extension kind',
    source: ws('EXTENSION ENGINE BUILTIN (COMMAND C() STATE(@@sys.Http););'),
    message: 'command cannot use storage sys.Http in STATE',
  },
  {
    name: 'view entity is a table',
    source: ws(`${CDOC}\nEXTENSION ENGINE BUILTIN (QUERY Q STATE(sys.View(@@T)) RETURNS void;);`),
    message: 'T is a table, not a view',
  },
  {
    name: 'GRANT to undefined role',
    source: ws(`${CDOC}\nGRANT SELECT ON TABLE T TO @@Nope;`),
    message: 'undefined role Nope',
  },
  {
    name: 'GRANT on undefined table',
    source: ws('ROLE R;\nGRANT SELECT ON TABLE @@Nope TO R;'),
    message: 'undefined table Nope',
  },
  {
    name: 'GRANT on a view as a table',
    source: ws('ROLE R;\nTYPE P (X int32);\nGRANT SELECT ON TABLE @@P TO R;'),
    message: 'P is a type, not a table',
  },
  {
    name: 'GRANT column unknown',
    source: ws(`${CDOC}\nROLE R;\nGRANT SELECT(X, @@Nope) ON TABLE T TO R;`),
    message: 'undefined field Nope',
  },
  {
    name: 'GRANT after REVOKE',
    source: ws(`${CDOC}\nROLE R;\nREVOKE SELECT ON TABLE T FROM R;\n@@GRANT INSERT ON TABLE T TO R;`),
    message: 'GRANT follows REVOKE in the same workspace',
  },
  {
    name: 'view field typed with a TYPE',
    source: ws(
      'TYPE P (X int32);\nVIEW V (K @@P, C int32 NOT NULL, PRIMARY KEY ((K), C)) AS RESULT OF J;\nEXTENSION ENGINE BUILTIN (PROJECTOR J AFTER INSERT ON sys.CRecord INTENTS(sys.View(V)););',
    ),
    message: 'P is a type, not a data type',
  },
  {
    name: 'view field of an undefined type',
    source: ws(
      'VIEW V (K @@Nope, C int32 NOT NULL, PRIMARY KEY ((K), C)) AS RESULT OF J;\nEXTENSION ENGINE BUILTIN (PROJECTOR J AFTER INSERT ON sys.CRecord INTENTS(sys.View(V)););',
    ),
    message: 'undefined data type Nope',
  },
  {
    name: 'redefinition of primary key',
    source: ws(
      'VIEW V (K int32 NOT NULL, C int32 NOT NULL, PRIMARY KEY ((K), C), @@PRIMARY KEY ((K), C)) AS RESULT OF J;\nEXTENSION ENGINE BUILTIN (PROJECTOR J AFTER INSERT ON sys.CRecord INTENTS(sys.View(V)););',
    ),
    message: 'redefinition of primary key',
  },
  {
    name: 'query returning a table',
    source: ws(`${CDOC}\nEXTENSION ENGINE BUILTIN (QUERY Q RETURNS @@T;);`),
    message: 'T is a table, not a type',
  },
  {
    name: 'LIMIT operation that does not fit the kind',
    source: ws(
      'RATE R 10 PER MINUTE;\nEXTENSION ENGINE BUILTIN (COMMAND C(););\n@@LIMIT L SELECT ON COMMAND C WITH RATE R;',
    ),
    message: 'operation SELECT not allowed on command',
  },
  {
    name: 'undefined tag',
    source: ws('TABLE A INHERITS sys.CDoc (X int32) WITH Tags=(@@Nope);'),
    message: 'undefined tag Nope',
  },
  {
    name: 'LIMIT with undefined rate',
    source: ws('EXTENSION ENGINE BUILTIN (COMMAND C(););\nLIMIT L ON COMMAND C WITH RATE @@Nope;'),
    message: 'undefined rate Nope',
  },
  {
    name: 'LIMIT on undefined command',
    source: ws('RATE R 10 PER MINUTE;\nLIMIT L ON COMMAND @@Nope WITH RATE R;'),
    message: 'undefined command Nope',
  },
  { name: 'RATE with undefined constant', source: ws('RATE R @@Nope PER MINUTE;'), message: 'undefined constant Nope' },
  { name: 'RATE of zero', source: ws('RATE R @@0 PER MINUTE;'), message: 'positive value only' },
  {
    name: 'USE WORKSPACE of an abstract workspace',
    source: 'APPLICATION test();\nABSTRACT WORKSPACE A (ROLE R;);\nWORKSPACE W (USE WORKSPACE @@A;);\n',
    message: 'use of abstract workspace A',
  },
  {
    name: 'base workspace not abstract',
    source: 'APPLICATION test();\nWORKSPACE B (ROLE R;);\nWORKSPACE W INHERITS @@B (ROLE S;);\n',
    message: 'base workspace B must be abstract',
  },
  {
    name: 'explicit sys.Workspace inheritance',
    source: 'APPLICATION test();\nWORKSPACE W INHERITS @@sys.Workspace (ROLE S;);\n',
    message: 'explicit inheritance from sys.Workspace is not allowed: every workspace inherits it',
  },
  {
    name: 'circular workspace inheritance',
    source:
      'APPLICATION test();\nABSTRACT WORKSPACE @@A INHERITS B (ROLE R;);\nABSTRACT WORKSPACE B INHERITS A (ROLE S;);\n',
    message: 'circular inheritance of workspace A',
  },
  {
    name: 'abstract workspace with a descriptor',
    source: 'APPLICATION test();\nABSTRACT WORKSPACE A (DESCRIPTOR @@D (X int32); ROLE R;);\n',
    message: 'abstract workspace A cannot have a descriptor',
  },
  {
    name: 'ALTER a workspace that is not alterable',
    source: 'APPLICATION test();\nALTER WORKSPACE @@sys.Workspace (ROLE R;);\n',
    message: 'workspace sys.Workspace is not alterable',
  },
  {
    name: 'ALTER an undefined workspace',
    source: 'APPLICATION test();\nALTER WORKSPACE @@Nope (ROLE R;);\n',
    message: 'undefined workspace Nope',
  },
  {
    name: 'root-level ROLE',
    source: 'APPLICATION test();\nROLE @@R;\n',
    message: 'ROLE R must be declared inside a workspace',
  },
  {
    name: 'STORAGE outside sys',
    source: 'APPLICATION test();\nEXTENSION ENGINE BUILTIN (STORAGE @@S(GET SCOPE(COMMANDS)););\n',
    message: 'storages are only allowed in package sys',
  },
  {
    name: 'redefinition of application',
    source: 'APPLICATION test();\nAPPLICATION @@other();\n',
    message: 'redefinition of application',
  },
  { name: 'application not defined', source: '@@WORKSPACE W (ROLE R;);\n', message: 'application not defined' },
];

function locate(source: string): { clean: string; line: number; column: number } {
  const at = source.indexOf('@@');
  if (at < 0) throw new Error('case without @@ marker');
  const before = source.slice(0, at);
  const lines = before.split('\n');
  return { clean: source.replace('@@', ''), line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}

describe('semantic errors', () => {
  it('has at least 30 distinct cases', () => {
    expect(new Set(cases.map((c) => c.message)).size).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('$name', ({ source, message }) => {
    const { clean, line, column } = locate(source);
    const r = compile([{ path: 'test.vsql', source: clean }]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(
      r.errors.map((e) => ({ kind: e.kind, file: e.file, line: e.line, column: e.column, message: e.rawMessage })),
    ).toEqual([{ kind: 'semantic', file: 'test.vsql', line, column, message }]);
  });

  it('collects every error, sorted by position', () => {
    const source = ws(
      'TABLE A INHERITS sys.CDoc (R ref(Nope1));\nTABLE B INHERITS Nope2 (X int32);\nROLE R;\nGRANT SELECT ON TABLE Nope3 TO R;',
    );
    const r = compile([{ path: 'multi.vsql', source }]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.message)).toEqual([
      'multi.vsql:3:34: undefined table Nope1',
      'multi.vsql:4:18: undefined table Nope2',
      'multi.vsql:6:23: undefined table Nope3',
    ]);
    expect(r.errors[0]!.format()).toContain('^');
  });

  it('reports syntax errors from the parser as kind syntax and never throws', () => {
    const r = compile([{ path: 'bad.vsql', source: 'APPLICATION test(;\nWORKSPACE' }]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]!.kind).toBe('syntax');
    expect(r.errors[0]!.line).toBe(1);
  });
});
