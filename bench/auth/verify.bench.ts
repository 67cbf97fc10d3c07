// Token verification throughput of @stoa/auth (jose EdDSA via WebCrypto), plus ACL evaluation:
//   npx tsx bench/auth/verify.bench.ts [seconds-per-case]
// Prints ops/s for sequential verification (one await at a time, the per-request path) and for
// 64 verifications in flight (what a busy node sees), with 1 key and with 3 keys in the ring
// (tokens spread over all three kids), with the verification cache off (signature checked every
// time) and on (a client reusing its token). Not run by `npm test`.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KeyRing,
  createAclEvaluator,
  createAuthenticator,
  createMemoryKeyStore,
  issuePrincipalToken,
} from '@stoa/auth';
import { compile } from '@stoa/vsql';

const seconds = Math.max(0.2, Math.min(30, Number(process.argv[2] ?? 2) || 2));
const APP = 'acme/shop';
const IN_FLIGHT = 64;

async function ringWithKeys(count: number): Promise<{ ring: KeyRing; tokens: string[] }> {
  const ring = await KeyRing.open(createMemoryKeyStore());
  const tokens: string[] = [];
  for (let k = 0; k < count; k++) {
    if (k > 0) await ring.rotate();
    for (let i = 0; i < 16; i++) {
      const { token } = await issuePrincipalToken(ring, {
        app: APP,
        subject: `user${i}`,
        kind: 'user',
        profileWSID: 1000 + i,
      });
      tokens.push(token);
    }
  }
  return { ring, tokens };
}

function report(label: string, ops: number, elapsedMs: number): void {
  const perSec = (ops / elapsedMs) * 1000;
  console.log(
    `${label.padEnd(46)} ${Math.round(perSec).toLocaleString('en-US').padStart(10)} ops/s  (${((1000 * 1000) / perSec).toFixed(1)} µs/op, ${ops} ops)`,
  );
}

async function benchVerify(keys: number): Promise<void> {
  const { ring, tokens } = await ringWithKeys(keys);
  // Cache off: every call checks the signature (first sight of a token).
  const auth = createAuthenticator(ring, { cacheSize: 0 });
  for (let i = 0; i < 200; i++) await auth.authenticate(APP, tokens[i % tokens.length] as string);

  let ops = 0;
  let t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  while (performance.now() < deadline) {
    await auth.authenticate(APP, tokens[ops % tokens.length] as string);
    ops++;
  }
  report(`verify, ${keys} key(s), sequential`, ops, performance.now() - t0);

  ops = 0;
  t0 = performance.now();
  const deadline2 = t0 + seconds * 1000;
  while (performance.now() < deadline2) {
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < IN_FLIGHT; i++) batch.push(auth.authenticate(APP, tokens[(ops + i) % tokens.length] as string));
    await Promise.all(batch);
    ops += IN_FLIGHT;
  }
  report(`verify, ${keys} key(s), ${IN_FLIGHT} in flight`, ops, performance.now() - t0);

  const cached = createAuthenticator(ring);
  ops = 0;
  t0 = performance.now();
  const deadline3 = t0 + seconds * 1000;
  while (performance.now() < deadline3) {
    await cached.authenticate(APP, tokens[ops % tokens.length] as string);
    ops++;
  }
  report(`verify, ${keys} key(s), cache hit (token reused)`, ops, performance.now() - t0);
}

async function benchIssue(): Promise<void> {
  const ring = await KeyRing.open(createMemoryKeyStore());
  let ops = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  while (performance.now() < deadline) {
    await issuePrincipalToken(ring, { app: APP, subject: 'alice', kind: 'user', profileWSID: 1 });
    ops++;
  }
  report('issue, sequential', ops, performance.now() - t0);
}

function benchAcl(): void {
  const source = readFileSync(join(import.meta.dirname, '../../examples/shop/schema/shop.vsql'), 'utf8');
  const compiled = compile([{ path: 'schema/shop.vsql', source }]);
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join('\n'));
  const acl = createAclEvaluator(compiled.appdef);
  const requests = [
    { roles: ['sys.AuthenticatedUser', 'sys.Everyone', 'shop.Manager'], privilege: 'update', resource: 'shop.Cart' },
    {
      roles: ['sys.AuthenticatedUser', 'sys.Everyone', 'shop.ApiReader'],
      privilege: 'select',
      resource: 'shop.Product',
      fields: ['Sku', 'Price'],
    },
    { roles: ['sys.Anonymous', 'sys.Everyone'], privilege: 'execute', resource: 'shop.Ping' },
    {
      roles: ['sys.AuthenticatedUser', 'sys.Everyone', 'shop.Clerk'],
      privilege: 'execute',
      resource: 'shop.PlaceOrder',
    },
  ] as const;
  let ops = 0;
  let allowed = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 1000; i++) {
      const r = requests[i % requests.length]!;
      if (acl.evaluate({ workspace: 'shop.ShopWS', ...r }).allowed) allowed++;
    }
    ops += 1000;
  }
  report(`ACL evaluate (shop, mixed; ${allowed > 0 ? 'ok' : 'none allowed!'})`, ops, performance.now() - t0);
}

console.log(`node ${process.version}, ${seconds}s per case`);
await benchVerify(1);
await benchVerify(3);
await benchIssue();
benchAcl();
