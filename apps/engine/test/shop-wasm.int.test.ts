// examples/shop's AssemblyScript extensions over real HTTP: PlaceOrder (ODoc argument, unlogged
// payment info, app secret), the async projector ApplySales (record reads, view intents) and the
// SalesReport query (view prefix reads), on LMDB.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHOP_DIR, eventually, expectError, startTestEngine, unique } from './support/harness.js';
import type { ApiClient, TestEngine } from './support/harness.js';
import { joinWorkspace } from './support/membership.js';

let engine: TestEngine;
let manager: ApiClient;
let wsid: number;
let tea: number;
let cake: number;
let customer: number;

async function created(
  reply: Promise<{ status: number; text: string; json: Record<string, unknown> }>,
): Promise<number> {
  const res = await reply;
  expect(res.status, res.text).toBe(201);
  return Object.values(res.json['newIDs'] as Record<string, number>)[0]!;
}

beforeAll(async () => {
  engine = await startTestEngine({ storage: 'lmdb', apps: [SHOP_DIR] });
  const owner = await engine.client('shop');
  wsid = await owner.createWorkspace('shop.ShopWS', { ShopName: 'Corner', Country: 'DE' });
  manager = await engine.client('shop');
  await joinWorkspace(owner, manager, wsid, ['shop.Manager']);
  const product = (Title: string, Price: number) => ({ Title, Sku: `s-${unique()}`, Price, Status: 1 });
  tea = await created(manager.post(`/workspaces/${wsid}/docs/shop.Product`, product('Tea', 300)));
  cake = await created(manager.post(`/workspaces/${wsid}/docs/shop.Product`, product('Cake', 1000)));
  customer = await created(
    manager.post(`/workspaces/${wsid}/docs/shop.Customer`, { Code: `C${unique()}`, Email: 'c@d.e', City: 'Y' }),
  );
}, 120_000);

afterAll(async () => {
  await engine?.close();
});

const placeOrder = (lines: Record<string, unknown>[], cardToken: string, day = 5) =>
  manager.post(`/workspaces/${wsid}/commands/shop.PlaceOrder`, {
    args: { CustomerID: customer, PlacedAt: Date.UTC(2024, 0, day, 12), Lines: lines },
    unloggedArgs: { CardToken: cardToken },
  });

const report = (args: Record<string, unknown>) =>
  manager.get(`/workspaces/${wsid}/queries/shop.SalesReport?args=${encodeURIComponent(JSON.stringify(args))}`);

describe('examples/shop WASM extensions', () => {
  it('places an order, projects its sales and reports them per day', async () => {
    const res = await placeOrder(
      [
        { ProductID: tea, Qty: 2 },
        { ProductID: cake, Qty: 1, Discount: 0.5 },
        { ProductID: tea, Qty: 1 },
      ],
      'tok_visa',
    );
    expect(res.status, res.text).toBe(200);
    const orderNo = (res.json['result'] as Record<string, unknown>)['OrderNo'];
    expect(orderNo).toEqual(expect.any(Number));
    expect(orderNo).toBeGreaterThan(0);

    // ApplySales is async: 3 × 300 (tea) + 1000 × 0.5 (cake) on January 5th.
    const monthly = await eventually(
      () => report({ Year: 2024, Month: 1 }),
      (r) => (r.json['results'] as unknown[] | undefined)?.length === 1,
    );
    expect(monthly.status, monthly.text).toBe(200);
    expect(monthly.json['results']).toEqual([{ Day: 5, Total: 1400 }]);
    expect((await report({ Year: 2024 })).json['results']).toEqual([{ Day: 5, Total: 1400 }]);
    expect((await report({ Year: 2023 })).json['results']).toEqual([]);
  });

  it('answers the extension’s own 400s', async () => {
    expectError(await placeOrder([{ ProductID: tea, Qty: 1 }], 'stolen'), 400, {
      message: 'the card token was declined',
      qname: 'shop.PlaceOrder',
    });
    expectError(await report({ Year: 2024, Month: 13 }), 400, { message: 'Month must be 1..12' });
  });

  it('reads the app secret CardTokenPrefix (sys.AppSecret) when it is set', async () => {
    const dir = join(engine.dataDir, 'secrets', 'local');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'shop.json'), JSON.stringify({ CardTokenPrefix: 'card_' }));
    try {
      expectError(await placeOrder([{ ProductID: tea, Qty: 1 }], 'tok_visa', 6), 400, { message: 'declined' });
      expect((await placeOrder([{ ProductID: tea, Qty: 1 }], 'card_amex', 6)).status).toBe(200);
    } finally {
      rmSync(join(dir, 'shop.json'));
    }
  });
});
