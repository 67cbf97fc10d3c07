import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { KeyRing, createMemoryKeyStore } from './keys.js';
import { createAuthenticator, issuePrincipalToken } from './tokens.js';

const APP = 'acme/shop';
const DAY = 24 * 3600;

function clock(start = Date.UTC(2030, 0, 1)): { now: () => number; advance: (seconds: number) => void } {
  let t = start;
  return {
    now: () => t,
    advance: (seconds) => {
      t += seconds * 1000;
    },
  };
}

async function issue(ring: KeyRing, ttlSeconds = 3600): Promise<string> {
  const { token } = await issuePrincipalToken(ring, {
    app: APP,
    subject: 'alice',
    kind: 'user',
    profileWSID: 7,
    ttlSeconds,
  });
  return token;
}

function kidOf(token: string): unknown {
  const header = token.split('.')[0] ?? '';
  return (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid?: unknown }).kid;
}

describe('KeyRing', () => {
  it('creates one key on first open, saves it, and reloads the same key', async () => {
    const store = createMemoryKeyStore();
    const ring = await KeyRing.open(store);
    expect(store.json).toBeDefined();
    expect(ring.verificationKids()).toHaveLength(1);
    const token = await issue(ring);

    const reopened = await KeyRing.open(store);
    expect(reopened.signingKid).toBe(ring.signingKid);
    const principal = await createAuthenticator(reopened).authenticate(APP, token);
    expect(principal.subject).toBe('alice');
  });

  it('uses the RFC 7638 thumbprint as kid and serves only public keys in the JWKS', async () => {
    const ring = await KeyRing.open(createMemoryKeyStore());
    const { keys } = ring.jwks();
    expect(keys).toHaveLength(1);
    const [jwk] = keys;
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: ring.signingKid });
    expect(jwk).not.toHaveProperty('d');
    expect(ring.signingKid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never leaks private key material through JSON.stringify, inspect or toString', async () => {
    const store = createMemoryKeyStore();
    const ring = await KeyRing.open(store);
    const persisted = JSON.parse(store.json ?? '{}') as { keys: { privateJwk: { d: string } }[] };
    const d = persisted.keys[0]?.privateJwk.d;
    expect(d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const text of [
      JSON.stringify(ring),
      inspect(ring, { depth: 10, showHidden: true }),
      String(ring),
      JSON.stringify(ring.jwks()),
    ]) {
      expect(text).not.toContain(d);
    }
    expect(ring.serialize()).toContain(d);
  });

  it('rejects a malformed stored ring without quoting it', async () => {
    const secret = 'super-secret-material';
    await expect(
      KeyRing.open(createMemoryKeyStore(JSON.stringify({ version: 1, keys: [{ kid: secret }] }))),
    ).rejects.toThrow(/^key ring: the stored key ring is malformed$/);
    await expect(KeyRing.open(createMemoryKeyStore(`{"d":"${secret}"`))).rejects.toThrow(
      /^key ring: the stored key ring is not valid JSON$/,
    );
  });

  it('rotates without downtime: old tokens verify, new tokens carry the new kid', async () => {
    const c = clock();
    const store = createMemoryKeyStore();
    const ring = await KeyRing.open(store, { now: c.now });
    const auth = createAuthenticator(ring);
    const oldKid = ring.signingKid;
    const oldToken = await issue(ring);

    c.advance(60);
    const newKid = await ring.rotate();
    expect(newKid).not.toBe(oldKid);
    expect(ring.signingKid).toBe(newKid);
    const newToken = await issue(ring);
    expect(kidOf(oldToken)).toBe(oldKid);
    expect(kidOf(newToken)).toBe(newKid);
    await expect(auth.authenticate(APP, oldToken)).resolves.toMatchObject({ subject: 'alice' });
    await expect(auth.authenticate(APP, newToken)).resolves.toMatchObject({ subject: 'alice' });
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([newKid, oldKid]);

    // Another node opening the same store sees the rotation.
    const other = await KeyRing.open(store, { now: c.now });
    expect(other.signingKid).toBe(newKid);
    expect(other.verificationKids()).toEqual([newKid, oldKid]);
  });

  it('drops a retired key once its longest-lived token has expired', async () => {
    const c = clock();
    const store = createMemoryKeyStore();
    const ring = await KeyRing.open(store, { now: c.now, maxTokenLifetimeSeconds: 2 * DAY });
    const oldKid = ring.signingKid;
    const longToken = await issue(ring, 2 * DAY);
    await ring.rotate();
    const auth = createAuthenticator(ring);

    c.advance(2 * DAY - 60);
    await expect(auth.authenticate(APP, longToken)).resolves.toMatchObject({ subject: 'alice' });
    expect(ring.verificationKids()).toContain(oldKid);

    c.advance(120);
    expect(ring.verificationKids()).not.toContain(oldKid);
    expect(ring.jwks().keys.map((k) => k.kid)).not.toContain(oldKid);
    await expect(auth.authenticate(APP, longToken)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

    // The next open prunes it from the store too.
    await KeyRing.open(store, { now: c.now, maxTokenLifetimeSeconds: 2 * DAY });
    expect(store.json).not.toContain(oldKid);
    await ring.rotate();
    expect(ring.toJSON().keys.map((k) => k.kid)).not.toContain(oldKid);
  });

  it('serialises concurrent rotations', async () => {
    const ring = await KeyRing.open(createMemoryKeyStore());
    const kids = await Promise.all([ring.rotate(), ring.rotate(), ring.rotate()]);
    expect(new Set(kids).size).toBe(3);
    expect(ring.signingKid).toBe(kids[2]);
    expect(ring.verificationKids()).toHaveLength(4);
  });

  it('refuses tokens outliving the ring’s max token lifetime', async () => {
    const ring = await KeyRing.open(createMemoryKeyStore(), { maxTokenLifetimeSeconds: 3600 });
    await expect(issue(ring, 3601)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
