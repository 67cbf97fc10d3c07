/**
 * Sealing of app secrets at rest (docs/admin-api.md § Secrets): AES-256-GCM with a random 96-bit
 * nonce per value and an AAD binding each value to its place, so a sealed value copied to another
 * app or name does not open. Format: version byte (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AppError } from '@stoa/errors';

export const SECRET_BOX_VERSION = 1;
export const SECRETS_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;

export interface SecretBox {
  seal(aad: string, plaintext: string): Uint8Array;
  /** Throws AppError INTERNAL when the value was altered, moved (other aad) or sealed with another key. */
  open(aad: string, sealed: Uint8Array): string;
}

/** The AAD of an app secret: binds the sealed value to `owner/app` and the secret's name. */
export function secretAad(appKey: string, name: string): string {
  return `stoa.AppSecret\u0000${appKey}\u0000${name}`;
}

function cannotOpen(reason: string): AppError {
  // Never the value, the key or the aad's ciphertext: only why it failed.
  return new AppError('INTERNAL', `sealed secret cannot be opened (${reason})`);
}

export function createSecretBox(key: Uint8Array): SecretBox {
  if (key.length !== SECRETS_KEY_BYTES) {
    throw new AppError('INTERNAL', `secrets key must be ${SECRETS_KEY_BYTES} bytes, got ${key.length}`);
  }
  // A private copy: the caller may reuse or zero its buffer.
  const k = Buffer.from(key);
  return {
    seal(aad, plaintext) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', k, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(aad, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const out = new Uint8Array(HEADER_BYTES + body.length + TAG_BYTES);
      out[0] = SECRET_BOX_VERSION;
      out.set(nonce, 1);
      out.set(body, HEADER_BYTES);
      out.set(cipher.getAuthTag(), HEADER_BYTES + body.length);
      return out;
    },
    open(aad, sealed) {
      if (sealed.length < HEADER_BYTES + TAG_BYTES) throw cannotOpen('too short');
      if (sealed[0] !== SECRET_BOX_VERSION) throw cannotOpen(`unknown format version ${sealed[0]}`);
      const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      const tagAt = buf.length - TAG_BYTES;
      const decipher = createDecipheriv('aes-256-gcm', k, buf.subarray(1, HEADER_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(buf.subarray(tagAt));
      try {
        const plain = Buffer.concat([decipher.update(buf.subarray(HEADER_BYTES, tagAt)), decipher.final()]);
        return plain.toString('utf8');
      } catch {
        throw cannotOpen('wrong key, or the value was altered or belongs to another app or name');
      }
    },
  };
}

const BASE64_RE = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** Strict base64 (or base64url) of exactly 32 bytes, else undefined. */
function decodeKey(text: string): Uint8Array | undefined {
  const t = text.trim();
  if (!BASE64_RE.test(t)) return undefined;
  const bytes = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === SECRETS_KEY_BYTES ? new Uint8Array(bytes) : undefined;
}

async function readKeyFile(keyFile: string): Promise<Uint8Array | undefined> {
  let text: string;
  try {
    text = await readFile(keyFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError('BAD_REQUEST', `secrets key file ${keyFile} cannot be read: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const key = decodeKey(text);
  if (key === undefined) {
    // Never replaced automatically: every sealed secret needs the original key.
    throw new AppError(
      'BAD_REQUEST',
      `secrets key file ${keyFile} does not hold ${SECRETS_KEY_BYTES} bytes of base64: restore the original file or set STOA_SECRETS_KEY`,
    );
  }
  return key;
}

/**
 * The key that seals app secrets: `STOA_SECRETS_KEY` (base64 of 32 bytes) when given, else the
 * key file, created on first use (mode 0600 in a 0700 directory). Creation is atomic and
 * race-free: the key is written to a unique temp file and hard-linked to its final name, which
 * fails when the name exists (rename would silently replace it), so N racing processes end with
 * one key and every one of them uses it.
 */
export async function loadOrCreateSecretsKey(options: { keyBase64?: string; keyFile: string }): Promise<Uint8Array> {
  if (options.keyBase64 !== undefined) {
    const key = decodeKey(options.keyBase64);
    if (key === undefined) {
      throw new AppError(
        'BAD_REQUEST',
        `STOA_SECRETS_KEY must be ${SECRETS_KEY_BYTES} bytes in base64 (e.g. the output of \`openssl rand -base64 32\`)`,
        { data: { field: 'STOA_SECRETS_KEY' } },
      );
    }
    return key;
  }
  const { keyFile } = options;
  const existing = await readKeyFile(keyFile);
  if (existing !== undefined) return existing;

  await mkdir(dirname(keyFile), { recursive: true, mode: 0o700 });
  const key = new Uint8Array(randomBytes(SECRETS_KEY_BYTES));
  const temp = `${keyFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${Buffer.from(key).toString('base64')}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, keyFile);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another process won the race: its key is the key.
    const winner = await readKeyFile(keyFile);
    if (winner === undefined)
      throw new AppError('INTERNAL', `secrets key file ${keyFile} vanished while being created`);
    return winner;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return key;
}
