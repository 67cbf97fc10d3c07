import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '@stoa/vsql';
import type { AclPrivilege, AppDef } from '@stoa/vsql';
import { describe, expect, it } from 'vitest';
import { createAclEvaluator } from './acl.js';
import type { Principal } from './principal.js';
import { composeRoles } from './roles.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples');

function compileSource(path: string, source: string): AppDef {
  const result = compile([{ path, source }]);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return result.appdef;
}

function compileExample(app: string): AppDef {
  return compileSource(`schema/${app}.vsql`, readFileSync(join(EXAMPLES, app, 'schema', `${app}.vsql`), 'utf8'));
}

const WSID = 1001;
const OWNER_PROFILE = 140;
function user(kind: 'user' | 'device' = 'user', profileWSID = 77): Principal {
  return { kind, subject: 'someone', app: 'acme/x', profileWSID, expiresAt: 0 };
}
const anonymous = composeRoles({ principal: null, wsid: WSID });
const authenticated = composeRoles({ principal: user(), wsid: WSID, ownerWSID: OWNER_PROFILE });
const member = (...roles: string[]): string[] =>
  composeRoles({ principal: user(), wsid: WSID, ownerWSID: OWNER_PROFILE, memberRoles: roles });
const owner = composeRoles({ principal: user('user', OWNER_PROFILE), wsid: WSID, ownerWSID: OWNER_PROFILE });
const system = composeRoles({
  principal: { kind: 'system', subject: 'sys', app: 'acme/x', profileWSID: 0, expiresAt: 0 },
  wsid: WSID,
});
const apiToken = (roles: string[], wsid = WSID): string[] =>
  composeRoles({
    principal: { kind: 'apiToken', subject: 't1', app: 'acme/x', profileWSID: 0, wsid, roles, expiresAt: 0 },
    wsid: WSID,
  });

type Case = [
  label: string,
  roles: readonly string[],
  privilege: AclPrivilege,
  resource: string,
  allowed: boolean,
  fields?: string[],
];

const clerk = member('shop.Clerk');
const manager = member('shop.Manager');
const apiReader = apiToken(['shop.ApiReader']);

const SHOP_CASES: Case[] = [
  ['Clerk selects Cart', clerk, 'select', 'shop.Cart', true],
  ['Clerk inserts Cart', clerk, 'insert', 'shop.Cart', true],
  ['Clerk cannot update Cart (REVOKE after GRANT)', clerk, 'update', 'shop.Cart', false],
  ['Manager selects Cart (inherits Clerk)', manager, 'select', 'shop.Cart', true],
  ['Manager inserts Cart (inherits Clerk)', manager, 'insert', 'shop.Cart', true],
  ['Manager cannot update Cart (revoke reaches inherited Clerk)', manager, 'update', 'shop.Cart', false],
  ['Clerk selects Product (ALL)', clerk, 'select', 'shop.Product', true],
  ['Clerk inserts Product (ALL)', clerk, 'insert', 'shop.Product', true],
  ['Clerk updates Product (ALL)', clerk, 'update', 'shop.Product', true],
  ['Clerk cannot activate Product (ALL excludes it)', clerk, 'activate', 'shop.Product', false],
  ['Clerk cannot deactivate Product', clerk, 'deactivate', 'shop.Product', false],
  ['Manager activates Product', manager, 'activate', 'shop.Product', true],
  ['Manager deactivates Product', manager, 'deactivate', 'shop.Product', true],
  ['Manager updates Product price (inherited ALL)', manager, 'update', 'shop.Product', true, ['Price']],
  ['Manager inserts Customer (ALL TABLES WITH TAG CatalogTag)', manager, 'insert', 'shop.Customer', true],
  ['Manager cannot select Customer (tag rule is INSERT only)', manager, 'select', 'shop.Customer', false],
  ['Clerk cannot insert Customer', clerk, 'insert', 'shop.Customer', false],
  ['ApiReader selects Product Sku, Price', apiReader, 'select', 'shop.Product', true, ['Sku', 'Price']],
  [
    'ApiReader selects Product sys.ID with Sku (system fields implied)',
    apiReader,
    'select',
    'shop.Product',
    true,
    ['sys.ID', 'Sku'],
  ],
  ['ApiReader cannot select Product Title', apiReader, 'select', 'shop.Product', false, ['Title']],
  ['ApiReader cannot select Product Sku + Title', apiReader, 'select', 'shop.Product', false, ['Sku', 'Title']],
  ['ApiReader cannot insert Product', apiReader, 'insert', 'shop.Product', false],
  ['ApiReader cannot select Cart', apiReader, 'select', 'shop.Cart', false],
  [
    'ApiReader token bound to another workspace gets nothing',
    apiToken(['shop.ApiReader'], 5),
    'select',
    'shop.Product',
    false,
    ['Sku'],
  ],
  ['Clerk executes PlaceOrder', clerk, 'execute', 'shop.PlaceOrder', true],
  ['Manager executes PlaceOrder (inherits Clerk)', manager, 'execute', 'shop.PlaceOrder', true],
  ['ApiReader cannot execute PlaceOrder', apiReader, 'execute', 'shop.PlaceOrder', false],
  ['Manager executes SalesReport (ALL QUERIES WITH TAG SalesTag)', manager, 'execute', 'shop.SalesReport', true],
  ['Clerk cannot execute SalesReport', clerk, 'execute', 'shop.SalesReport', false],
  ['Manager selects DailySales', manager, 'select', 'shop.DailySales', true],
  ['Clerk cannot select DailySales', clerk, 'select', 'shop.DailySales', false],
  ['Manager cannot select CustomerByCode (no grant)', manager, 'select', 'shop.CustomerByCode', false],
  ['anonymous executes Ping (sys.Everyone)', anonymous, 'execute', 'shop.Ping', true],
  ['authenticated user executes Ping (sys.Everyone)', authenticated, 'execute', 'shop.Ping', true],
  ['API token executes Ping (sys.Everyone)', apiReader, 'execute', 'shop.Ping', true],
  ['anonymous cannot execute PlaceOrder', anonymous, 'execute', 'shop.PlaceOrder', false],
  ['anonymous cannot select Product', anonymous, 'select', 'shop.Product', false],
  ['anonymous cannot insert Cart', anonymous, 'insert', 'shop.Cart', false],
  ['anonymous cannot execute sys.CUD', anonymous, 'execute', 'sys.CUD', false],
  ['authenticated user executes sys.CUD (sys grant)', authenticated, 'execute', 'sys.CUD', true],
  ['authenticated non-member cannot select Cart', authenticated, 'select', 'shop.Cart', false],
  ['owner has no shop grants: cannot select Cart', owner, 'select', 'shop.Cart', false],
  ['nobody is granted CloseShop: Manager denied', manager, 'execute', 'shop.CloseShop', false],
  ['sys.System executes CloseShop', system, 'execute', 'shop.CloseShop', true],
  ['sys.System updates Cart despite the REVOKE', system, 'update', 'shop.Cart', true],
  ['nested table is not covered by its parent’s grant', clerk, 'select', 'shop.ProductVariant', false],
  ['execute does not apply to a table', clerk, 'execute', 'shop.Cart', false],
  ['insert does not apply to a view', manager, 'insert', 'shop.DailySales', false],
  ['a resource of another app is not in the workspace', system, 'select', 'todo.Task', false],
  ['a table of another workspace is not in ShopWS', system, 'select', 'sys.Login', false],
];

const todoMember = member('todo.Member');
const TODO_CASES: Case[] = [
  ['owner selects Task (Member through GRANT Member TO sys.WorkspaceOwner)', owner, 'select', 'todo.Task', true],
  ['owner inserts Task', owner, 'insert', 'todo.Task', true],
  ['owner updates Task Done', owner, 'update', 'todo.Task', true, ['Done']],
  ['owner activates Task', owner, 'activate', 'todo.Task', true],
  ['owner deactivates Task', owner, 'deactivate', 'todo.Task', true],
  ['owner inserts TaskTag', owner, 'insert', 'todo.TaskTag', true],
  ['owner executes CompleteTask', owner, 'execute', 'todo.CompleteTask', true],
  ['owner executes Stats', owner, 'execute', 'todo.Stats', true],
  ['owner selects TaskStats', owner, 'select', 'todo.TaskStats', true],
  ['owner selects AssigneeLoad', owner, 'select', 'todo.AssigneeLoad', true],
  ['profile owner is a workspace owner hence a Member', ['sys.ProfileOwner'], 'select', 'todo.Task', true],
  [
    'device owner is a Member (WorkspaceDevice → WorkspaceOwner)',
    composeRoles({ principal: user('device', OWNER_PROFILE), wsid: WSID, ownerWSID: OWNER_PROFILE }),
    'insert',
    'todo.Task',
    true,
  ],
  ['invited Member inserts Task', todoMember, 'insert', 'todo.Task', true],
  ['invited Member executes CompleteTask', todoMember, 'execute', 'todo.CompleteTask', true],
  ['authenticated non-member cannot select Task', authenticated, 'select', 'todo.Task', false],
  ['authenticated non-member cannot execute Stats', authenticated, 'execute', 'todo.Stats', false],
  ['anonymous cannot select Task', anonymous, 'select', 'todo.Task', false],
  ['anonymous cannot execute CompleteTask', anonymous, 'execute', 'todo.CompleteTask', false],
  ['owner cannot read the membership table sys.Subject (not granted)', owner, 'select', 'sys.Subject', false],
  ['a membership row naming sys.System does not grant System', member('sys.System'), 'select', 'todo.Task', false],
];

describe('ACL over examples/shop (shop.ShopWS)', () => {
  const acl = createAclEvaluator(compileExample('shop'));
  it.each(SHOP_CASES)('%s', (_label, roles, privilege, resource, allowed, fields) => {
    const decision = acl.evaluate({
      workspace: 'shop.ShopWS',
      roles,
      privilege,
      resource,
      ...(fields ? { fields } : {}),
    });
    expect(decision.allowed, decision.reason).toBe(allowed);
    expect(decision.reason.length).toBeGreaterThan(0);
    if (!allowed) expect(decision.fields).toEqual([]);
  });

  it('memoises decisions per request: any order, fresh role lists, past the cache bound', () => {
    const fresh = SHOP_CASES.map(([, roles, privilege, resource, , fields]) =>
      createAclEvaluator(compileExample('shop')).evaluate({
        workspace: 'shop.ShopWS',
        roles,
        privilege,
        resource,
        ...(fields ? { fields } : {}),
      }),
    );
    const memo = createAclEvaluator(compileExample('shop'));
    const ask = (i: number): boolean => {
      const [, roles, privilege, resource, , fields] = SHOP_CASES[i]!;
      const req = { workspace: 'shop.ShopWS', roles: [...roles], privilege, resource };
      return memo.evaluate(fields ? { ...req, fields } : req).allowed;
    };
    const indexes = SHOP_CASES.map((_, i) => i);
    for (const order of [indexes, [...indexes].reverse(), indexes]) {
      for (const i of order) expect(ask(i), SHOP_CASES[i]![0]).toBe(fresh[i]!.allowed);
      // Past the bound (4096 decisions) the memo starts over; answers stay the same.
      for (let k = 0; k < 2500; k++)
        memo.evaluate({ workspace: 'shop.ShopWS', roles: owner, privilege: 'select', resource: `shop.None${k}` });
    }
  });

  it('explains a REVOKE with its source location', () => {
    const d = acl.evaluate({ workspace: 'shop.ShopWS', roles: manager, privilege: 'update', resource: 'shop.Cart' });
    expect(d.rule).toMatchObject({
      op: 'revoke',
      principal: 'shop.Clerk',
      loc: { file: 'schema/shop.vsql', line: 157 },
    });
    expect(d.reason).toBe(
      'denied: update on shop.Cart is revoked by REVOKE UPDATE ON TABLE shop.Cart FROM shop.Clerk (schema/shop.vsql:157:5 in shop.ShopWS)',
    );
  });

  it('explains a grant by tag and a denial without any matching rule', () => {
    const d = acl.evaluate({
      workspace: 'shop.ShopWS',
      roles: manager,
      privilege: 'execute',
      resource: 'shop.SalesReport',
    });
    expect(d.reason).toBe(
      'allowed by GRANT EXECUTE ON ALL QUERIES WITH TAG shop.SalesTag TO shop.Manager (schema/shop.vsql:154:5 in shop.ShopWS)',
    );
    const n = acl.evaluate({
      workspace: 'shop.ShopWS',
      roles: anonymous,
      privilege: 'select',
      resource: 'shop.Product',
    });
    expect(n.rule).toBeUndefined();
    expect(n.reason).toBe(
      'denied: no rule in shop.ShopWS grants select on shop.Product to sys.Anonymous, sys.Everyone',
    );
  });

  it('reports the field list of a field-level grant (system fields implied for SELECT)', () => {
    const d = acl.evaluate({
      workspace: 'shop.ShopWS',
      roles: apiReader,
      privilege: 'select',
      resource: 'shop.Product',
    });
    expect(d.allowed).toBe(true);
    expect(d.fields).toEqual(['sys.QName', 'sys.ID', 'sys.IsActive', 'Sku', 'Price']);
    expect(d.reason).toContain('SELECT(Sku, Price) ON TABLE shop.Product TO shop.ApiReader');
    expect(
      acl.evaluate({ workspace: 'shop.ShopWS', roles: clerk, privilege: 'select', resource: 'shop.Product' }).fields,
    ).toBe('all');
  });

  it('expands roles through inheritance, sys rules included', () => {
    expect(acl.expandRoles('shop.ShopWS', ['shop.Manager']).sort()).toEqual(['shop.Clerk', 'shop.Manager']);
    expect(acl.expandRoles('shop.ShopWS', ['sys.ProfileOwner']).sort()).toEqual([
      'sys.BLOBUploader',
      'sys.ProfileOwner',
      'sys.WorkspaceOwner',
    ]);
    expect(acl.expandRoles('shop.ShopWS', ['sys.Anonymous'])).toEqual(['sys.Anonymous', 'sys.Everyone']);
    expect(acl.expandRoles('nope.WS', ['a.B', 'a.B'])).toEqual(['a.B']);
  });

  it('denies in an unknown workspace', () => {
    expect(
      acl.evaluate({ workspace: 'nope.WS', roles: system, privilege: 'select', resource: 'shop.Cart' }),
    ).toMatchObject({ allowed: false });
  });
});

describe('ACL over examples/todo (todo.TodoWS)', () => {
  const acl = createAclEvaluator(compileExample('todo'));
  it.each(TODO_CASES)('%s', (_label, roles, privilege, resource, allowed, fields) => {
    const decision = acl.evaluate({
      workspace: 'todo.TodoWS',
      roles,
      privilege,
      resource,
      ...(fields ? { fields } : {}),
    });
    expect(decision.allowed, decision.reason).toBe(allowed);
  });

  it('makes the owner a Member only through the app rule', () => {
    expect(acl.expandRoles('todo.TodoWS', ['sys.WorkspaceOwner'])).toContain('todo.Member');
    expect(acl.expandRoles('sys.UserProfileWS', ['sys.WorkspaceOwner'])).not.toContain('todo.Member');
  });
});

describe('ACL semantics on synthetic schemas', () => {
  const appdef = compileSource(
    'schema/lab.vsql',
    `APPLICATION lab();
ABSTRACT WORKSPACE BaseWS (
    TAG Shared;
    ROLE Reader; ROLE A; ROLE B; ROLE C;
    EXTENSION ENGINE BUILTIN (
        COMMAND Go();
    );
    GRANT SELECT ON ALL TABLES WITH TAG Shared TO Reader;
    GRANT EXECUTE ON COMMAND Go TO A;
    REVOKE EXECUTE ON COMMAND Go FROM B;
);
WORKSPACE LabWS INHERITS BaseWS (
    ROLE Editor;
    TABLE Note INHERITS sys.CDoc (Title varchar NOT NULL, Body varchar, Secret varchar) WITH Tags=(Shared);
    TABLE Plain INHERITS sys.CDoc (X int32);
    GRANT A TO B;
    GRANT B TO A;
    GRANT B TO C;
    GRANT SELECT ON TABLE Plain TO A;
    GRANT SELECT, UPDATE ON TABLE Note TO Editor;
    GRANT EXECUTE ON COMMAND Go TO C;
    REVOKE SELECT(Secret) ON TABLE Note FROM Editor;
    REVOKE UPDATE(Title) ON TABLE Note FROM Editor;
);`,
  );
  const acl = createAclEvaluator(appdef);
  const ev = (roles: string[], privilege: AclPrivilege, resource: string, fields?: string[]) =>
    acl.evaluate({ workspace: 'lab.LabWS', roles, privilege, resource, ...(fields ? { fields } : {}) });

  it('handles inheritance cycles and chains', () => {
    expect(acl.expandRoles('lab.LabWS', ['lab.A']).sort()).toEqual(['lab.A', 'lab.B']);
    expect(acl.expandRoles('lab.LabWS', ['lab.C']).sort()).toEqual(['lab.A', 'lab.B', 'lab.C']);
    expect(ev(['lab.B'], 'select', 'lab.Plain').allowed).toBe(true);
    expect(ev(['lab.C'], 'select', 'lab.Plain').allowed).toBe(true);
  });

  it('lets later rules override earlier ones for field-less resources', () => {
    // A and B are the same set of roles (cycle): the base's REVOKE from B follows its GRANT to A.
    expect(ev(['lab.A'], 'execute', 'lab.Go').allowed).toBe(false);
    // C holds A and B too, but the GRANT to C (the workspace's own rules) comes after the base's.
    expect(ev(['lab.C'], 'execute', 'lab.Go')).toMatchObject({ allowed: true, rule: { principal: 'lab.C' } });
  });

  it('removes revoked columns from a full grant', () => {
    const select = ev(['lab.Editor'], 'select', 'lab.Note');
    expect(select.allowed).toBe(true);
    expect(select.fields).not.toContain('Secret');
    expect(select.fields).toContain('Body');
    expect(ev(['lab.Editor'], 'select', 'lab.Note', ['Title', 'Body']).allowed).toBe(true);
    expect(ev(['lab.Editor'], 'select', 'lab.Note', ['Secret']).allowed).toBe(false);
    expect(ev(['lab.Editor'], 'update', 'lab.Note', ['Body']).allowed).toBe(true);
    const title = ev(['lab.Editor'], 'update', 'lab.Note', ['Title']);
    expect(title.allowed).toBe(false);
    expect(title.reason).toContain('Title');
    expect(ev(['lab.Editor'], 'select', 'lab.Note', ['NoSuchField']).allowed).toBe(false);
  });

  it('applies an ancestor’s ALL … WITH TAG rule to tables a descendant declares', () => {
    expect(ev(['lab.Reader'], 'select', 'lab.Note').allowed).toBe(true);
    expect(ev(['lab.Reader'], 'select', 'lab.Plain').allowed).toBe(false);
    expect(ev(['lab.Reader'], 'update', 'lab.Note').allowed).toBe(false);
  });
});

describe('composeRoles', () => {
  it('gives anonymous callers sys.Anonymous and sys.Everyone only', () => {
    expect(composeRoles({ principal: null, wsid: WSID, memberRoles: ['x.Admin'] })).toEqual([
      'sys.Anonymous',
      'sys.Everyone',
    ]);
  });
  it('adds owner roles only where the profile owns the workspace', () => {
    expect(owner).toContain('sys.WorkspaceOwner');
    expect(authenticated).not.toContain('sys.WorkspaceOwner');
    expect(composeRoles({ principal: user('user', WSID), wsid: WSID })).toContain('sys.ProfileOwner');
  });
  it('strips sys roles from API tokens and sys.System from membership', () => {
    expect(apiToken(['sys.System', 'sys.WorkspaceOwner', 'shop.ApiReader'])).toEqual([
      'sys.AuthenticatedUser',
      'sys.Everyone',
      'shop.ApiReader',
    ]);
    expect(member('sys.System')).not.toContain('sys.System');
    expect(system).toContain('sys.System');
  });
});
