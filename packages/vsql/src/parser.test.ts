import { describe, expect, it } from 'vitest';
import type * as A from './ast.js';
import { VsqlError, formatCodeFrame } from './diagnostics.js';
import { loadExampleSchemas, stripLocations } from './example-schemas.test-util.js';
import { KITCHEN_SINK } from './kitchen-sink.test-util.js';
import { tokenize } from './lexer.js';
import { parse } from './parser.js';

type Named = { kind: string; name?: unknown };

/** Depth-first search for the first node of `kind` whose `name` identifier is `name`. */
function find<K extends A.AstNode['kind']>(root: unknown, kind: K, name?: string): Extract<A.AstNode, { kind: K }> {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      const items: unknown[] = node;
      stack.push(...[...items].reverse());
    } else if (node !== null && typeof node === 'object') {
      const n = node as Named;
      const nameValue = (n.name as A.Identifier | undefined)?.value;
      if (n.kind === kind && (name === undefined || nameValue === name)) return node as Extract<A.AstNode, { kind: K }>;
      const children: unknown[] = Object.entries(node as Record<string, unknown>)
        .filter(([k]) => k !== 'loc')
        .map(([, v]) => v);
      stack.push(...children.reverse());
    }
  }
  throw new Error(`no ${kind} ${name ?? ''}`);
}

function qn(q: A.QualifiedName | A.ParamType | undefined): string {
  if (q === undefined) return '<none>';
  if (q.kind === 'AnyType') return 'any';
  if (q.kind === 'VoidType') return 'void';
  return q.pkg ? `${q.pkg.value}.${q.name.value}` : q.name.value;
}

function parseError(source: string): VsqlError {
  try {
    parse(source, 'e.vsql');
  } catch (err) {
    if (err instanceof VsqlError) return err;
    throw err;
  }
  throw new Error('expected a VsqlError');
}

const examples = loadExampleSchemas();
const shop = examples.find((e) => e.app === 'shop');
const todo = examples.find((e) => e.app === 'todo');

describe('example apps', () => {
  it.each(examples.map((e) => [e.file, e] as const))('parses %s', (_file, example) => {
    const ast = parse(example.source, example.file);
    expect(ast.kind).toBe('SchemaFile');
    expect(ast.file).toBe(example.file);
    expect(ast.statements.length).toBeGreaterThan(1);
  });

  it('builds the expected shop tree', () => {
    if (!shop) throw new Error('shop example missing');
    const ast = parse(shop.source, shop.file);
    expect(ast.statements.map((s) => s.kind)).toEqual([
      'ApplicationStatement',
      'DeclareStatement',
      'WorkspaceStatement',
      'WorkspaceStatement',
      'WorkspaceStatement',
      'AlterWorkspaceStatement',
    ]);
    expect(ast.statements[0]?.doc).toMatch(/^Example "shop" package/);

    const declare = find(ast, 'DeclareStatement', 'OrdersPerMinute');
    expect(declare.type.name).toBe('int32');
    expect(declare.defaultValue.value).toBe(60);

    const base = find(ast, 'WorkspaceStatement', 'ShopBaseWS');
    expect([base.abstract, base.alterable, base.pool]).toEqual([true, false, false]);
    const branch = find(ast, 'WorkspaceStatement', 'BranchWS');
    expect(branch.alterable).toBe(true);
    expect(branch.descriptor?.name?.value).toBe('Branch');

    const ws = find(ast, 'WorkspaceStatement', 'ShopWS');
    expect(ws.inherits.map(qn)).toEqual(['ShopBaseWS']);
    expect(ws.descriptor?.items.map((i) => i.kind)).toEqual(['FieldDeclaration', 'FieldDeclaration']);
    const country = find(ws.descriptor, 'FieldDeclaration', 'Country');
    expect(country.pattern?.value).toBe('^[A-Z]{2}$');
    expect(country.type).toMatchObject({ kind: 'PrimitiveType', name: 'varchar', dataKind: 'string', length: 2 });

    expect(find(ws, 'TagStatement', 'CatalogTag').feature?.value).toBe('Catalog');
    expect(find(ws, 'RoleStatement', 'ApiReader').published).toBe(true);
    expect(find(ws, 'UseWorkspaceStatement').workspace.value).toBe('BranchWS');

    const product = find(ws, 'TableStatement', 'Product');
    expect(product.doc).toBe('catalog item; inherits Title from an abstract CDoc');
    expect(qn(product.inherits)).toBe('Named');
    expect(product.items.map((i) => i.kind)).toEqual([
      'FieldDeclaration',
      'FieldDeclaration',
      'FieldDeclaration',
      'FieldDeclaration',
      'FieldDeclaration',
      'UniqueConstraint',
      'CheckConstraint',
      'NestedTable',
    ]);
    expect(find(product, 'FieldDeclaration', 'Photo').type).toMatchObject({ name: 'blob', dataKind: 'blob' });
    const status = find(product, 'FieldDeclaration', 'Status');
    expect(status.notNull).toBe(true);
    expect(status.defaultValue).toMatchObject({ kind: 'IntLiteral', value: 1 });
    const positive = find(product, 'CheckConstraint');
    expect(positive.name?.value).toBe('PositivePrice');
    expect(positive.expression.text).toBe('Price >= 0');
    expect(stripLocations(positive.expression.expression)).toEqual({
      kind: 'BinaryExpression',
      operator: '>=',
      left: { kind: 'SymbolExpression', name: { kind: 'QualifiedName', name: { kind: 'Identifier', value: 'Price' } } },
      right: { kind: 'IntLiteral', value: 0 },
    });
    const variants = find(product, 'NestedTable', 'Variants');
    expect(variants.table.name.value).toBe('ProductVariant');
    expect(variants.table.items).toHaveLength(2);
    expect(product.with.map((w) => w.kind)).toEqual(['WithComment', 'WithTags']);
    expect(product.with[0]).toMatchObject({ value: { value: 'Catalog item' } });

    const customer = find(ws, 'TableStatement', 'Customer');
    expect(find(customer, 'FieldDeclaration', 'Email').verifiable).toBe(true);
    expect(qn(find(customer, 'FieldSet').type)).toBe('Address');
    const codeUniq = find(customer, 'UniqueConstraint');
    expect(codeUniq.name?.value).toBe('CustomerCodeUniq');
    expect(codeUniq.fields.map((f) => f.value)).toEqual(['Code']);

    const customerId = find(find(ws, 'TableStatement', 'OrderDoc'), 'FieldDeclaration', 'CustomerID');
    expect(customerId.type.kind).toBe('RefType');
    expect((customerId.type as A.RefType).targets.map(qn)).toEqual(['Customer']);
    expect(find(ws, 'FieldDeclaration', 'Qty').checkExpression?.text).toBe('Qty > 0');

    const daily = find(ws, 'ViewStatement', 'DailySales');
    const pk = find(daily, 'PrimaryKey');
    expect(pk.partitionKey?.map((i) => i.value)).toEqual(['Year', 'Month']);
    expect(pk.clusteringColumns.map((i) => i.value)).toEqual(['Day', 'ProductID']);
    expect(qn(daily.resultOf)).toBe('ApplySales');

    const placeOrder = find(ws, 'CommandStatement', 'PlaceOrder');
    expect(qn(placeOrder.param)).toBe('OrderDoc');
    expect(qn(placeOrder.unloggedParam)).toBe('PaymentInfo');
    expect(placeOrder.state.map((s) => qn(s.storage))).toEqual(['sys.AppSecret']);
    expect(placeOrder.intents.map((s) => [qn(s.storage), s.entities.map(qn)])).toEqual([['sys.Record', ['Counters']]]);
    expect(qn(placeOrder.returns)).toBe('PlaceOrderResult');
    expect(find(ws, 'QueryStatement', 'Ping').returns?.kind).toBe('VoidType');

    const applySales = find(ws, 'ProjectorStatement', 'ApplySales');
    expect(applySales.triggers).toHaveLength(1);
    expect(applySales.triggers[0]).toMatchObject({ kind: 'ExecuteTrigger', withParam: true });
    const notify = find(ws, 'ProjectorStatement', 'NotifyCustomer');
    expect(notify.sync).toBe(false);
    expect(notify.includingErrors).toBe(true);
    expect(
      notify.triggers.map((t) => (t.kind === 'OperationTrigger' ? [t.operations, t.targets.map(qn)] : [])),
    ).toEqual([
      [['INSERT'], ['Cart']],
      [['ACTIVATE', 'DEACTIVATE'], ['Product']],
    ]);
    expect(find(ws, 'ProjectorStatement', 'IndexCustomer').sync).toBe(true);
    const engines = ws.statements.filter((s): s is A.ExtensionEngineStatement => s.kind === 'ExtensionEngineStatement');
    expect(engines.map((e) => e.engine)).toEqual(['WASM', 'BUILTIN']);

    const orderRate = find(ws, 'RateStatement', 'OrderRate');
    expect(qn(orderRate.count as A.QualifiedName)).toBe('OrdersPerMinute');
    expect([orderRate.period, orderRate.unit, orderRate.objectScope, orderRate.subjectScope]).toEqual([
      undefined,
      'MINUTE',
      'WORKSPACE',
      undefined,
    ]);
    const reportRate = find(ws, 'RateStatement', 'ReportRate');
    expect([
      reportRate.count,
      reportRate.period?.value,
      reportRate.unit,
      reportRate.objectScope,
      reportRate.subjectScope,
    ]).toMatchObject([{ value: 10 }, 5, 'MINUTE', 'APP PARTITION', 'IP']);
    const salesLimit = find(ws, 'LimitStatement', 'SalesQueriesLimit');
    expect(salesLimit.operations).toEqual(['EXECUTE']);
    expect(salesLimit.target).toMatchObject({
      kind: 'LimitAllTarget',
      objectKind: 'QUERY',
      tag: { name: { value: 'SalesTag' } },
    });
    expect(find(ws, 'LimitStatement', 'PlaceOrderLimit').target).toMatchObject({
      kind: 'LimitSingleTarget',
      objectKind: 'COMMAND',
    });

    const grants = ws.statements.filter((s) => s.kind === 'GrantStatement' || s.kind === 'RevokeStatement');
    expect(grants).toHaveLength(11);
    expect(grants[0]).toMatchObject({ kind: 'GrantStatement', what: { kind: 'RoleGrant' } });
    expect(qn((grants[0] as A.GrantStatement).role)).toBe('Manager');
    const selectCols = grants[5] as A.GrantStatement;
    expect(selectCols.what).toMatchObject({
      kind: 'PrivilegeGrant',
      privileges: [{ operation: 'SELECT' }],
      object: { kind: 'GrantSingleObject', objectKind: 'TABLE' },
    });
    expect((selectCols.what as A.PrivilegeGrant).privileges[0]?.columns?.map(qn)).toEqual(['Sku', 'Price']);
    expect(grants[10]).toMatchObject({ kind: 'RevokeStatement', role: { name: { value: 'Clerk' } } });

    const alter = find(ast, 'AlterWorkspaceStatement');
    expect(qn(alter.workspace)).toBe('sys.AppWorkspaceWS');
    const job = find(alter, 'JobStatement', 'NightlyCleanup');
    expect(job.schedule?.value).toBe('0 3 * * *');
    expect(job.intents.map((s) => qn(s.storage))).toEqual(['sys.View', 'sys.SendMail']);
  });

  it('builds the expected todo tree', () => {
    if (!todo) throw new Error('todo example missing');
    const ast = parse(todo.source, todo.file);
    const ws = find(ast, 'WorkspaceStatement', 'TodoWS');
    expect(ws.descriptor?.name?.value).toBe('Board');
    // `Tags` is a WITH keyword elsewhere but an ordinary container name here.
    expect(find(ws, 'NestedTable', 'Tags').table.name.value).toBe('TaskTag');
    expect(find(ws, 'ViewStatement', 'TaskStats').doc).toContain('Open and done task counts');
    const grant = ws.statements.find((s): s is A.GrantStatement => s.kind === 'GrantStatement');
    expect(grant?.doc).toBe('The workspace owner is a member; more members can be invited with this role.');
    expect(qn(grant?.role)).toBe('sys.WorkspaceOwner');
  });

  it('records 1-based locations of nodes', () => {
    if (!todo) throw new Error('todo example missing');
    const ast = parse(todo.source, todo.file);
    const app = ast.statements[0] as A.ApplicationStatement;
    expect(app.loc.start).toMatchObject({ file: todo.file, line: 2, column: 1 });
    expect(app.name.loc.start).toMatchObject({ line: 2, column: 13 });
    expect(app.name.loc.end.column).toBe(17);
    expect(todo.source.slice(app.loc.start.offset, app.loc.end.offset)).toBe('APPLICATION todo()');
    const task = find(ast, 'TableStatement', 'Task');
    expect(todo.source.slice(task.loc.start.offset, task.loc.end.offset)).toMatch(
      /^TABLE Task INHERITS sys\.CDoc \([\s\S]*\)$/,
    );
  });
});

describe('every construct', () => {
  const ast = parse(KITCHEN_SINK, 'sink.vsql');

  it('parses imports, application, declare, template and root statements', () => {
    expect(ast.statements.slice(0, 2).map((s) => stripLocations(s))).toEqual([
      { kind: 'ImportStatement', path: { kind: 'StringLiteral', value: 'github.com/acme/lib' } },
      {
        kind: 'ImportStatement',
        path: { kind: 'StringLiteral', value: 'github.com/acme/other' },
        alias: { kind: 'Identifier', value: 'oth' },
      },
    ]);
    const app = find(ast, 'ApplicationStatement', 'sink');
    expect(app.uses.map((u) => u.value)).toEqual(['lib', 'oth']);
    expect(app.doc).toBe('the app\nspanning\n   two lines');
    expect(find(ast, 'DeclareStatement', 'Burst')).toMatchObject({
      type: { name: 'int' },
      defaultValue: { value: -5 },
    });
    const template = find(ast, 'TemplateStatement', 'Tpl');
    expect([qn(template.workspace), template.source.value]).toEqual(['lib.BaseWS', 'Folder']);
    expect(find(ast, 'RoleStatement', 'RootRole').published).toBe(false);
  });

  it('parses root extension engines with FUNCTION and STORAGE', () => {
    const hash = find(ast, 'FunctionStatement', 'Hash');
    expect(
      hash.params.map((p) => [p.name?.value, p.type.kind === 'PrimitiveType' ? p.type.name : p.type.kind]),
    ).toEqual([
      ['value', 'varchar'],
      [undefined, 'bytes'],
      ['seed', 'int64'],
    ]);
    expect(find(ast, 'FunctionStatement', 'Now').params).toEqual([]);
    const vw = find(ast, 'StorageStatement', 'Vw');
    expect([vw.entityRecord, vw.entityView]).toEqual([true, true]);
    expect(vw.operations.map((o) => [o.operation, o.scope])).toEqual([
      ['GETBATCH', ['QUERIES']],
      ['READ', ['JOBS']],
      ['UPDATE', ['COMMANDS']],
    ]);
  });

  it('parses workspace variants', () => {
    expect(find(ast, 'WorkspaceStatement', 'BaseWS').inherits.map(qn)).toEqual(['lib.Root', 'oth.Root']);
    const pool = find(ast, 'WorkspaceStatement', 'PoolWS');
    expect(pool.pool).toBe(true);
    expect(pool.descriptor?.name).toBeUndefined();
    expect(find(ast, 'WorkspaceStatement', 'InnerWS').alterable).toBe(true);
    expect(find(ast, 'WorkspaceStatement', 'Child').statements).toEqual([]);
    expect(find(ast, 'AlterWorkspaceStatement').statements).toMatchObject([
      { kind: 'ExtensionEngineStatement', statements: [] },
    ]);
  });

  it('accepts keywords in any case where no identifier can appear', () => {
    const low = find(ast, 'TableStatement', 'Low');
    expect(find(low, 'FieldDeclaration', 'a').notNull).toBe(true);
    expect(low.with).toMatchObject([{ kind: 'WithComment', value: { value: 'lower-case keywords' } }]);
  });

  it('parses every data type spelling', () => {
    const table = find(ast, 'TableStatement', 'Everything');
    const kinds = Object.fromEntries(
      table.items
        .filter((i): i is A.FieldDeclaration => i.kind === 'FieldDeclaration' && i.type.kind === 'PrimitiveType')
        .map((i) => [i.name.value, `${(i.type as A.PrimitiveType).name}:${(i.type as A.PrimitiveType).dataKind}`]),
    );
    expect(kinds).toMatchObject({
      s1: 'varchar:string',
      s2: 'text:string',
      s3: 'character varying:string',
      b3: 'binary varying:bytes',
      i1: 'tinyint:int8',
      i6: 'integer:int32',
      f4: 'double precision:float64',
      t1: 'timestamp:int64',
      m2: 'currency:int64',
      q2: 'qualified name:qname',
      bl2: 'binary large object:blob',
    });
    expect(find(table, 'FieldDeclaration', 's3').type).toMatchObject({ length: 20 });
    expect(find(table, 'FieldDeclaration', 'r1').type).toMatchObject({ kind: 'RefType', targets: [] });
    expect((find(table, 'FieldDeclaration', 'r2').type as A.RefType).targets.map(qn)).toEqual(['Other', 'lib.Foreign']);
    expect(find(table, 'FieldDeclaration', 'tr').type).toMatchObject({
      kind: 'TypeReference',
      name: { pkg: { value: 'lib' } },
    });
    // Quoted identifiers are never keywords.
    expect(find(table, 'FieldDeclaration', 'TABLE').type).toMatchObject({ name: 'int32' });
    expect(find(table, 'FieldDeclaration', 'varchar').type).toMatchObject({ name: 'varchar' });
    // Mixed-case `Check` at the start of an item is a field, not a constraint.
    expect(find(table, 'FieldDeclaration', 'Check').checkExpression?.text).toBe('Check > 0');
  });

  it('parses field modifiers, constraints, fieldsets and nested tables', () => {
    const table = find(ast, 'TableStatement', 'Everything');
    expect(find(table, 'FieldDeclaration', 's1').doc).toBe('a documented field');
    expect(find(table, 'FieldDeclaration', 'd2').defaultValue).toMatchObject({ kind: 'StringLiteral', value: 'x' });
    const d3 = find(table, 'FieldDeclaration', 'd3');
    expect([d3.defaultValue?.value, d3.notNull]).toEqual([-1, true]);
    const v1 = find(table, 'FieldDeclaration', 'v1');
    expect([v1.notNull, v1.verifiable, v1.pattern?.value]).toEqual([true, true, '^\\S+@\\S+$']);
    expect(v1.checkExpression?.expression).toMatchObject({
      kind: 'BinaryExpression',
      operator: 'AND',
      left: { kind: 'IsNullExpression', not: true },
      right: { kind: 'BetweenExpression', not: false, operand: { kind: 'SymbolExpression', args: [{}] } },
    });
    const e3 = find(table, 'FieldDeclaration', 'e3').checkExpression?.expression;
    expect(JSON.stringify(stripLocations(e3))).toContain('"kind":"BooleanLiteral","value":true');
    expect(JSON.stringify(stripLocations(e3))).toContain('"kind":"NullLiteral"');
    expect(JSON.stringify(stripLocations(e3))).toContain('"value":"ValidateRow"');
    const e1 = find(table, 'FieldDeclaration', 'e1').checkExpression?.expression;
    expect(JSON.stringify(stripLocations(e1))).toContain('"kind":"InExpression","operand"');
    expect(JSON.stringify(stripLocations(e1))).toContain('"operator":"%"');
    expect(
      table.items.filter((i) => i.kind === 'FieldSet').map((i) => (i.kind === 'FieldSet' ? qn(i.type) : '')),
    ).toEqual(['lib.Fieldset', 'Other']);
    const constraints = table.items.filter((i) => i.kind.endsWith('Constraint')).map((i) => stripLocations(i));
    expect(constraints).toMatchObject([
      { kind: 'UniqueConstraint', fields: [{ value: 's1' }, { value: 's2' }] },
      { kind: 'UniqueFieldConstraint', field: { value: 's3' } },
      { kind: 'CheckConstraint', expression: { text: 'i1 > 0' } },
      { kind: 'UniqueConstraint', name: { value: 'u1' } },
      { kind: 'UniqueFieldConstraint', name: { value: 'u2' } },
      { kind: 'CheckConstraint', name: { value: 'c1' } },
    ]);
    const nested = find(table, 'NestedTable', 'Nested');
    expect([nested.table.name.value, qn(nested.table.inherits), nested.table.with.length]).toEqual([
      'NestedRec',
      'sys.CRecord',
      1,
    ]);
    expect(find(nested, 'NestedTable', 'Deeper').table.name.value).toBe('DeeperRec');
    expect(table.with).toMatchObject([
      { kind: 'WithComment' },
      { kind: 'WithTags', tags: [{ name: { value: 'T1' } }, { pkg: { value: 'lib' } }] },
    ]);
    expect(find(ast, 'TableStatement', 'AbstractOne')).toMatchObject({ abstract: true, items: [] });
    // Nested tables in a TYPE are a semantic error, so they parse.
    expect(find(ast, 'TypeStatement', 'Obj').items.map((i) => i.kind)).toEqual([
      'FieldDeclaration',
      'FieldDeclaration',
      'NestedTable',
    ]);
  });

  it('parses every PRIMARY KEY shape', () => {
    const keys = ['V1', 'V2', 'V3', 'V4', 'V5'].map((v) => {
      const pk = find(find(ast, 'ViewStatement', v), 'PrimaryKey');
      return [pk.partitionKey?.map((i) => i.value), pk.clusteringColumns.map((i) => i.value)];
    });
    expect(keys).toEqual([
      [['a'], ['d']],
      [undefined, ['a']],
      [['a', 'b'], []],
      [[], ['a']],
      [['a'], ['b']],
    ]);
    expect(find(find(ast, 'ViewStatement', 'V1'), 'ViewField', 'c').type).toMatchObject({
      name: 'record',
      dataKind: 'record',
    });
  });

  it('parses command, query, projector and job forms', () => {
    expect(find(ast, 'CommandStatement', 'C1')).toMatchObject({ state: [], intents: [], with: [] });
    expect(find(ast, 'CommandStatement', 'C1').param).toBeUndefined();
    expect(qn(find(ast, 'CommandStatement', 'C3').unloggedParam)).toBe('Obj');
    expect(find(ast, 'CommandStatement', 'C3').param).toBeUndefined();
    const c4 = find(ast, 'CommandStatement', 'C4');
    expect([qn(c4.param), qn(c4.unloggedParam), qn(c4.returns), c4.with.length]).toEqual([
      'Obj',
      'lib.Secret',
      'any',
      2,
    ]);
    expect(c4.state[0]?.entities.map(qn)).toEqual(['Everything', 'Other']);
    expect([qn(find(ast, 'CommandStatement', 'C5').param), qn(find(ast, 'CommandStatement', 'C5').returns)]).toEqual([
      'any',
      'void',
    ]);
    expect(find(ast, 'QueryStatement', 'Q4').returns).toBeUndefined();
    expect(qn(find(ast, 'QueryStatement', 'Q3').param)).toBe('any');
    const p1 = find(ast, 'ProjectorStatement', 'P1');
    expect(p1.triggers.map((t) => stripLocations(t))).toMatchObject([
      { kind: 'ExecuteTrigger', withParam: false, targets: [{ name: { value: 'C1' } }] },
      { kind: 'ExecuteTrigger', withParam: true, targets: [{ name: { value: 'Obj' } }, { pkg: { value: 'sys' } }] },
    ]);
    const p2 = find(ast, 'ProjectorStatement', 'P2');
    expect(p2.sync).toBe(true);
    expect(p2.triggers.map((t) => (t.kind === 'OperationTrigger' ? t.operations : []))).toEqual([
      ['INSERT', 'UPDATE', 'ACTIVATE', 'DEACTIVATE'],
      ['UPDATE'],
    ]);
    expect(find(ast, 'ProjectorStatement', 'P3').triggers).toMatchObject([
      { kind: 'CronTrigger', schedule: { value: '*/5 * * * *' } },
    ]);
    expect(find(ast, 'JobStatement', 'J1').schedule?.value).toBe('@every 2m30s');
    expect(find(ast, 'JobStatement', 'J2').schedule).toBeUndefined();
    expect(find(ast, 'FunctionStatement', 'F1').returns).toMatchObject({ kind: 'RefType' });
  });

  it('parses every RATE and LIMIT form', () => {
    expect(find(ast, 'RateStatement', 'R2')).toMatchObject({
      count: { kind: 'QualifiedName' },
      period: { value: 2 },
      unit: 'HOUR',
      objectScope: 'APP PARTITION',
      subjectScope: 'SUBJECT',
    });
    expect(find(ast, 'RateStatement', 'R3')).toMatchObject({ unit: 'DAY', subjectScope: 'IP' });
    expect(find(ast, 'RateStatement', 'R3').objectScope).toBeUndefined();
    expect(find(ast, 'RateStatement', 'R1')).toMatchObject({
      count: { kind: 'IntLiteral', value: 10 },
      unit: 'SECOND',
    });
    const targets = ['L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L7', 'L8'].map((l) => {
      const t = find(ast, 'LimitStatement', l).target;
      return `${t.kind}:${t.objectKind}`;
    });
    expect(targets).toEqual([
      'LimitSingleTarget:COMMAND',
      'LimitSingleTarget:TABLE',
      'LimitSingleTarget:VIEW',
      'LimitSingleTarget:QUERY',
      'LimitAllTarget:COMMAND',
      'LimitAllTarget:TABLE',
      'LimitEachTarget:QUERY',
      'LimitEachTarget:VIEW',
    ]);
    expect(find(ast, 'LimitStatement', 'L2').operations).toEqual([
      'SELECT',
      'EXECUTE',
      'ACTIVATE',
      'DEACTIVATE',
      'INSERT',
      'UPDATE',
    ]);
    const l7 = find(ast, 'LimitStatement', 'L7').target;
    expect(l7.kind === 'LimitEachTarget' ? qn(l7.tag) : '').toBe('T2');
  });

  it('parses every GRANT and REVOKE form', () => {
    const ws = find(ast, 'WorkspaceStatement', 'SinkWS');
    const grants = ws.statements.filter(
      (s): s is A.GrantStatement | A.RevokeStatement => s.kind === 'GrantStatement' || s.kind === 'RevokeStatement',
    );
    const summary = grants.map((g) => {
      const w = g.what;
      if (w.kind === 'RoleGrant') return `${g.kind} role ${qn(w.role)} -> ${qn(g.role)}`;
      const privileges = w.privileges
        .map((p) => (p.columns ? `${p.operation}(${p.columns.map(qn).join(',')})` : p.operation))
        .join(',');
      const o = w.object;
      const object =
        o.kind === 'GrantSingleObject'
          ? `${o.objectKind} ${qn(o.name)}`
          : `ALL ${o.objectKind}${o.tag ? ` tag ${qn(o.tag)}` : ''}`;
      return `${g.kind} ${privileges} ON ${object} -> ${qn(g.role)}`;
    });
    expect(summary).toEqual([
      'GrantStatement role Member -> Api',
      'GrantStatement role lib.Role -> sys.WorkspaceOwner',
      'GrantStatement ALL ON TABLE Everything -> Member',
      'GrantStatement ALL(s1,s2) ON TABLE Everything -> Member',
      'GrantStatement SELECT(s1,sys.ID),INSERT,UPDATE(i1) ON TABLE Everything -> Api',
      'GrantStatement ALL ON ALL TABLE -> Member',
      'GrantStatement INSERT,ACTIVATE ON ALL TABLE tag T1 -> Member',
      'GrantStatement SELECT ON VIEW V1 -> Api',
      'GrantStatement SELECT(a,b) ON VIEW V1 -> Api',
      'GrantStatement SELECT ON ALL VIEW -> Api',
      'GrantStatement SELECT ON ALL VIEW tag T2 -> Api',
      'GrantStatement EXECUTE ON COMMAND C1 -> Api',
      'GrantStatement EXECUTE ON ALL COMMAND -> Api',
      'GrantStatement EXECUTE ON ALL COMMAND tag T1 -> Api',
      'GrantStatement EXECUTE ON QUERY lib.Q -> sys.Everyone',
      'GrantStatement EXECUTE ON ALL QUERY -> Api',
      'GrantStatement EXECUTE ON ALL QUERY tag T1 -> Api',
      'RevokeStatement role Member -> Api',
      'RevokeStatement INSERT ON ALL TABLE tag T1 -> Member',
      'RevokeStatement EXECUTE ON COMMAND C1 -> Api',
    ]);
  });

  it('resolves string escapes', () => {
    expect(find(ast, 'TagStatement', 'T2').feature?.value).toBe("It's a 'feature' with \\d");
  });
});

describe('lexing rules', () => {
  it('treats an empty file, or one with only comments, as valid', () => {
    expect(parse('', 'a.vsql')).toMatchObject({ kind: 'SchemaFile', statements: [] });
    expect(parse('  -- nothing\n/* at all */\n', 'a.vsql').statements).toEqual([]);
  });

  it('keeps keywords with a word boundary (SELECTED is one identifier)', () => {
    const ast = parse('WORKSPACE W (ROLE SELECTED; ROLE TABLEAU)');
    expect(ast.statements[0]).toMatchObject({
      statements: [{ name: { value: 'SELECTED' } }, { name: { value: 'TABLEAU' } }],
    });
  });

  it('reads upper-case data type names as type references', () => {
    const ast = parse('WORKSPACE W (TYPE T (a VARCHAR, b Int32))');
    expect(find(ast, 'FieldDeclaration', 'a').type).toMatchObject({
      kind: 'TypeReference',
      name: { name: { value: 'VARCHAR' } },
    });
    expect(find(ast, 'FieldDeclaration', 'b').type.kind).toBe('TypeReference');
  });

  it('tokenises numbers, punctuation and strings with positions', () => {
    const tokens = tokenize("a.b >= -1.5 <> 'x''y'\n  !=", 't.vsql');
    expect(tokens.map((t) => `${t.kind}:${t.value}@${t.start.line}:${t.start.column}`)).toEqual([
      'Name:a@1:1',
      'Punct:.@1:2',
      'Name:b@1:3',
      'Punct:>=@1:5',
      'Punct:-@1:8',
      'Float:1.5@1:9',
      'Punct:<>@1:13',
      "String:x'y@1:16",
      'Punct:!=@2:3',
      'EOF:@2:5',
    ]);
  });

  it('handles CRLF line endings and a BOM', () => {
    const ast = parse('\uFEFFAPPLICATION a();\r\nWORKSPACE W (\r\n  ROLE R\r\n);', 'crlf.vsql');
    expect(find(ast, 'RoleStatement', 'R').loc.start).toMatchObject({ line: 3, column: 3 });
  });

  it('attaches only comments that start a line as doc', () => {
    const ast = parse('WORKSPACE W (\n  ROLE A; -- trailing\n  ROLE B;\n  -- first\n  --second\n  ROLE C\n)');
    expect(find(ast, 'RoleStatement', 'B').doc).toBeUndefined();
    expect(find(ast, 'RoleStatement', 'C').doc).toBe('first\nsecond');
  });
});

/** [description, source, message, line, column] */
const SYNTAX_ERRORS: [string, string, string, number, number][] = [
  [
    'missing ) in a field list',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32;\n);',
    'Expected "," or ")", found ";"',
    2,
    35,
  ],
  [
    'TABLE in a field list position',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32, TABLE U (b int32))\n);',
    'Expected field, constraint or nested table, found "TABLE"',
    2,
    37,
  ],
  [
    'bad type varchar(x)',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a varchar(x))\n);',
    'Expected integer, found "x"',
    2,
    38,
  ],
  ['unterminated string', "APPLICATION a();\nIMPORT SCHEMA 'abc", 'Unterminated string', 2, 15],
  ['unexpected character', 'APPLICATION a(); # x', 'Unexpected character "#"', 1, 18],
  ['unknown top-level keyword', 'FOO bar;', 'Expected statement, found "FOO"', 1, 1],
  ['TABLE at root level', 'TABLE T ();', 'Expected statement, found "TABLE"', 1, 1],
  [
    'GRANT without TO',
    'WORKSPACE W (\nGRANT SELECT ON TABLE T Role1\n);',
    'Expected keyword "TO", found "Role1"',
    2,
    25,
  ],
  [
    'REVOKE with TO',
    'WORKSPACE W (\nREVOKE SELECT ON TABLE T TO Role1\n);',
    'Expected keyword "FROM", found "TO"',
    2,
    26,
  ],
  ['RATE without PER', 'WORKSPACE W (\nRATE R 10 MINUTE\n);', 'Expected keyword "PER", found "MINUTE"', 2, 11],
  [
    'RATE with an unknown unit',
    'WORKSPACE W (\nRATE R 10 PER WEEK\n);',
    'Expected keyword "SECOND", "MINUTE", "HOUR", "DAY" or "YEAR", found "WEEK"',
    2,
    15,
  ],
  [
    'PRIMARY KEY without parentheses',
    'WORKSPACE W (\nVIEW V (a int32, PRIMARY KEY a) AS RESULT OF P\n);',
    'Expected "(", found "a"',
    2,
    30,
  ],
  [
    'AFTER without an event',
    'WORKSPACE W (\nEXTENSION ENGINE WASM (PROJECTOR P AFTER ON T)\n);',
    'Expected keyword "EXECUTE", "INSERT", "UPDATE", "ACTIVATE" or "DEACTIVATE", found "ON"',
    2,
    42,
  ],
  [
    'projector without a trigger',
    'WORKSPACE W (\nEXTENSION ENGINE WASM (PROJECTOR P STATE(sys.Http))\n);',
    'Expected keyword "AFTER", found "STATE"',
    2,
    36,
  ],
  ['trailing garbage', 'APPLICATION a() garbage', 'Expected ";", found "garbage"', 1, 17],
  [
    'missing ; between root statements',
    'APPLICATION a()\nDECLARE X int32 DEFAULT 1;',
    'Expected ";", found "DECLARE"',
    2,
    1,
  ],
  [
    'missing ; between workspace statements',
    'WORKSPACE W (\nROLE A\nROLE B\n);',
    'Expected ";" or ")", found "ROLE"',
    3,
    1,
  ],
  [
    'trailing comma in a field list',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32,)\n);',
    'Expected field, constraint or nested table, found ")"',
    2,
    36,
  ],
  ['unterminated comment', 'APPLICATION a(); /* never closed', 'Unterminated comment', 1, 18],
  ['unterminated quoted identifier', 'APPLICATION "abc;', 'Unterminated quoted identifier', 1, 13],
  ['invalid quoted identifier', 'APPLICATION "a b";', 'Invalid quoted identifier "a b"', 1, 13],
  [
    'IMPORT after another statement',
    "APPLICATION a();\nIMPORT SCHEMA 'x';",
    'IMPORT SCHEMA must come before all other statements',
    2,
    1,
  ],
  ['IMPORT without SCHEMA', "IMPORT 'x';", 'Expected keyword "SCHEMA", found string \'x\'', 1, 8],
  [
    'DECLARE with a non-integer type',
    'DECLARE X varchar DEFAULT 1;',
    'Expected data type "int" or "int32", found "varchar"',
    1,
    11,
  ],
  ['DECLARE without DEFAULT', 'DECLARE X int32 60;', 'Expected keyword "DEFAULT", found "60"', 1, 17],
  ['WORKSPACE without a name', 'WORKSPACE (ROLE A);', 'Expected identifier, found "("', 1, 11],
  [
    'DESCRIPTOR not first',
    'WORKSPACE W (\nROLE A;\nDESCRIPTOR (a int32)\n);',
    'DESCRIPTOR must be the first item of a WORKSPACE',
    3,
    1,
  ],
  ['reserved word as an identifier', 'WORKSPACE W (\nROLE TABLE\n);', 'Expected identifier, found "TABLE"', 2, 6],
  ['EOF inside a workspace', 'WORKSPACE W (\nROLE A;', 'Expected workspace statement, found <EOF>', 2, 8],
  [
    'NOT without NULL',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32 NOT)\n);',
    'Expected keyword "NULL", found ")"',
    2,
    39,
  ],
  [
    'duplicate NOT NULL',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32 NOT NULL NOT NULL)\n);',
    'Duplicate NOT NULL',
    2,
    45,
  ],
  [
    'DEFAULT without a value',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32 DEFAULT)\n);',
    'Expected integer or string, found ")"',
    2,
    43,
  ],
  [
    'CHECK without an argument',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a varchar CHECK)\n);',
    'Expected string or "(", found ")"',
    2,
    43,
  ],
  [
    'incomplete CHECK expression',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32 CHECK (a >= ))\n);',
    'Expected expression, found ")"',
    2,
    48,
  ],
  [
    'CONSTRAINT without a kind',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (CONSTRAINT c (a))\n);',
    'Expected keyword "UNIQUE", "UNIQUEFIELD" or "CHECK", found "("',
    2,
    41,
  ],
  [
    'UNIQUE without parentheses',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32, UNIQUE a)\n);',
    'Expected "(", found "a"',
    2,
    44,
  ],
  [
    'ref with an empty list',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a ref())\n);',
    'Expected identifier, found ")"',
    2,
    34,
  ],
  [
    'VIEW without AS RESULT OF',
    'WORKSPACE W (\nVIEW V (a int32, PRIMARY KEY ((a), a))\n);',
    'Expected keyword "AS", found ")"',
    3,
    1,
  ],
  ['VIEW AS without RESULT', 'WORKSPACE W (\nVIEW V (a int32) AS P\n);', 'Expected keyword "RESULT", found "P"', 2, 21],
  [
    'unknown extension engine',
    'WORKSPACE W (\nEXTENSION ENGINE JS ()\n);',
    'Expected keyword "WASM" or "BUILTIN", found "JS"',
    2,
    18,
  ],
  [
    'STORAGE in a workspace engine',
    'WORKSPACE W (\nEXTENSION ENGINE BUILTIN (STORAGE S(GET SCOPE(COMMANDS)))\n);',
    'Expected keyword "COMMAND", "QUERY", "PROJECTOR", "JOB" or "FUNCTION", found "STORAGE"',
    2,
    27,
  ],
  [
    'COMMAND in a root engine',
    'EXTENSION ENGINE BUILTIN (COMMAND C);',
    'Expected keyword "FUNCTION" or "STORAGE", found "COMMAND"',
    1,
    27,
  ],
  [
    'second command param without UNLOGGED',
    'WORKSPACE W (\nEXTENSION ENGINE WASM (COMMAND C(A, B))\n);',
    'Expected keyword "UNLOGGED", found "B"',
    2,
    37,
  ],
  [
    'query with two params',
    'WORKSPACE W (\nEXTENSION ENGINE WASM (QUERY Q(A, B) RETURNS void)\n);',
    'Expected ")", found ","',
    2,
    33,
  ],
  [
    'empty STATE list',
    'WORKSPACE W (\nEXTENSION ENGINE WASM (COMMAND C STATE())\n);',
    'Expected identifier, found ")"',
    2,
    40,
  ],
  [
    'EXECUTE on a table',
    'WORKSPACE W (\nGRANT EXECUTE ON TABLE T TO R\n);',
    'Privilege EXECUTE does not apply to TABLE',
    2,
    7,
  ],
  [
    'SELECT on a command',
    'WORKSPACE W (\nGRANT SELECT ON COMMAND C TO R\n);',
    'Privilege SELECT does not apply to COMMAND',
    2,
    7,
  ],
  [
    'column list on ALL TABLES',
    'WORKSPACE W (\nGRANT SELECT(a) ON ALL TABLES TO R\n);',
    'A column list is only allowed with ON TABLE or ON VIEW',
    2,
    14,
  ],
  [
    'GRANT on an unknown object kind',
    'WORKSPACE W (\nGRANT SELECT ON DATABASE d TO R\n);',
    'Expected keyword "TABLE", "VIEW", "COMMAND", "QUERY" or "ALL", found "DATABASE"',
    2,
    17,
  ],
  [
    'ALL combined with other privileges',
    'WORKSPACE W (\nGRANT ALL, SELECT ON TABLE T TO R\n);',
    'ALL cannot be combined with other privileges',
    2,
    7,
  ],
  ['LIMIT without WITH RATE', 'WORKSPACE W (\nLIMIT L ON COMMAND C\n);', 'Expected keyword "WITH", found ")"', 3, 1],
  [
    'LIMIT ON ALL with an unknown kind',
    'WORKSPACE W (\nLIMIT L ON ALL THINGS WITH RATE R\n);',
    'Expected keyword "COMMANDS", "QUERIES", "TABLES" or "VIEWS", found "THINGS"',
    2,
    16,
  ],
  [
    'TAG FEATURE without a string',
    'WORKSPACE W (\nTAG T FEATURE Catalog\n);',
    'Expected string, found "Catalog"',
    2,
    15,
  ],
  [
    'unknown WITH item',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32) WITH Color=red\n);',
    'Expected keyword "Comment" or "Tags", found "Color"',
    2,
    42,
  ],
  [
    'WITH Tags without parentheses',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32) WITH Tags=A\n);',
    'Expected "(", found "A"',
    2,
    47,
  ],
  [
    'expression nested too deep',
    `WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32 CHECK (${'('.repeat(70)}a${')'.repeat(70)}))\n);`,
    'Nesting too deep (more than 64 levels)',
    2,
    106,
  ],
  [
    'workspaces nested too deep',
    `${'WORKSPACE A ('.repeat(70)}${')'.repeat(70)}`,
    'Nesting too deep (more than 64 levels)',
    1,
    845,
  ],
  [
    'integer out of range',
    'DECLARE X int32 DEFAULT 99999999999999999999;',
    'Integer out of range: 99999999999999999999',
    1,
    25,
  ],
  ['APPLICATION USE without ;', 'APPLICATION a(USE b USE c);', 'Expected ";" or ")", found "USE"', 1, 21],
  ['TEMPLATE without SOURCE', 'TEMPLATE T OF WORKSPACE W;', 'Expected keyword "SOURCE", found ";"', 1, 26],
  ['POOL without OF', 'POOL WORKSPACE W ();', 'Expected keyword "OF", found "WORKSPACE"', 1, 6],
  ['ALTER without WORKSPACE', 'ALTER W ();', 'Expected keyword "WORKSPACE", found "W"', 1, 7],
  [
    'JOB with a number instead of a cron string',
    'WORKSPACE W (\nEXTENSION ENGINE BUILTIN (JOB J 5)\n);',
    'Expected ";" or ")", found "5"',
    2,
    33,
  ],
  [
    'TYPE with a WITH clause',
    "WORKSPACE W (\nTYPE X (a int32) WITH Comment='x'\n);",
    'Expected ";" or ")", found "WITH"',
    2,
    18,
  ],
  [
    'identifier longer than 255 characters',
    `APPLICATION ${'a'.repeat(256)}();`,
    'Identifier too long (more than 255 characters)',
    1,
    13,
  ],
  [
    'array brackets',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32[])\n);',
    'Expected "," or ")", found "["',
    2,
    35,
  ],
  [
    'BETWEEN without AND',
    'WORKSPACE W (\nTABLE T INHERITS sys.CDoc (a int32 CHECK (a BETWEEN 1 OR 2))\n);',
    'Expected keyword "AND", found "OR"',
    2,
    55,
  ],
  ['USE without WORKSPACE', 'WORKSPACE W (\nUSE W2\n);', 'Expected keyword "WORKSPACE", found "W2"', 2, 5],
  [
    'STORAGE with an unknown scope',
    'EXTENSION ENGINE BUILTIN (STORAGE S(GET SCOPE(VIEWS)));',
    'Expected keyword "COMMANDS", "QUERIES", "PROJECTORS" or "JOBS", found "VIEWS"',
    1,
    47,
  ],
  ['sign without a number', 'DECLARE X int32 DEFAULT -;', 'Expected integer, found ";"', 1, 26],
];

describe('syntax errors', () => {
  it('has a large table of distinct cases', () => {
    expect(SYNTAX_ERRORS.length).toBeGreaterThanOrEqual(40);
    expect(new Set(SYNTAX_ERRORS.map(([, source]) => source)).size).toBe(SYNTAX_ERRORS.length);
  });

  it.each(SYNTAX_ERRORS)('%s', (_name, source, message, line, column) => {
    const err = parseError(source);
    expect({ message: err.rawMessage, line: err.line, column: err.column }).toEqual({ message, line, column });
    expect(err.kind).toBe('syntax');
    expect(err.file).toBe('e.vsql');
    expect(err.message).toBe(`e.vsql:${line}:${column}: ${message}`);
  });
});

describe('VsqlError', () => {
  it('formats file:line:col, the message and a code frame', () => {
    const err = parseError('APPLICATION a();\nWORKSPACE W (\n    TABLE T INHERITS sys.CDoc (a varchar(x))\n);\n');
    expect(err.format()).toBe(
      [
        'e.vsql:3:42: Expected integer, found "x"',
        '',
        '  1 | APPLICATION a();',
        '  2 | WORKSPACE W (',
        '> 3 |     TABLE T INHERITS sys.CDoc (a varchar(x))',
        '    |                                          ^',
        '  4 | );',
      ].join('\n'),
    );
    expect(String(err)).toBe(err.format());
  });

  it('formats without a frame when the source is unknown or the line is out of range', () => {
    const err = new VsqlError('undefined table Foo', { file: 'a.vsql', line: 2, column: 5, kind: 'semantic' });
    expect(err.format()).toBe('a.vsql:2:5: undefined table Foo');
    expect(err.rawMessage).toBe('undefined table Foo');
    expect(err).toBeInstanceOf(Error);
    expect(formatCodeFrame('one line', 7, 1)).toBe('');
  });

  it('cuts very long lines around the column', () => {
    const line = `${'x'.repeat(300)}#${'y'.repeat(300)}`;
    const frame = formatCodeFrame(line, 1, 301);
    const [code, caret] = frame.split('\n');
    expect(code?.length).toBeLessThan(140);
    expect(code?.[caret?.indexOf('^') ?? -1]).toBe('#');
  });
});

describe('keywords where an identifier could appear', () => {
  it('reads lower-case constraints, PRIMARY KEY, nested tables, UNLOGGED and privileges by lookahead', () => {
    const ast = parse(
      [
        'workspace w (',
        '  table t inherits sys.CDoc (a int32, unique (a), check (a > 0), constraint c unique (a), uniquefield a, sub table s (x int32)) ;',
        '  view v (a int32, primary key ((a), a)) as result of p;',
        '  extension engine wasm (command c(x, unlogged y));',
        '  grant select, insert on table t to r;',
        '  grant select to r',
        ')',
      ].join('\n'),
    );
    const t = find(ast, 'TableStatement', 't');
    expect(t.items.map((i) => i.kind)).toEqual([
      'FieldDeclaration',
      'UniqueConstraint',
      'CheckConstraint',
      'UniqueConstraint',
      'UniqueFieldConstraint',
      'NestedTable',
    ]);
    expect(find(ast, 'PrimaryKey').clusteringColumns.map((c) => c.value)).toEqual(['a']);
    expect(qn(find(ast, 'CommandStatement', 'c').unloggedParam)).toBe('y');
    const grants = find(ast, 'WorkspaceStatement', 'w').statements.filter(
      (s): s is A.GrantStatement => s.kind === 'GrantStatement',
    );
    expect(grants.map((g) => g.what.kind)).toEqual(['PrivilegeGrant', 'RoleGrant']);
  });

  it('reads the same words as identifiers where they cannot be keywords', () => {
    const ast = parse(
      [
        'WORKSPACE w (',
        '  TABLE t INHERITS sys.CDoc (unique int32, check varchar CHECK (check IS NOT null AND not = true), Primary int32, unlogged, Table int32),',
        '  VIEW v (primary key, PRIMARY KEY (primary)) AS RESULT OF p;',
        '  EXTENSION ENGINE WASM (COMMAND c(unlogged))',
        ')',
      ]
        .join('\n')
        .replace('),\n', ');\n'),
    );
    const t = find(ast, 'TableStatement', 't');
    expect(
      t.items.map((i) => `${i.kind}:${i.kind === 'FieldSet' ? qn(i.type) : (i as A.FieldDeclaration).name.value}`),
    ).toEqual([
      'FieldDeclaration:unique',
      'FieldDeclaration:check',
      'FieldDeclaration:Primary',
      'FieldSet:unlogged',
      'FieldDeclaration:Table',
    ]);
    expect(find(t, 'FieldDeclaration', 'check').checkExpression?.expression).toMatchObject({
      operator: 'AND',
      left: { kind: 'IsNullExpression', not: true },
      right: {
        left: { kind: 'SymbolExpression', name: { name: { value: 'not' } } },
        right: { kind: 'BooleanLiteral', value: true },
      },
    });
    expect(find(ast, 'ViewField', 'primary').type).toMatchObject({
      kind: 'TypeReference',
      name: { name: { value: 'key' } },
    });
    expect(qn(find(ast, 'CommandStatement', 'c').param)).toBe('unlogged');
  });
});

describe('privilege checks name the object kind', () => {
  it.each([
    ['GRANT EXECUTE ON ALL QUERIES TO R', 'ok'],
    ['GRANT SELECT ON ALL QUERIES TO R', 'Privilege SELECT does not apply to ALL QUERIES'],
    ['GRANT INSERT ON ALL VIEWS WITH TAG T TO R', 'Privilege INSERT does not apply to ALL VIEWS'],
    ['REVOKE EXECUTE(a) ON COMMAND C FROM R', 'A column list is only allowed with ON TABLE or ON VIEW'],
  ])('%s', (statement, expected) => {
    const source = `WORKSPACE W (${statement})`;
    if (expected === 'ok') expect(() => parse(source)).not.toThrow();
    else expect(parseError(source).rawMessage).toBe(expected);
  });
});
