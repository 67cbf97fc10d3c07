import { describe, expect, it } from 'vitest';
import type { AppDef } from './appdef.js';
import { checkCompatibility, diffAppDefs } from './compat.js';
import { compile } from './compile.js';

const BASE = {
  tables: `
    TABLE Item INHERITS sys.CDoc (
        Name varchar(100) NOT NULL,
        Price int64,
        Code varchar(20),
        Owner ref(Person),
        UNIQUE (Code),
        Parts TABLE Part (Label varchar(50))
    );
    TABLE Person INHERITS sys.CDoc (Login varchar(50) NOT NULL);
    TABLE Order INHERITS sys.ODoc (ItemID ref(Item) NOT NULL);`,
  types: `
    TYPE Params (Year int32 NOT NULL);
    TYPE Row (Total int64);`,
  views: `
    VIEW Totals (
        Bucket int32 NOT NULL,
        Day int32 NOT NULL,
        Total int64,
        PRIMARY KEY ((Bucket), Day)
    ) AS RESULT OF Count;`,
  extensions: `
    EXTENSION ENGINE BUILTIN (
        COMMAND Place(Order) RETURNS Row;
        QUERY Report(Params) RETURNS Row;
        PROJECTOR Count AFTER EXECUTE WITH PARAM ON Order INTENTS(sys.View(Totals));
    );`,
  acl: `
    ROLE Clerk;
    GRANT SELECT ON TABLE Item TO Clerk;`,
};

type Parts = typeof BASE;

function build(parts: Partial<Parts> = {}, wsName = 'ShopWS'): AppDef {
  const p = { ...BASE, ...parts };
  const source = `APPLICATION shop();\nWORKSPACE ${wsName} (\n${p.tables}\n${p.types}\n${p.views}\n${p.extensions}\n${p.acl}\n);\n`;
  const r = compile([{ path: 'shop.vsql', source }]);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.appdef;
}

const base = build();

function codesAfter(parts: Partial<Parts>, wsName?: string): string[] {
  return checkCompatibility(base, build(parts, wsName)).map(
    (c) => `${c.code} ${c.qname}${c.field ? `.${c.field}` : ''}`,
  );
}

describe('checkCompatibility', () => {
  it('accepts an identical AppDef', () => {
    expect(checkCompatibility(base, build())).toEqual([]);
  });

  it('accepts additions: optional field, table, view, extension, role, grant', () => {
    const codes = codesAfter({
      tables:
        BASE.tables.replace('Price int64,', 'Price int64, Note varchar(10),') +
        '\nTABLE Extra INHERITS sys.WDoc (X int32);',
      extensions: BASE.extensions.replace('QUERY Report', 'COMMAND Other(); QUERY Report'),
      acl: `${BASE.acl}\nROLE Boss;\nGRANT INSERT ON TABLE Item TO Boss;`,
    });
    expect(codes).toEqual([]);
  });

  it('accepts a wider varchar and a relaxed NOT NULL', () => {
    expect(codesAfter({ tables: BASE.tables.replace('Name varchar(100) NOT NULL', 'Name varchar(200)') })).toEqual([]);
  });

  it('rejects a removed field', () => {
    expect(codesAfter({ tables: BASE.tables.replace('Price int64,', '') })).toEqual(['field-removed shop.Item.Price']);
  });

  it('rejects a retyped field and a narrower varchar', () => {
    expect(
      codesAfter({ tables: BASE.tables.replace('Price int64', 'Price int32').replace('varchar(100)', 'varchar(50)') }),
    ).toEqual(['field-retyped shop.Item.Name', 'field-retyped shop.Item.Price']);
  });

  it('rejects an optional field made NOT NULL', () => {
    expect(codesAfter({ tables: BASE.tables.replace('Price int64,', 'Price int64 NOT NULL,') })).toEqual([
      'field-made-required shop.Item.Price',
    ]);
  });

  it('rejects a new NOT NULL field on an existing table', () => {
    const change = checkCompatibility(
      base,
      build({ tables: BASE.tables.replace('Price int64,', 'Price int64, Stock int32 NOT NULL,') }),
    );
    expect(change).toEqual([
      {
        code: 'required-field-added',
        qname: 'shop.Item',
        field: 'Stock',
        message: 'NOT NULL field Stock added to existing table shop.Item',
      },
    ]);
  });

  it('rejects a removed table and a removed nested table container', () => {
    expect(codesAfter({ tables: BASE.tables.replace(',\n        Parts TABLE Part (Label varchar(50))', '') })).toEqual([
      'container-removed shop.Item.Parts',
      'table-removed shop.Part',
    ]);
  });

  it('rejects a changed table kind', () => {
    expect(
      codesAfter({
        tables: BASE.tables.replace('TABLE Person INHERITS sys.CDoc', 'TABLE Person INHERITS sys.CSingleton'),
      }),
    ).toEqual(['table-kind-changed shop.Person']);
  });

  it('rejects changed uniques', () => {
    expect(codesAfter({ tables: BASE.tables.replace('UNIQUE (Code),', 'UNIQUE (Code, Price),') })).toEqual([
      'unique-changed shop.Item',
    ]);
  });

  it('rejects a narrowed ref target list', () => {
    expect(codesAfter({ tables: BASE.tables.replace('Owner ref(Person)', 'Owner ref(Item)') })).toEqual([
      'field-retyped shop.Item.Owner',
    ]);
  });

  it('rejects a changed view key and a removed view field', () => {
    const keyChanged = BASE.views.replace('PRIMARY KEY ((Bucket), Day)', 'PRIMARY KEY ((Day), Bucket)');
    expect(codesAfter({ views: keyChanged })).toEqual(['view-key-changed shop.Totals']);
    const dayRetyped = BASE.views.replace('Day int32 NOT NULL', 'Day int64 NOT NULL');
    expect(codesAfter({ views: dayRetyped })).toEqual(['view-key-changed shop.Totals']);
    expect(codesAfter({ views: BASE.views.replace('Total int64,', '') })).toEqual([
      'view-field-removed shop.Totals.Total',
    ]);
  });

  it('rejects a removed view and a removed projector', () => {
    const codes = codesAfter({
      views: '',
      extensions: BASE.extensions.replace(
        'PROJECTOR Count AFTER EXECUTE WITH PARAM ON Order INTENTS(sys.View(Totals));',
        '',
      ),
    });
    expect(codes).toEqual(['view-removed shop.Totals', 'extension-removed shop.Count']);
  });

  it('rejects changed command and query signatures and a command turned query', () => {
    expect(
      codesAfter({ extensions: BASE.extensions.replace('COMMAND Place(Order) RETURNS Row', 'COMMAND Place(Order)') }),
    ).toEqual(['extension-signature-changed shop.Place']);
    expect(codesAfter({ extensions: BASE.extensions.replace('QUERY Report(Params)', 'QUERY Report(Row)') })).toEqual([
      'extension-signature-changed shop.Report',
    ]);
    expect(
      codesAfter({
        extensions: BASE.extensions.replace('COMMAND Place(Order) RETURNS Row', 'QUERY Place RETURNS Row'),
      }),
    ).toEqual(['extension-kind-changed shop.Place']);
  });

  it('rejects a changed parameter type', () => {
    expect(codesAfter({ types: BASE.types.replace('Year int32 NOT NULL', 'Year varchar NOT NULL') })).toEqual([
      'field-retyped shop.Params.Year',
    ]);
  });

  it('rejects a removed workspace (its descriptor goes with it)', () => {
    const codes = codesAfter({}, 'StoreWS');
    expect(codes).toContain('workspace-removed shop.ShopWS');
    expect(codes).toContain('table-removed shop.ShopWSDescriptor');
  });

  it('ignores ACL changes (policy, not compatibility)', () => {
    expect(codesAfter({ acl: 'ROLE Clerk;\nROLE Other;\nGRANT UPDATE ON TABLE Person TO Other;' })).toEqual([]);
  });
});

describe('diffAppDefs', () => {
  it('is empty for equal AppDefs', () => {
    expect(diffAppDefs(base, build())).toEqual({ entries: [], text: '' });
  });

  it('lists added, removed and changed tables, fields, views, extensions and grants', () => {
    const next = build({
      tables:
        BASE.tables.replace('Price int64,', 'Price int32, Stock int32,') + '\nTABLE Extra INHERITS sys.WDoc (X int32);',
      extensions: BASE.extensions.replace('QUERY Report(Params) RETURNS Row;', ''),
      acl: 'ROLE Clerk;\nGRANT INSERT ON TABLE Item TO Clerk;',
    });
    const { text, entries } = diffAppDefs(base, next);
    expect(text.split('\n')).toEqual(
      expect.arrayContaining([
        '+ table shop.Extra: WDoc',
        '~ field shop.Item.Price: int64 → int32',
        '+ field shop.Item.Stock: int32',
        '- extension shop.Report',
        '- grant shop.ShopWS: GRANT SELECT ON table shop.Item TO shop.Clerk',
        '+ grant shop.ShopWS: GRANT INSERT ON table shop.Item TO shop.Clerk',
      ]),
    );
    expect(entries.every((e) => !e.qname.startsWith('sys.'))).toBe(true);
  });
});
