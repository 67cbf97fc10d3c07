/**
 * Portal passwords: scrypt (node:crypto) with a random salt per hash. The hash string carries its
 * parameters — `scrypt$<log2 N>$<r>$<p>$<salt b64url>$<key b64url>` — so they can be raised later
 * without invalidating stored hashes. Verification compares in constant time and refuses
 * parameters outside sane bounds (a tampered row must not make a sign-in allocate gigabytes).
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SCHEME = 'scrypt';
/** N = 2^15, r = 8, p = 1: OWASP's scrypt minimum; ~32 MiB and ~50–100 ms per hash here. */
const DEFAULT_PARAMS = { log2N: 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Longer inputs are refused before hashing (the KDF's cost grows with the input). */
export const MAX_PASSWORD_LENGTH = 1024;

export interface ScryptParams {
  readonly log2N: number;
  readonly r: number;
  readonly p: number;
}

function deriveKey(password: string, salt: Buffer, params: ScryptParams, keyBytes: number): Promise<Buffer> {
  const N = 2 ** params.log2N;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Hashes `password` with a fresh salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  if (password.length > MAX_PASSWORD_LENGTH) throw new RangeError('password too long');
  const salt = randomBytes(SALT_BYTES);
  const key = await deriveKey(password, salt, params, KEY_BYTES);
  return [SCHEME, params.log2N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== SCHEME) return undefined;
  const [log2N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const inRange = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;
  if (!inRange(log2N, 10, 20) || !inRange(r, 1, 32) || !inRange(p, 1, 16)) return undefined;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const key = Buffer.from(parts[5] ?? '', 'base64url');
  // A fixed key length: a truncated key would otherwise verify as a prefix of the real one.
  if (salt.length < 8 || key.length !== KEY_BYTES) return undefined;
  return { params: { log2N, r, p }, salt, key };
}

/** True when `password` matches `stored`; false for a wrong password or an unreadable hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const parsed = parseHash(stored);
  if (parsed === undefined) return false;
  const key = await deriveKey(password, parsed.salt, parsed.params, KEY_BYTES);
  return timingSafeEqual(key, parsed.key);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one verification without a stored hash, so a sign-in for an unknown email
 * takes as long as one with a wrong password and response times do not reveal which emails exist.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummyHash);
  return false;
}
