/**
 * The shop's `EXTENSION ENGINE BUILTIN` extensions (dev mode only; the WASM ones are AssemblyScript
 * in ./shop/). They stand in for what a production app would do in WASM or leave to the platform:
 * `NotifyCustomer` and `NightlyCleanup` declare `sys.Http`/`sys.SendMail`, which no host serves yet,
 * so they only log.
 */
import { defineBuiltins } from '@stoa/engine';

/** A stable small hash of a customer code (the CustomerByCode partition key). */
function codeHash(code: string): number {
  let h = 0;
  for (const ch of code) h = (h * 31 + ch.charCodeAt(0)) % 1000;
  return h;
}

export default defineBuiltins({
  'shop.CloseShop': (ctx) => ctx.log.info('shop closed'),
  'shop.Ping': () => undefined,
  /** Keeps CustomerByCode: one row per customer code. */
  'shop.IndexCustomer': (ctx) => {
    for (const cud of ctx.event?.cuds ?? []) {
      const record = cud.record ?? cud.fields;
      const code = record['Code'];
      if (cud.table !== 'shop.Customer' || typeof code !== 'string') continue;
      ctx.intents.putView('shop.CustomerByCode', { CodeHash: codeHash(code), Code: code, CustomerID: cud.id });
    }
  },
  'shop.NotifyCustomer': (ctx) => ctx.log.info('notification skipped: sys.SendMail is not available yet'),
  'shop.NightlyCleanup': (ctx) => ctx.log.info('nightly cleanup'),
});
