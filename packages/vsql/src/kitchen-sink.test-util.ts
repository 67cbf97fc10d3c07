/**
 * A schema that uses every construct of the grammar at least once (syntax only: it is not
 * meant to pass analysis). Shared by the parser and printer tests.
 */
export const KITCHEN_SINK = `
IMPORT SCHEMA 'github.com/acme/lib';
IMPORT SCHEMA 'github.com/acme/other' AS oth;
-- the app
/* spanning
   two lines */
APPLICATION sink(USE lib; USE oth);
DECLARE Burst int DEFAULT -5;
ROLE RootRole;
TEMPLATE Tpl OF WORKSPACE lib.BaseWS SOURCE Folder;
EXTENSION ENGINE BUILTIN (
    FUNCTION Hash(value varchar, bytes, seed int64) RETURNS int64;
    FUNCTION Now() RETURNS timestamp;
    STORAGE Rec(GET SCOPE(COMMANDS, QUERIES), INSERT SCOPE(PROJECTORS, JOBS)) ENTITY RECORD;
    STORAGE Vw(GETBATCH SCOPE(QUERIES), READ SCOPE(JOBS), UPDATE SCOPE(COMMANDS)) ENTITY VIEW ENTITY RECORD
);
ABSTRACT WORKSPACE BaseWS INHERITS lib.Root, oth.Root ();
POOL OF WORKSPACE PoolWS (DESCRIPTOR (X int32));
workspace LowerWS (
    role Lower;
    table Low inherits sys.CDoc (a int32 not null) with comment='lower-case keywords'
);
WORKSPACE SinkWS INHERITS BaseWS (
    DESCRIPTOR (
        Name varchar NOT NULL
    );
    TAG T1;
    TAG T2 FEATURE 'It''s a \\'feature\\' with \\d';
    ROLE Member;
    PUBLISHED ROLE Api;
    USE WORKSPACE PoolWS;
    ALTERABLE WORKSPACE InnerWS (
        ROLE Inner
    );
    TABLE Everything INHERITS sys.CDoc (
        -- a documented field
        s1 varchar, s2 text(10), s3 character varying(20),
        b1 bytes, b2 varbinary(5), b3 binary varying,
        i1 tinyint, i2 int8, i3 smallint, i4 int16, i5 int, i6 integer, i7 int32, i8 bigint, i9 int64,
        f1 real, f2 float, f3 float32, f4 double precision, f5 float64,
        t1 timestamp, m1 money, m2 currency, bo1 boolean, bo2 bool, q1 qname, q2 qualified name,
        bl1 blob, bl2 binary large object,
        r1 ref, r2 ref(Other, lib.Foreign) NOT NULL,
        tr lib.SomeType,
        "TABLE" int32,
        "varchar" varchar,
        Check int32 CHECK (Check > 0),
        d1 int32 DEFAULT 5, d2 varchar DEFAULT 'x', d3 int32 DEFAULT -1 NOT NULL,
        v1 varchar(100) NOT NULL VERIFIABLE CHECK '^\\S+@\\S+$' CHECK (v1 IS NOT NULL AND length(v1) BETWEEN 3 AND 100),
        e1 int32 CHECK (e1 IN (1, 2, 3) OR e1 NOT IN (4) OR NOT e1 = -2 * (3 + 4) % 5 / 1 - +1),
        e2 float64 CHECK (e2 <> 1.5 AND e2 != 2 AND e2 < 3 AND e2 <= 4 AND e2 > 0 AND e2 >= 0.5),
        e3 varchar CHECK (e3 IS NULL OR e3 NOT BETWEEN 'a' AND 'b' OR ValidateRow(this, sys.ID) OR Now() = TRUE OR NULL IS NULL OR FALSE),
        lib.Fieldset,
        Other,
        UNIQUE (s1, s2),
        UNIQUEFIELD s3,
        CHECK (i1 > 0),
        CONSTRAINT u1 UNIQUE (b1),
        CONSTRAINT u2 UNIQUEFIELD b2,
        CONSTRAINT c1 CHECK (i2 < 10),
        Nested TABLE NestedRec INHERITS sys.CRecord (
            n1 int32,
            Deeper TABLE DeeperRec (n2 int32)
        ) WITH Comment='nested'
    ) WITH Comment='all items', Tags=(T1, lib.T3);
    ABSTRACT TABLE AbstractOne INHERITS sys.CDoc ();
    TYPE Obj (
        x int32,
        Sub Obj2 NOT NULL,
        Inline TABLE NotAllowedHere (y int32)
    );
    VIEW V1 (
        a int32 NOT NULL,
        b ref(Everything),
        c record,
        d varchar(10) NOT NULL,
        PRIMARY KEY ((a), d)
    ) AS RESULT OF P1 WITH Comment='v', Tags=(T2);
    VIEW V2 (a int32, PRIMARY KEY (a)) AS RESULT OF lib.P;
    VIEW V3 (a int32, b int32, PRIMARY KEY ((a, b))) AS RESULT OF P1;
    VIEW V4 (a int32, PRIMARY KEY ((), a)) AS RESULT OF P1;
    VIEW V5 (a int32, b int32, PRIMARY KEY ((a) b)) AS RESULT OF P1;
    EXTENSION ENGINE WASM (
        COMMAND C1;
        COMMAND C2();
        COMMAND C3(UNLOGGED Obj);
        COMMAND C4(Obj UNLOGGED lib.Secret) STATE(sys.Record(Everything, Other), sys.AppSecret) INTENTS(sys.View(V1)) RETURNS any WITH Tags=(T1), Comment='c4';
        COMMAND C5(any) RETURNS void;
        QUERY Q1 RETURNS Obj;
        QUERY Q2() RETURNS void;
        QUERY Q3(any) STATE(sys.View(V1)) RETURNS any WITH Comment='q';
        QUERY Q4;
        PROJECTOR P1 AFTER EXECUTE ON C1 OR AFTER EXECUTE WITH PARAM ON (Obj, sys.ODoc) INTENTS(sys.View(V1, V3, V4, V5));
        SYNC PROJECTOR P2 AFTER INSERT OR UPDATE OR ACTIVATE OR DEACTIVATE ON (Everything, lib.Other) OR AFTER UPDATE ON sys.CRecord STATE(sys.Http) INCLUDING ERRORS;
        PROJECTOR P3 CRON '*/5 * * * *';
        JOB J1 '@every 2m30s' STATE(sys.Http) INTENTS(sys.View(V1));
        JOB J2;
        FUNCTION F1(int32) RETURNS ref(Everything)
    );
    RATE R1 10 PER SECOND;
    RATE R2 Burst PER 2 HOURS PER APP PARTITION PER SUBJECT;
    RATE R3 lib.Var PER DAY PER IP;
    RATE R4 1 PER 1 YEAR PER WORKSPACE;
    LIMIT L1 ON COMMAND C1 WITH RATE R1;
    LIMIT L2 SELECT, EXECUTE, ACTIVATE, DEACTIVATE, INSERT, UPDATE ON TABLE Everything WITH RATE lib.R;
    LIMIT L3 ON VIEW V1 WITH RATE R1;
    LIMIT L4 ON QUERY Q1 WITH RATE R1;
    LIMIT L5 ON ALL COMMANDS WITH TAG T1 WITH RATE R1;
    LIMIT L6 ON ALL TABLES WITH RATE R1;
    LIMIT L7 EXECUTE ON EACH QUERY WITH TAG T2 WITH RATE R2;
    LIMIT L8 ON EACH VIEW WITH RATE R3;
    GRANT Member TO Api;
    GRANT lib.Role TO sys.WorkspaceOwner;
    GRANT ALL ON TABLE Everything TO Member;
    GRANT ALL(s1, s2) ON TABLE Everything TO Member;
    GRANT SELECT(s1, sys.ID), INSERT, UPDATE(i1) ON TABLE Everything TO Api;
    GRANT ALL ON ALL TABLES TO Member;
    GRANT INSERT, ACTIVATE ON ALL TABLES WITH TAG T1 TO Member;
    GRANT SELECT ON VIEW V1 TO Api;
    GRANT SELECT(a, b) ON VIEW V1 TO Api;
    GRANT SELECT ON ALL VIEWS TO Api;
    GRANT SELECT ON ALL VIEWS WITH TAG T2 TO Api;
    GRANT EXECUTE ON COMMAND C1 TO Api;
    GRANT EXECUTE ON ALL COMMANDS TO Api;
    GRANT EXECUTE ON ALL COMMANDS WITH TAG T1 TO Api;
    GRANT EXECUTE ON QUERY lib.Q TO sys.Everyone;
    GRANT EXECUTE ON ALL QUERIES TO Api;
    GRANT EXECUTE ON ALL QUERIES WITH TAG T1 TO Api;
    REVOKE Member FROM Api;
    REVOKE INSERT ON ALL TABLES WITH TAG T1 FROM Member;
    REVOKE EXECUTE ON COMMAND C1 FROM Api;
    WORKSPACE Child ()
);
ALTER WORKSPACE sys.AppWorkspaceWS (
    EXTENSION ENGINE BUILTIN ()
);
ALTER WORKSPACE Local ();
`;
