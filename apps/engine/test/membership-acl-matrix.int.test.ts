// The ACL matrix over the shop example's roles (examples/shop itself: WASM extensions plus its dev
// builtins), over real HTTP. Every GRANT/REVOKE of shop.ShopWS allows and denies what it says:
//   GRANT Clerk TO Manager                              → Manager can do all Clerk can
//   GRANT SELECT, INSERT, UPDATE ON TABLE Cart TO Clerk  + REVOKE UPDATE ON TABLE Cart FROM Clerk
//   GRANT ALL ON TABLE Product TO Clerk                  (ALL on a table = SELECT, INSERT, UPDATE)
//   GRANT ACTIVATE, DEACTIVATE ON TABLE Product TO Manager
//   GRANT INSERT ON ALL TABLES WITH TAG CatalogTag TO Manager   (Product, Customer)
//   GRANT SELECT(Sku, Price) ON TABLE Product TO ApiReader
//   GRANT EXECUTE ON COMMAND PlaceOrder TO Clerk
//   GRANT EXECUTE ON ALL QUERIES WITH TAG SalesTag TO Manager  (SalesReport)
//   GRANT SELECT ON VIEW DailySales TO Manager
//   GRANT EXECUTE ON QUERY Ping TO sys.Everyone
// Principals: members with Clerk / Manager / ApiReader (through invites), ApiReader as an API token,
// a plain member (no role), the owner (the shop grants sys.WorkspaceOwner nothing), anonymous, and
// a principal of another app. Memberships are set up through the invite routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOP_DIR, startTestEngine, unique } from './support/harness.js';
import type { ApiClient, Reply, TestEngine } from './support/harness.js';
import { FIELD_ACL_DIR, joinWorkspace } from './support/membership.js';

type Who = 'clerk' | 'manager' | 'apiReader' | 'apiToken' | 'plain' | 'owner' | 'anonymous' | 'otherApp';
type Outcome = 'ok' | 401 | 403;

const WHO: readonly Who[] = ['clerk', 'manager', 'apiReader', 'apiToken', 'plain', 'owner', 'anonymous', 'otherApp'];

interface Fixture {
  wsid: number;
  customerId: number;
  cartId: number;
  /** A fresh active Product (for update/deactivate) or a deactivated one (for activate). */
  newProduct(active: boolean): Promise<number>;
  productId: number;
}

interface Operation {
  readonly name: string;
  /** Principals for which the operation succeeds (2xx); anonymous/other app fail with 401, others 403. */
  readonly allowed: readonly Who[];
  run(c: ApiClient, f: Fixture): Promise<Reply>;
  /** Extra check of a successful reply. */
  check?(who: Who, reply: Reply): void;
}

const SHOP = { ShopName: 'Matrix', Country: 'DE' };
const READERS: readonly Who[] = ['clerk', 'manager', 'apiReader', 'apiToken'];
const CLERKS: readonly Who[] = ['clerk', 'manager'];

function product(): Record<string, unknown> {
  return { Title: 'Tea', Sku: `s-${unique()}`, Price: 300, Status: 1 };
}

function ownFields(row: Record<string, unknown>): string[] {
  return Object.keys(row).filter((k) => !k.startsWith('sys.'));
}

const OPERATIONS: readonly Operation[] = [
  {
    name: 'select Product (GET doc)',
    allowed: READERS,
    run: (c, f) => c.get(`/workspaces/${f.wsid}/docs/shop.Product/${f.productId}`),
    check: (who, r) =>
      expect(ownFields(r.json)).toEqual(
        who === 'apiReader' || who === 'apiToken' ? ['Sku', 'Price'] : ['Title', 'Sku', 'Price', 'Status'],
      ),
  },
  {
    name: 'select Product (GET cdocs, SELECT(Sku, Price) for ApiReader)',
    allowed: READERS,
    run: (c, f) => c.get(`/workspaces/${f.wsid}/cdocs/shop.Product?limit=5`),
    check: (who, r) => {
      for (const row of r.json['results'] as Record<string, unknown>[]) {
        if (who === 'apiReader' || who === 'apiToken') expect(ownFields(row)).toEqual(['Sku', 'Price']);
        else expect(ownFields(row)).toContain('Title');
      }
    },
  },
  {
    name: 'insert Product',
    allowed: CLERKS,
    run: (c, f) => c.post(`/workspaces/${f.wsid}/docs/shop.Product`, product()),
  },
  {
    name: 'update Product',
    allowed: CLERKS,
    run: async (c, f) => c.patch(`/workspaces/${f.wsid}/docs/shop.Product/${await f.newProduct(true)}`, { Price: 301 }),
  },
  {
    name: 'deactivate Product (ALL = select, insert, update; ACTIVATE/DEACTIVATE granted to Manager)',
    allowed: ['manager'],
    run: async (c, f) => c.delete(`/workspaces/${f.wsid}/docs/shop.Product/${await f.newProduct(true)}`),
  },
  {
    name: 'activate Product',
    allowed: ['manager'],
    run: async (c, f) =>
      c.patch(`/workspaces/${f.wsid}/docs/shop.Product/${await f.newProduct(false)}`, { 'sys.IsActive': true }),
  },
  {
    name: 'select Cart',
    allowed: CLERKS,
    run: (c, f) => c.get(`/workspaces/${f.wsid}/docs/shop.Cart/${f.cartId}`),
  },
  {
    name: 'insert Cart',
    allowed: CLERKS,
    run: (c, f) => c.post(`/workspaces/${f.wsid}/docs/shop.Cart`, { CustomerID: f.customerId }),
  },
  {
    name: 'update Cart (REVOKE UPDATE … FROM Clerk, inherited by Manager)',
    allowed: [],
    // The value is unchanged on purpose: a no-op update is still checked (never a silent 200).
    run: (c, f) => c.patch(`/workspaces/${f.wsid}/docs/shop.Cart/${f.cartId}`, { CustomerID: f.customerId }),
  },
  {
    name: 'deactivate Cart',
    allowed: [],
    run: (c, f) => c.delete(`/workspaces/${f.wsid}/docs/shop.Cart/${f.cartId}`),
  },
  {
    name: 'select Customer',
    allowed: [],
    run: (c, f) => c.get(`/workspaces/${f.wsid}/docs/shop.Customer/${f.customerId}`),
  },
  {
    name: 'insert Customer (INSERT ON ALL TABLES WITH TAG CatalogTag)',
    allowed: ['manager'],
    run: (c, f) =>
      c.post(`/workspaces/${f.wsid}/docs/shop.Customer`, {
        Code: `c${unique()}`.slice(0, 20),
        Email: 'a@b.c',
        City: 'X',
      }),
  },
  {
    name: 'select view DailySales',
    allowed: ['manager'],
    run: (c, f) =>
      c.get(`/workspaces/${f.wsid}/views/shop.DailySales?where=${encodeURIComponent('{"Year":2024,"Month":1}')}`),
  },
  {
    name: 'execute query SalesReport (WITH TAG SalesTag)',
    allowed: ['manager'],
    run: (c, f) => c.get(`/workspaces/${f.wsid}/queries/shop.SalesReport?args=${encodeURIComponent('{"Year":2024}')}`),
  },
  {
    name: 'execute query Ping (sys.Everyone)',
    allowed: ['clerk', 'manager', 'apiReader', 'apiToken', 'plain', 'owner', 'anonymous'],
    run: (c, f) => c.get(`/workspaces/${f.wsid}/queries/shop.Ping`),
  },
  {
    name: 'execute command PlaceOrder',
    allowed: CLERKS,
    run: (c, f) =>
      c.post(`/workspaces/${f.wsid}/commands/shop.PlaceOrder`, {
        args: { CustomerID: f.customerId, PlacedAt: Date.UTC(2024, 0, 5), Lines: [{ ProductID: f.productId, Qty: 2 }] },
        unloggedArgs: { CardToken: 'tok_matrix' },
      }),
    check: (_who, r) => expect(r.json['result']).toEqual({ OrderNo: expect.any(Number) as unknown }),
  },
  {
    name: 'execute command CloseShop (no grant)',
    allowed: [],
    run: (c, f) => c.post(`/workspaces/${f.wsid}/commands/shop.CloseShop`, {}),
  },
];

function expected(op: Operation, who: Who): Outcome {
  if (op.allowed.includes(who)) return 'ok';
  return who === 'anonymous' || who === 'otherApp' ? 401 : 403;
}

const ROWS = OPERATIONS.flatMap((op) => WHO.map((who) => ({ op, who, outcome: expected(op, who) })));

describe('ACL matrix over the shop roles', () => {
  let engine: TestEngine;
  let fixture: Fixture;
  const clients = new Map<Who, ApiClient>();

  beforeAll(async () => {
    engine = await startTestEngine({ storage: 'mem', apps: [SHOP_DIR, FIELD_ACL_DIR] });
    const owner = await engine.client('shop');
    const wsid = await owner.createWorkspace('shop.ShopWS', SHOP);
    const members: [Who, string[]][] = [
      ['clerk', ['shop.Clerk']],
      ['manager', ['shop.Manager']],
      ['apiReader', ['shop.ApiReader']],
      ['plain', []],
    ];
    for (const [who, roles] of members) {
      const c = await engine.client('shop');
      await joinWorkspace(owner, c, wsid, roles);
      clients.set(who, c);
    }
    const token = await owner.post(`/workspaces/${wsid}/api-tokens`, { name: 'matrix', roles: ['shop.ApiReader'] });
    expect(token.status, token.text).toBe(201);
    clients.set('apiToken', owner.withToken(token.json['token'] as string));
    clients.set('owner', owner);
    clients.set('anonymous', owner.withToken(null));
    const facl = await engine.client('facl');
    clients.set('otherApp', owner.withToken(facl.token));

    const manager = clients.get('manager')!;
    const created = async (r: Promise<Reply>): Promise<number> => {
      const res = await r;
      expect(res.status, res.text).toBe(201);
      return Object.values(res.json['newIDs'] as Record<string, number>)[0]!;
    };
    const customerId = await created(
      manager.post(`/workspaces/${wsid}/docs/shop.Customer`, { Code: 'C1', Email: 'c@d.e', City: 'Y' }),
    );
    const productId = await created(manager.post(`/workspaces/${wsid}/docs/shop.Product`, product()));
    const cartId = await created(manager.post(`/workspaces/${wsid}/docs/shop.Cart`, { CustomerID: customerId }));
    fixture = {
      wsid,
      customerId,
      cartId,
      productId,
      async newProduct(active) {
        const id = await created(manager.post(`/workspaces/${wsid}/docs/shop.Product`, product()));
        if (!active) expect((await manager.delete(`/workspaces/${wsid}/docs/shop.Product/${id}`)).status).toBe(200);
        return id;
      },
    };
  });
  afterAll(async () => {
    await engine.close();
  });

  it('has at least 80 rows', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(80);
  });

  it.each(ROWS.map((r) => [r.op.name, r.who, r.outcome, r] as const))(
    '%s as %s → %s',
    async (_n, who, outcome, row) => {
      const reply = await row.op.run(clients.get(who)!, fixture);
      if (outcome === 'ok') {
        expect(reply.status, reply.text).toBeGreaterThanOrEqual(200);
        expect(reply.status, reply.text).toBeLessThan(300);
        row.op.check?.(who, reply);
      } else {
        expect(reply.status, reply.text).toBe(outcome);
      }
    },
  );
});
