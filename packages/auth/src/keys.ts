import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { z } from 'zod';

/**
 * Persistence of the ring: the engine keeps the JSON in its own sys storage. The JSON holds
 * private keys, so a store must never log it or hand it to clients.
 */
export interface KeyStore {
  load(): Promise<string | undefined>;
  save(json: string): Promise<void>;
}

export interface KeyRingOptions {
  /** Milliseconds since epoch; injectable so tests can travel in time. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Longest lifetime of a token signed by the ring (default 7 days). A retired key keeps verifying
   * this long after its retirement, so every token it signed can still be checked until it expires.
   */
  readonly maxTokenLifetimeSeconds?: number;
}

/** A public JWK as served at `/.well-known/jwks.json`. */
// A type alias (not an interface) so it is assignable to `Record<string, unknown>`.
export type PublicJwk = JWK & {
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
};

export interface Jwks {
  readonly keys: PublicJwk[];
}

export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600;
export const SIGNING_ALGORITHM = 'EdDSA';

const FORMAT_VERSION = 1;

const persistedKeySchema = z.object({
  kid: z.string().min(1),
  createdAt: z.number().int().nonnegative(),
  retiredAt: z.number().int().nonnegative().nullable(),
  privateJwk: z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), d: z.string() }),
});
const persistedRingSchema = z.object({
  version: z.literal(FORMAT_VERSION),
  keys: z.array(persistedKeySchema),
});
type PersistedKey = z.infer<typeof persistedKeySchema>;

interface RingKey {
  readonly kid: string;
  readonly createdAt: number;
  retiredAt: number | null;
  /** Kept only so `serialize()` can persist the key; the CryptoKeys below are not extractable. */
  readonly privateJwk: PersistedKey['privateJwk'];
  readonly publicJwk: PublicJwk;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

async function loadKey(persisted: PersistedKey): Promise<RingKey> {
  const { x, d, kty, crv } = persisted.privateJwk;
  const publicJwk: PublicJwk = { kty, crv, x, kid: persisted.kid, alg: SIGNING_ALGORITHM, use: 'sig' };
  const privateKey = await importJWK({ kty, crv, x, d }, SIGNING_ALGORITHM, { extractable: false });
  const publicKey = await importJWK({ kty, crv, x }, SIGNING_ALGORITHM, { extractable: false });
  if (privateKey instanceof Uint8Array || publicKey instanceof Uint8Array) {
    throw new Error('key ring: Ed25519 JWK imported as a symmetric key');
  }
  return {
    kid: persisted.kid,
    createdAt: persisted.createdAt,
    retiredAt: persisted.retiredAt,
    privateJwk: persisted.privateJwk,
    publicJwk,
    privateKey,
    publicKey,
  };
}

async function generateKey(createdAt: number): Promise<RingKey> {
  const pair = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(pair.privateKey);
  if (typeof jwk.x !== 'string' || typeof jwk.d !== 'string') throw new Error('key ring: unexpected JWK shape');
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, 'sha256');
  return loadKey({ kid, createdAt, retiredAt: null, privateJwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d } });
}

/**
 * The node's Ed25519 signing keys. Exactly one key signs (the newest unretired one); retired keys
 * keep verifying until `retiredAt + maxTokenLifetime`, so rotation needs no downtime. Private
 * material lives in `#` fields (invisible to `util.inspect`) and leaves only through `serialize()`.
 */
export class KeyRing {
  readonly #store: KeyStore;
  readonly #now: () => number;
  readonly #maxTokenLifetimeMs: number;
  #keys: RingKey[];
  #rotating: Promise<void> = Promise.resolve();

  private constructor(store: KeyStore, keys: RingKey[], now: () => number, maxTokenLifetimeSeconds: number) {
    this.#store = store;
    this.#keys = keys;
    this.#now = now;
    this.#maxTokenLifetimeMs = maxTokenLifetimeSeconds * 1000;
  }

  /** Loads the persisted ring, or creates (and saves) one with a single fresh key. */
  static async open(store: KeyStore, options: KeyRingOptions = {}): Promise<KeyRing> {
    const now = options.now ?? Date.now;
    const maxLifetime = options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    if (!Number.isInteger(maxLifetime) || maxLifetime <= 0) {
      throw new Error('key ring: maxTokenLifetimeSeconds must be a positive integer');
    }
    const json = await store.load();
    let keys: RingKey[] = [];
    if (json !== undefined) {
      // Messages must not quote the input (JSON.parse's do): it contains private keys.
      let raw: unknown;
      try {
        raw = JSON.parse(json);
      } catch {
        throw new Error('key ring: the stored key ring is not valid JSON');
      }
      const parsed = persistedRingSchema.safeParse(raw);
      if (!parsed.success) throw new Error('key ring: the stored key ring is malformed');
      keys = await Promise.all(parsed.data.keys.map(loadKey));
    }
    const ring = new KeyRing(store, keys, now, maxLifetime);
    const pruned = ring.#prune();
    if (ring.#signing() === undefined) {
      ring.#keys.push(await generateKey(now()));
      await ring.#save();
    } else if (pruned) {
      await ring.#save();
    }
    return ring;
  }

  get maxTokenLifetimeSeconds(): number {
    return this.#maxTokenLifetimeMs / 1000;
  }

  /** The ring's clock (milliseconds since epoch); token issue and verification use it too. */
  now(): number {
    return this.#now();
  }

  /** kid of the key that signs new tokens. */
  get signingKid(): string {
    return this.#requireSigning().kid;
  }

  /** The current signing key (not extractable). */
  signingKey(): { readonly kid: string; readonly key: CryptoKey } {
    const key = this.#requireSigning();
    return { kid: key.kid, key: key.privateKey };
  }

  /** The public key for `kid` if it may still verify tokens now, else undefined. */
  verificationKey(kid: string): CryptoKey | undefined {
    const now = this.#now();
    for (const key of this.#keys) {
      if (key.kid === kid) return this.#verifies(key, now) ? key.publicKey : undefined;
    }
    return undefined;
  }

  /** kids of every key that may verify tokens now, signing key first. */
  verificationKids(): string[] {
    const now = this.#now();
    return this.#ordered()
      .filter((k) => this.#verifies(k, now))
      .map((k) => k.kid);
  }

  /** Public keys still valid for verification, for `/.well-known/jwks.json`. */
  jwks(): Jwks {
    const now = this.#now();
    return {
      keys: this.#ordered()
        .filter((k) => this.#verifies(k, now))
        .map((k) => ({ ...k.publicJwk })),
    };
  }

  /**
   * A new key becomes the signing key; the previous ones are retired (they keep verifying) and
   * keys past `retiredAt + maxTokenLifetime` are dropped. Concurrent calls run one after another.
   */
  async rotate(): Promise<string> {
    const run = this.#rotating.then(async () => {
      const now = this.#now();
      const fresh = await generateKey(now);
      for (const key of this.#keys) key.retiredAt ??= now;
      this.#keys.push(fresh);
      this.#prune();
      await this.#save();
      return fresh.kid;
    });
    this.#rotating = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** The persisted form, private keys included: hand it only to the KeyStore. */
  serialize(): string {
    const keys: PersistedKey[] = this.#keys.map((k) => ({
      kid: k.kid,
      createdAt: k.createdAt,
      retiredAt: k.retiredAt,
      privateJwk: { ...k.privateJwk },
    }));
    return JSON.stringify({ version: FORMAT_VERSION, keys });
  }

  /** Safe to log: kids and dates, never key material. */
  toJSON(): { signingKid: string | undefined; keys: { kid: string; createdAt: number; retiredAt: number | null }[] } {
    return {
      signingKid: this.#signing()?.kid,
      keys: this.#keys.map((k) => ({ kid: k.kid, createdAt: k.createdAt, retiredAt: k.retiredAt })),
    };
  }

  toString(): string {
    return `KeyRing(${this.#keys.map((k) => k.kid).join(', ')})`;
  }

  #verifies(key: RingKey, now: number): boolean {
    return key.retiredAt === null || now < key.retiredAt + this.#maxTokenLifetimeMs;
  }

  /** Drops keys no token can need any more; true when something was dropped. */
  #prune(): boolean {
    const now = this.#now();
    const before = this.#keys.length;
    this.#keys = this.#keys.filter((k) => this.#verifies(k, now));
    return this.#keys.length !== before;
  }

  #signing(): RingKey | undefined {
    let best: RingKey | undefined;
    for (const key of this.#keys) {
      if (key.retiredAt === null && (best === undefined || key.createdAt >= best.createdAt)) best = key;
    }
    return best;
  }

  #requireSigning(): RingKey {
    const key = this.#signing();
    if (key === undefined) throw new Error('key ring: no signing key');
    return key;
  }

  /** Signing key first, then the others newest first. */
  #ordered(): RingKey[] {
    const signing = this.#signing();
    const rest = this.#keys.filter((k) => k !== signing).sort((a, b) => b.createdAt - a.createdAt);
    return signing === undefined ? rest : [signing, ...rest];
  }

  async #save(): Promise<void> {
    await this.#store.save(this.serialize());
  }
}

/** A KeyStore in memory (tests, local mode). */
export function createMemoryKeyStore(initial?: string): KeyStore & { readonly json: string | undefined } {
  let json = initial;
  return {
    get json() {
      return json;
    },
    load: () => Promise.resolve(json),
    save: (value: string) => {
      json = value;
      return Promise.resolve();
    },
  };
}
