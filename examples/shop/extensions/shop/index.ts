// The shop's WASM extensions in AssemblyScript (EXTENSION ENGINE WASM in schema/shop.vsql). The
// package's BUILTIN extensions (CloseShop, Ping, IndexCustomer, NotifyCustomer, NightlyCleanup)
// are dev-mode TypeScript and not part of this module.
import {
  ObjBuilder,
  arg,
  getRecord,
  putView,
  readView,
  respond,
  result,
  secret,
  unloggedArg,
} from '@stoa/extension-sdk';

const DAILY_SALES = 'shop.DailySales';
const PRODUCT = 'shop.Product';
/** Card tokens must start with this, unless the app secret `CardTokenPrefix` says otherwise. */
const DEFAULT_TOKEN_PREFIX = 'tok_';

/**
 * Checks the order and the payment token (unlogged: never stored in clear) and answers the order
 * number, which is the order document's id. Sales figures are kept by ApplySales from the event.
 */
export function PlaceOrder(): void {
  const order = arg();
  const payment = unloggedArg();
  if (order === null || payment === null) {
    respond(400, 'PlaceOrder needs the order and the payment info');
    return;
  }
  const lines = order.getArray('Lines');
  if (lines === null || lines.length == 0) {
    respond(400, 'an order needs at least one line');
    return;
  }
  const configured = secret('CardTokenPrefix');
  const prefix = configured === null ? DEFAULT_TOKEN_PREFIX : configured;
  if (!payment.getString('CardToken').startsWith(prefix)) {
    respond(400, 'the card token was declined');
    return;
  }
  result(new ObjBuilder().i64('OrderNo', order.getI64('sys.ID')));
}

/** Sales per day of a month (or of every month of the year when Month is omitted), summed over products. */
export function SalesReport(): void {
  const params = arg();
  if (params === null) return;
  const year = params.getI32('Year');
  const onlyMonth = params.isNull('Month') ? 0 : params.getI32('Month');
  if (onlyMonth < 0 || onlyMonth > 12) {
    respond(400, `Month must be 1..12, not ${onlyMonth}`);
    return;
  }
  const totals = new Map<i32, i64>();
  const days: Array<i32> = [];
  for (let month = onlyMonth == 0 ? 1 : onlyMonth; month <= (onlyMonth == 0 ? 12 : onlyMonth); month++) {
    const rows = readView(DAILY_SALES, new ObjBuilder().i32('Year', year).i32('Month', month));
    for (let row = rows.next(); row !== null; row = rows.next()) {
      // Days of different months must not add up: key them by month and day.
      const day = month * 100 + row.getI32('Day');
      if (!totals.has(day)) {
        totals.set(day, 0);
        days.push(day);
      }
      totals.set(day, totals.get(day) + row.getI64('Total'));
    }
  }
  for (let i = 0; i < days.length; i++) {
    result(new ObjBuilder().i32('Day', days[i] % 100).i64('Total', totals.get(days[i])));
  }
}

/** After PlaceOrder: the order's quantity and value per product on its day (price from the product). */
export function ApplySales(): void {
  const order = arg();
  if (order === null) return;
  const placed = new Date(order.getI64('PlacedAt'));
  const lines = order.getArray('Lines');
  if (lines === null) return;
  const qty = new Map<i64, i64>();
  const total = new Map<i64, f64>();
  const products: Array<i64> = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].asObj();
    const productId = line.getI64('ProductID');
    const product = getRecord(productId);
    const price = product === null || product.getString('sys.QName') != PRODUCT ? 0 : product.getI64('Price');
    const discount = line.isNull('Discount') ? 0.0 : line.getF64('Discount');
    if (!qty.has(productId)) {
      qty.set(productId, 0);
      total.set(productId, 0);
      products.push(productId);
    }
    const n = line.getI64('Qty');
    qty.set(productId, qty.get(productId) + n);
    total.set(productId, total.get(productId) + <f64>(n * price) * (1.0 - discount));
  }
  for (let i = 0; i < products.length; i++) {
    const id = products[i];
    putView(
      DAILY_SALES,
      new ObjBuilder()
        .i32('Year', placed.getUTCFullYear())
        .i32('Month', placed.getUTCMonth() + 1)
        .i32('Day', placed.getUTCDate())
        .i64('ProductID', id)
        .i64('Qty', qty.get(id))
        .i64('Total', <i64>Math.round(total.get(id))),
    );
  }
}
