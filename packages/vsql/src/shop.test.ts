import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppDef, TableDef } from './appdef.js';
import { compile } from './compile.js';

function loadExample(name: string): { path: string; source: string }[] {
  const roots = [join(import.meta.dirname, '../../../examples', name), join('/work/shared/vsql', name)];
  const root = roots.find((r) => existsSync(join(r, 'schema')));
  if (!root) throw new Error(`example ${name} not found in ${roots.join(', ')}`);
  const dir = join(root, 'schema');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.vsql'))
    .sort()
    .map((f) => ({ path: `schema/${f}`, source: readFileSync(join(dir, f), 'utf8') }));
}

let appdef: AppDef;

function table(name: string): TableDef {
  const t = appdef.tables[`shop.${name}`];
  if (!t) throw new Error(`no table shop.${name}`);
  return t;
}

function ownFieldNames(t: TableDef): string[] {
  return t.fields.filter((f) => !f.system).map((f) => f.name);
}

beforeAll(() => {
  const result = compile(loadExample('shop'));
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  appdef = result.appdef;
});

describe('shop example (EXPECTED.md)', () => {
  it('compiles into a versioned, JSON-round-trippable AppDef named shop', () => {
    expect(appdef.appdefVersion).toBe(1);
    expect(appdef.name).toBe('shop');
    expect(appdef.packages.map((p) => p.localName)).toEqual(['sys', 'shop']);
    expect(JSON.parse(JSON.stringify(appdef))).toEqual(appdef);
  });

  it('workspaces: ShopBaseWS abstract, BranchWS alterable with descriptor Branch, ShopWS inherits ShopBaseWS and sys.Workspace, uses BranchWS, descriptor Shop', () => {
    const base = appdef.workspaces['shop.ShopBaseWS']!;
    expect(base.abstract).toBe(true);
    expect(base.descriptor).toBeNull();
    const branch = appdef.workspaces['shop.BranchWS']!;
    expect(branch).toMatchObject({ abstract: false, alterable: true, descriptor: 'shop.Branch' });
    const shop = appdef.workspaces['shop.ShopWS']!;
    expect(shop.inherits).toEqual(['shop.ShopBaseWS']);
    expect(shop.ancestors).toEqual(['sys.Workspace', 'shop.ShopBaseWS']);
    expect(shop.uses).toEqual(['shop.BranchWS']);
    expect(shop.descriptor).toBe('shop.Shop');
    expect(shop.abstract).toBe(false);
    // Inherited and used types are usable in ShopWS.
    expect(shop.types).toEqual(
      expect.arrayContaining(['shop.Named', 'shop.Address', 'shop.Clerk', 'shop.Branch', 'sys.BLOB']),
    );
  });

  it('CDoc singletons Shop and Branch are the descriptors; Named is an abstract CDoc', () => {
    expect(table('Shop')).toMatchObject({ kind: 'CDoc', singleton: true, descriptorOf: 'shop.ShopWS' });
    expect(ownFieldNames(table('Shop'))).toEqual(['ShopName', 'Country']);
    expect(table('Shop').fields.find((f) => f.name === 'Country')?.pattern).toBe('^[A-Z]{2}$');
    expect(table('Branch')).toMatchObject({ kind: 'CDoc', singleton: true, descriptorOf: 'shop.BranchWS' });
    expect(ownFieldNames(table('Branch'))).toEqual(['City']);
    expect(table('Named')).toMatchObject({ kind: 'CDoc', abstract: true, inherits: 'sys.CDoc' });
  });

  it('CDoc Product: fields, inherited Title, blob Photo, Barcode regex, container Variants, unique on Sku', () => {
    const p = table('Product');
    expect(p).toMatchObject({ kind: 'CDoc', singleton: false, abstract: false, inherits: 'shop.Named' });
    expect(ownFieldNames(p)).toEqual(['Title', 'Sku', 'Price', 'Photo', 'Barcode', 'Status']);
    const f = (n: string) => p.fields.find((x) => x.name === n)!;
    expect(f('Title')).toMatchObject({
      required: true,
      declaredIn: 'shop.Named',
      type: { kind: 'varchar', maxLen: 100 },
    });
    expect(f('Sku')).toMatchObject({ required: true, type: { kind: 'varchar', maxLen: 32 } });
    expect(f('Price')).toMatchObject({ required: true, type: { kind: 'int64' } });
    expect(f('Photo').type).toEqual({ kind: 'blob', refTargets: ['sys.BLOB'] });
    expect(f('Barcode').pattern).toBe('^[0-9]{13}$');
    expect(f('Status')).toMatchObject({ required: true, type: { kind: 'int32' } });
    expect(p.containers).toEqual([{ name: 'Variants', type: 'shop.ProductVariant', minOccurs: 0, maxOccurs: 100 }]);
    expect(table('ProductVariant')).toMatchObject({ kind: 'CRecord', parent: 'shop.Product' });
    expect(ownFieldNames(table('ProductVariant'))).toEqual(['Label', 'Extra']);
    expect(p.uniques).toEqual([{ name: 'shop.Product$uniques$01', fields: ['Sku'] }]);
    expect(p.tags).toEqual(['shop.CatalogTag']);
    expect(p.comment).toBe('Catalog item');
  });

  it('system fields follow the kind', () => {
    const sys = (t: TableDef) => t.fields.filter((f) => f.system).map((f) => f.name);
    expect(sys(table('Product'))).toEqual(['sys.QName', 'sys.ID', 'sys.IsActive']);
    expect(sys(table('ProductVariant'))).toEqual([
      'sys.QName',
      'sys.ID',
      'sys.ParentID',
      'sys.Container',
      'sys.IsActive',
    ]);
    expect(sys(table('OrderDoc'))).toEqual(['sys.QName', 'sys.ID']);
    expect(sys(table('OrderLine'))).toEqual(['sys.QName', 'sys.ID', 'sys.ParentID', 'sys.Container']);
  });

  it('CDoc Customer: Code, verifiable Email, Street and City inlined from Address; named unique CustomerCodeUniq', () => {
    const c = table('Customer');
    expect(c.kind).toBe('CDoc');
    expect(ownFieldNames(c)).toEqual(['Code', 'Email', 'Street', 'City']);
    expect(c.fields.find((f) => f.name === 'Email')).toMatchObject({ verifiable: true, required: true });
    expect(c.fields.find((f) => f.name === 'City')).toMatchObject({ required: true, declaredIn: 'shop.Address' });
    expect(c.uniques).toEqual([{ name: 'shop.Customer$uniques$CustomerCodeUniq', fields: ['Code'] }]);
  });

  it('ODoc OrderDoc with ORecord container Lines → OrderLine; WDoc Cart with WRecord CartItem', () => {
    expect(table('OrderDoc').kind).toBe('ODoc');
    expect(table('OrderDoc').containers).toEqual([
      { name: 'Lines', type: 'shop.OrderLine', minOccurs: 0, maxOccurs: 100 },
    ]);
    expect(table('OrderLine').kind).toBe('ORecord');
    expect(table('OrderLine').fields.find((f) => f.name === 'ProductID')?.type).toEqual({
      kind: 'ref',
      refTargets: ['shop.Product'],
    });
    expect(table('Cart').kind).toBe('WDoc');
    expect(table('Cart').containers.map((c) => c.type)).toEqual(['shop.CartItem']);
    expect(table('CartItem').kind).toBe('WRecord');
  });

  it('singletons ShopSettings (CDoc) and Counters (WDoc)', () => {
    expect(table('ShopSettings')).toMatchObject({ kind: 'CDoc', singleton: true });
    expect(table('Counters')).toMatchObject({ kind: 'WDoc', singleton: true });
  });

  it('objects: Address, PaymentInfo, PlaceOrderResult, SalesParams, SalesRow', () => {
    expect(
      Object.keys(appdef.objects)
        .filter((q) => q.startsWith('shop.'))
        .sort(),
    ).toEqual(['shop.Address', 'shop.PaymentInfo', 'shop.PlaceOrderResult', 'shop.SalesParams', 'shop.SalesRow']);
    expect(appdef.objects['shop.Address']!.fields.map((f) => f.name)).toEqual(['Street', 'City']);
  });

  it('views DailySales and CustomerByCode in ShopWS, JobRuns in sys.AppWorkspaceWS', () => {
    expect(appdef.views['shop.DailySales']).toMatchObject({
      partitionKey: ['Year', 'Month'],
      clusteringColumns: ['Day', 'ProductID'],
      valueFields: ['Qty', 'Total'],
      projector: 'shop.ApplySales',
      workspace: 'shop.ShopWS',
      tags: ['shop.SalesTag'],
    });
    expect(appdef.views['shop.CustomerByCode']).toMatchObject({
      partitionKey: ['CodeHash'],
      clusteringColumns: ['Code'],
      valueFields: ['CustomerID'],
      projector: 'shop.IndexCustomer',
    });
    expect(appdef.views['shop.JobRuns']).toMatchObject({
      workspace: 'sys.AppWorkspaceWS',
      projector: 'shop.NightlyCleanup',
    });
    expect(appdef.workspaces['sys.AppWorkspaceWS']!.types).toContain('shop.JobRuns');
  });

  it('WASM extensions: command PlaceOrder(OrderDoc, UNLOGGED PaymentInfo) RETURNS PlaceOrderResult, query SalesReport, async projector ApplySales', () => {
    expect(appdef.extensions['shop.PlaceOrder']).toMatchObject({
      kind: 'command',
      engine: 'wasm',
      param: 'shop.OrderDoc',
      unloggedParam: 'shop.PaymentInfo',
      result: 'shop.PlaceOrderResult',
      state: [{ storage: 'sys.AppSecret', entities: [] }],
      intents: [{ storage: 'sys.Record', entities: ['shop.Counters'] }],
      tags: ['shop.SalesTag'],
    });
    expect(appdef.extensions['shop.SalesReport']).toMatchObject({
      kind: 'query',
      engine: 'wasm',
      param: 'shop.SalesParams',
      result: 'shop.SalesRow',
    });
    expect(appdef.extensions['shop.ApplySales']).toMatchObject({
      kind: 'projector',
      engine: 'wasm',
      sync: false,
      triggers: [{ on: 'executeWithParam', targets: ['shop.OrderDoc'] }],
      intents: [{ storage: 'sys.View', entities: ['shop.DailySales'] }],
    });
  });

  it('builtin extensions: CloseShop, Ping, sync IndexCustomer, async NotifyCustomer including errors, job NightlyCleanup', () => {
    expect(appdef.extensions['shop.CloseShop']).toMatchObject({
      kind: 'command',
      engine: 'builtin',
      param: 'void',
      result: 'void',
    });
    expect(appdef.extensions['shop.Ping']).toMatchObject({ kind: 'query', engine: 'builtin', result: 'void' });
    expect(appdef.extensions['shop.IndexCustomer']).toMatchObject({
      kind: 'projector',
      sync: true,
      triggers: [
        { on: 'insert', targets: ['shop.Customer'] },
        { on: 'update', targets: ['shop.Customer'] },
      ],
    });
    expect(appdef.extensions['shop.NotifyCustomer']).toMatchObject({
      kind: 'projector',
      sync: false,
      includingErrors: true,
      triggers: [
        { on: 'insert', targets: ['shop.Cart'] },
        { on: 'activate', targets: ['shop.Product'] },
        { on: 'deactivate', targets: ['shop.Product'] },
      ],
      state: [{ storage: 'sys.AppSecret' }, { storage: 'sys.Http' }],
      intents: [{ storage: 'sys.SendMail' }],
    });
    expect(appdef.extensions['shop.NightlyCleanup']).toMatchObject({
      kind: 'job',
      engine: 'builtin',
      cron: '0 3 * * *',
      workspace: 'sys.AppWorkspaceWS',
    });
  });

  it('rates OrderRate (60/min per workspace) and ReportRate (10 per 5 min per app partition per IP); three limits', () => {
    expect(appdef.rates['shop.OrderRate']).toMatchObject({
      count: 60,
      countFrom: 'shop.OrdersPerMinute',
      periodSeconds: 60,
      scopes: ['workspace'],
    });
    expect(appdef.rates['shop.ReportRate']).toMatchObject({
      count: 10,
      periodSeconds: 300,
      scopes: ['appPartition', 'ip'],
    });
    expect(appdef.constants['shop.OrdersPerMinute']).toEqual({
      qname: 'shop.OrdersPerMinute',
      type: 'int32',
      value: 60,
    });
    expect(Object.keys(appdef.limits).filter((q) => q.startsWith('shop.'))).toHaveLength(3);
    expect(appdef.limits['shop.PlaceOrderLimit']).toMatchObject({
      rate: 'shop.OrderRate',
      on: { kind: 'command', mode: 'each', qnames: ['shop.PlaceOrder'] },
    });
    expect(appdef.limits['shop.SalesQueriesLimit']).toMatchObject({
      ops: ['execute'],
      rate: 'shop.ReportRate',
      on: { kind: 'query', mode: 'all', tag: 'shop.SalesTag', qnames: ['shop.SalesReport'] },
    });
  });

  it('roles Clerk, Manager, ApiReader (published)', () => {
    expect(appdef.roles['shop.Clerk']).toMatchObject({ published: false, workspace: 'shop.ShopBaseWS' });
    expect(appdef.roles['shop.Manager']).toMatchObject({ published: false });
    expect(appdef.roles['shop.ApiReader']).toMatchObject({ published: true });
  });

  it("ShopWS's ACL: ten allow rules (one the role inheritance Clerk → Manager) then one deny rule", () => {
    const acl = appdef.workspaces['shop.ShopWS']!.acl;
    expect(acl.map((r) => r.op)).toEqual([...Array<string>(10).fill('grant'), 'revoke']);
    expect(acl[0]).toMatchObject({
      privileges: ['inherits'],
      on: { kind: 'role', qnames: ['shop.Clerk'] },
      principal: 'shop.Manager',
    });
    expect(acl[2]).toMatchObject({
      privileges: ['select', 'insert', 'update'],
      on: { qnames: ['shop.Product'] },
      principal: 'shop.Clerk',
    });
    expect(acl[4]).toMatchObject({
      privileges: ['insert'],
      on: { kind: 'allTables', tag: 'shop.CatalogTag', qnames: ['shop.Customer', 'shop.Product'] },
    });
    expect(acl[5]).toMatchObject({ privileges: ['select'], columns: ['Sku', 'Price'], principal: 'shop.ApiReader' });
    expect(acl[7]).toMatchObject({ on: { kind: 'allQueries', tag: 'shop.SalesTag', qnames: ['shop.SalesReport'] } });
    expect(acl[9]).toMatchObject({
      privileges: ['execute'],
      on: { kind: 'query', qnames: ['shop.Ping'] },
      principal: 'sys.Everyone',
    });
    expect(acl[10]).toMatchObject({
      op: 'revoke',
      privileges: ['update'],
      on: { kind: 'table', qnames: ['shop.Cart'] },
      principal: 'shop.Clerk',
    });
  });

  it('CHECK (…) expressions and DEFAULT leave no trace in the AppDef', () => {
    const text = JSON.stringify(appdef);
    expect(text).not.toMatch(/Price >= 0|Qty > 0|PositivePrice|default/i);
    const status = table('Product').fields.find((f) => f.name === 'Status')!;
    expect(Object.keys(status).sort()).toEqual(['declaredIn', 'name', 'required', 'system', 'type', 'verifiable']);
  });
});
