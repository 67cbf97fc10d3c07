/**
 * Password hashing with scrypt (node:crypto, memory-hard). Stored form:
 * `scrypt$N$r$p$<salt base64url>$<hash base64url>`, so parameters can be raised later and old hashes
 * still verify with the parameters they were made with.
 *
 * Defaults N = 2^15, r = 8, p = 1 (32 MiB per hash): ≈ 67 ms per hash on the 2-core reference VM
 * (N = 2^14 ≈ 32 ms, 2^16 ≈ 140 ms). scrypt runs on libuv's thread pool, never on the event loop;
 * `maxConcurrent` bounds how many hashes run at once (memory: maxConcurrent × 128·N·r bytes) and
 * `maxQueued` how many wait — beyond that a caller gets 503 instead of an unbounded queue.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { AppError } from '@stoa/errors';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Refuse stored parameters that would let a corrupted record pin a thread for minutes. */
const MAX_N = 2 ** 20;

export interface PasswordHasherOptions {
  readonly params?: ScryptParams;
  readonly maxConcurrent?: number;
  readonly maxQueued?: number;
}

interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 1 && (n & (n - 1)) === 0;
}

function checkParams(p: ScryptParams): void {
  if (!isPowerOfTwo(p.N) || p.N > MAX_N) throw new Error('scrypt: N must be a power of two ≤ 2^20');
  if (!Number.isInteger(p.r) || p.r < 1 || p.r > 32) throw new Error('scrypt: r must be 1..32');
  if (!Number.isInteger(p.p) || p.p < 1 || p.p > 16) throw new Error('scrypt: p must be 1..16');
}

/** Parses a stored hash; undefined when it is not in the expected form. */
export function parsePasswordHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const params = { N: Number(parts[1]), r: Number(parts[2]), p: Number(parts[3]) };
  try {
    checkParams(params);
  } catch {
    return undefined;
  }
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const hash = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length < 8 || hash.length < 16) return undefined;
  return { params, salt, hash };
}

export class PasswordHasher {
  readonly params: ScryptParams;
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  #dummy: Promise<string> | undefined;

  constructor(options: PasswordHasherOptions = {}) {
    this.params = options.params ?? DEFAULT_SCRYPT;
    checkParams(this.params);
    this.#maxConcurrent = Math.max(1, options.maxConcurrent ?? 4);
    this.#maxQueued = Math.max(0, options.maxQueued ?? 256);
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await this.#derive(password, salt, this.params, KEY_BYTES);
    const { N, r, p } = this.params;
    return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  /**
   * Constant-time check of `password` against `stored`. With `stored` undefined (unknown login) a
   * dummy hash of the current parameters is checked instead, so the answer takes as long as for
   * a known login and is always false.
   */
  async verify(password: string, stored: string | undefined): Promise<boolean> {
    const parsed = stored === undefined ? undefined : parsePasswordHash(stored);
    const target = parsed ?? parsePasswordHash(await this.#dummyHash())!;
    const key = await this.#derive(password, target.salt, target.params, target.hash.length);
    const equal = key.length === target.hash.length && timingSafeEqual(key, target.hash);
    return equal && parsed !== undefined;
  }

  #dummyHash(): Promise<string> {
    this.#dummy ??= this.hash(randomBytes(24).toString('base64url'));
    return this.#dummy;
  }

  async #derive(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
    await this.#acquire();
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        scrypt(
          password.normalize('NFC'),
          salt,
          length,
          // maxmem: scrypt needs ≈ 128·N·r bytes; the default cap (32 MiB) is exactly too small.
          { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 },
          (error, key) => (error === null ? resolve(key) : reject(error)),
        );
      });
    } finally {
      this.#release();
    }
  }

  async #acquire(): Promise<void> {
    if (this.#running < this.#maxConcurrent) {
      this.#running++;
      return;
    }
    if (this.#waiting.length >= this.#maxQueued) {
      throw new AppError('UNAVAILABLE', 'too many password checks in progress', { retryAfterSeconds: 1 });
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  #release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#running--;
  }
}
