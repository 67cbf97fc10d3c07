import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type * as A from './ast.js';
import { loadExampleSchemas, stripLocations } from './example-schemas.test-util.js';
import { KITCHEN_SINK } from './kitchen-sink.test-util.js';
import { parse } from './parser.js';
import { print } from './printer.js';

function expectRoundTrip(source: string): string {
  const ast = parse(source, 'rt.vsql');
  const printed = print(ast);
  const reparsed = parse(printed, 'rt.vsql');
  expect(stripLocations(reparsed)).toEqual(stripLocations(ast));
  // Canonical form is a fixed point.
  expect(print(reparsed)).toBe(printed);
  return printed;
}

const ws = (body: string): string => `WORKSPACE W (\n${body}\n);`;

/** Statement forms quoted in the reference notes (vsql.md §1), wrapped where they need a workspace. */
const REFERENCE_SNIPPETS: string[] = [
  "IMPORT SCHEMA 'github.com/acme/shop'; IMPORT SCHEMA 'github.com/acme/lib' AS lib; APPLICATION app(USE shop; USE lib;)",
  'DECLARE OrdersPerMinute int32 DEFAULT 60',
  'DECLARE X int DEFAULT 1',
  'ABSTRACT WORKSPACE Base (ROLE R); ALTERABLE WORKSPACE Alt (DESCRIPTOR (a int32)); POOL OF WORKSPACE P ()',
  'WORKSPACE W INHERITS A, pkg.B (DESCRIPTOR Name (a int32); USE WORKSPACE X; WORKSPACE Nested ())',
  'ALTER WORKSPACE sys.AppWorkspaceWS (TABLE T INHERITS sys.CDoc (a int32))',
  'TEMPLATE T OF WORKSPACE pkg.W SOURCE Src',
  'EXTENSION ENGINE BUILTIN (FUNCTION F(a int32) RETURNS int32; STORAGE Record(GET SCOPE(COMMANDS, QUERIES, PROJECTORS, JOBS), INSERT SCOPE(COMMANDS)) ENTITY RECORD)',
  ws(
    "TABLE Product INHERITS sys.CDoc (Sku varchar(32) NOT NULL, Photo blob, UNIQUE (Sku), CONSTRAINT c CHECK (Price >= 0), Variants TABLE V (a int32)) WITH Comment='x', Tags=(T1, T2)",
  ),
  ws(
    "TABLE C INHERITS sys.CDoc (Email varchar(100) NOT NULL VERIFIABLE, Address, UNIQUEFIELD Email, Status int32 NOT NULL DEFAULT 1, s varchar DEFAULT 'a', Country varchar(2) CHECK '^[A-Z]{2}$')",
  ),
  ws('TYPE Address (Street varchar(100), City varchar(50) NOT NULL, Inner Other NOT NULL)'),
  ws(
    'VIEW V (p1 int32, p2 int32, c1 int64, c2 varchar, v ref(T), r record NOT NULL, PRIMARY KEY ((p1, p2), c1, c2)) AS RESULT OF Proj WITH Tags=(T)',
  ),
  ws(
    'EXTENSION ENGINE WASM (COMMAND PlaceOrder(OrderDoc, UNLOGGED PaymentInfo) STATE(sys.AppSecret) INTENTS(sys.Record(Counters)) RETURNS PlaceOrderResult WITH Tags=(SalesTag))',
  ),
  ws(
    'EXTENSION ENGINE WASM (QUERY SalesReport(SalesParams) STATE(sys.View(DailySales)) RETURNS SalesRow; QUERY Ping RETURNS void; COMMAND X(any) RETURNS any)',
  ),
  ws(
    'EXTENSION ENGINE BUILTIN (PROJECTOR P AFTER EXECUTE ON Cmd; PROJECTOR Q AFTER EXECUTE WITH PARAM ON sys.ODoc; SYNC PROJECTOR R AFTER INSERT OR UPDATE ON (A, B) OR AFTER ACTIVATE ON C INCLUDING ERRORS)',
  ),
  ws(
    "EXTENSION ENGINE BUILTIN (PROJECTOR Old CRON '1 * * * *'; JOB J '*/5 * * * *'; JOB K '@every 2m30s' STATE(sys.Http) INTENTS(sys.View(JobRuns), sys.SendMail))",
  ),
  ws(
    'RATE R1 10 PER 5 MINUTES PER APP PARTITION PER IP; RATE R2 V PER MINUTE PER WORKSPACE; RATE R3 1 PER HOUR PER SUBJECT; RATE R4 2 PER 2 DAYS; RATE R5 3 PER YEARS; RATE R6 4 PER SECONDS',
  ),
  ws(
    'LIMIT L1 ON COMMAND C WITH RATE R; LIMIT L2 ON QUERY Q WITH RATE R; LIMIT L3 ON TABLE T WITH RATE R; LIMIT L4 ON VIEW V WITH RATE R',
  ),
  ws(
    'LIMIT L5 SELECT, EXECUTE ON ALL QUERIES WITH TAG T WITH RATE R; LIMIT L6 ON EACH COMMAND WITH TAG T WITH RATE R; LIMIT L7 INSERT ON EACH TABLE WITH RATE R',
  ),
  ws(
    'GRANT R1 TO R2; GRANT Member TO sys.WorkspaceOwner; GRANT EXECUTE ON COMMAND C TO R; GRANT EXECUTE ON ALL COMMANDS WITH TAG T TO R; GRANT EXECUTE ON QUERY Q TO R; GRANT EXECUTE ON ALL QUERIES TO R',
  ),
  ws('GRANT SELECT ON VIEW V TO R; GRANT SELECT(a, b) ON VIEW V TO R; GRANT SELECT ON ALL VIEWS WITH TAG T TO R'),
  ws(
    'GRANT ALL(a, sys.ID) ON TABLE T TO R; GRANT SELECT(sys.ParentID, sys.IsActive, sys.QName, sys.Container), INSERT ON TABLE T TO R; GRANT ALL ON ALL TABLES WITH TAG T TO R; REVOKE UPDATE ON TABLE Cart FROM Clerk',
  ),
  ws("TAG T FEATURE 'text'; TAG U; PUBLISHED ROLE P; ROLE Q"),
  ws(
    'TABLE T INHERITS sys.CDoc (a int32 CHECK (a > 0 AND b IS NOT NULL OR c BETWEEN 1 AND 2 OR d IN (1, 2) OR ValidateRow(this) OR e = TRUE OR f <> NULL OR -g * 2 % 3 != 1.5))',
  ),
  'ROLE RootLevelRole',
];

describe('print', () => {
  it.each(loadExampleSchemas().map((e) => [e.file, e] as const))('round-trips %s', (_file, example) => {
    const printed = expectRoundTrip(example.source);
    expect(printed).toContain('APPLICATION');
  });

  it('round-trips a schema with every construct', () => {
    expectRoundTrip(KITCHEN_SINK);
  });

  it.each(REFERENCE_SNIPPETS)('round-trips reference snippet: %s', (snippet) => {
    expectRoundTrip(snippet);
  });

  const referencePath = '/work/shared/reference/vsql.md';
  const haveReference = existsSync(referencePath);
  it.skipIf(!haveReference)(
    `round-trips the sql blocks of the reference notes${haveReference ? '' : ' (skipped: reference notes not present)'}`,
    () => {
      const text = readFileSync(referencePath, 'utf8');
      const blocks = [...text.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
      expect(blocks.length).toBeGreaterThan(0);
      for (const block of blocks) expectRoundTrip(block);
    },
  );

  it('prints canonical text', () => {
    const printed = print(
      parse(
        "workspace w (\n  -- doc line\n  table t inherits sys.CDoc (a int32 not null, b varchar(10) check '^x$') with comment='c';\n  rate r 1 per 1 minute;\n  grant select on table t to r\n)",
      ),
    );
    expect(printed).toBe(
      [
        'WORKSPACE w (',
        '    -- doc line',
        '    TABLE t INHERITS sys.CDoc (',
        '        a int32 NOT NULL,',
        "        b varchar(10) CHECK '^x$'",
        "    ) WITH Comment='c';",
        '    RATE r 1 PER 1 MINUTE;',
        '    GRANT SELECT ON TABLE t TO r;',
        ');',
        '',
      ].join('\n'),
    );
    expect(print(parse(''))).toBe('');
  });

  it('quotes identifiers that would read as keywords', () => {
    const source = ws(
      'TABLE "TABLE" INHERITS sys.CDoc ("CHECK" int32, "varchar" varchar, "ref" "int32", "DAY" "any") WITH Tags=("TAG")',
    );
    const printed = expectRoundTrip(source);
    expect(printed).toContain('TABLE "TABLE" INHERITS sys.CDoc (');
    expect(printed).toContain('"CHECK" int32,');
    expect(printed).toContain('"varchar" varchar,');
    expect(printed).toContain('"ref" "int32",');
    expect(printed).toContain('WITH Tags=("TAG")');
  });

  it('escapes strings so they read back unchanged', () => {
    const values = ["it's", "''", '\\d+\\.\\d+', "a\\'b", 'back\\\\slash', 'multi\nline', 'ends\\', '\\\\\\'];
    for (const value of values) {
      const ast = parse(ws("TAG T FEATURE 'x'"));
      const tag = (ast.statements[0] as A.WorkspaceStatement).statements[0] as A.TagStatement;
      if (tag.feature) tag.feature.value = value;
      const reparsed = parse(print(ast));
      const back = ((reparsed.statements[0] as A.WorkspaceStatement).statements[0] as A.TagStatement).feature?.value;
      expect(back).toBe(value);
    }
  });

  it('keeps a CHECK expression ending in a line comment intact', () => {
    expectRoundTrip(ws('TABLE T INHERITS sys.CDoc (a int32 CHECK (a > 0 -- positive\n))'));
  });
});
