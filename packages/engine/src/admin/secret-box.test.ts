import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@stoa/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox, loadOrCreateSecretsKey, secretAad } from './secret-box.js';

const key = new Uint8Array(randomBytes(32));
const box = createSecretBox(key);
const AAD = secretAad('acme/shop', 'STRIPE_KEY');
const VALUE = 'sk_live_ünïcödé_value';

function openError(fn: () => unknown): AppError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code).toBe('INTERNAL');
  expect(appError.message).toMatch(/^sealed secret cannot be opened/);
  expect(appError.message).not.toContain(VALUE);
  return appError;
}

describe('createSecretBox', () => {
  it('round-trips UTF-8 values, with the documented layout and a fresh nonce each time', () => {
    const a = box.seal(AAD, VALUE);
    const b = box.seal(AAD, VALUE);
    expect(box.open(AAD, a)).toBe(VALUE);
    expect(a[0]).toBe(1);
    expect(a.length).toBe(1 + 12 + Buffer.byteLength(VALUE) + 16);
    expect(Buffer.from(a.subarray(1, 13)).equals(Buffer.from(b.subarray(1, 13)))).toBe(false);
    expect(Buffer.from(a).includes(Buffer.from(VALUE))).toBe(false);
    expect(box.open(AAD, box.seal(AAD, ''))).toBe('');
  });

  it('opens a value that sits inside a larger buffer (storage may return views)', () => {
    const sealed = box.seal(AAD, VALUE);
    const bigger = new Uint8Array(sealed.length + 10);
    bigger.set(sealed, 5);
    expect(box.open(AAD, bigger.subarray(5, 5 + sealed.length))).toBe(VALUE);
  });

  it('refuses tampered values, another aad, another key, an unknown version and short input', () => {
    const sealed = box.seal(AAD, VALUE);
    for (const i of [5, 13, sealed.length - 1]) {
      const tampered = sealed.slice();
      tampered[i] = tampered[i]! ^ 1;
      openError(() => box.open(AAD, tampered));
    }
    openError(() => box.open(secretAad('acme/other', 'STRIPE_KEY'), sealed));
    openError(() => box.open(secretAad('acme/shop', 'OTHER'), sealed));
    openError(() => createSecretBox(new Uint8Array(randomBytes(32))).open(AAD, sealed));
    const v2 = sealed.slice();
    v2[0] = 2;
    expect(openError(() => box.open(AAD, v2)).message).toContain('unknown format version 2');
    expect(openError(() => box.open(AAD, sealed.subarray(0, 28))).message).toContain('too short');
  });

  it('keeps a private copy of the key and refuses keys that are not 32 bytes', () => {
    const k = new Uint8Array(randomBytes(32));
    const b = createSecretBox(k);
    const sealed = b.seal(AAD, VALUE);
    k.fill(0);
    expect(b.open(AAD, sealed)).toBe(VALUE);
    expect(() => createSecretBox(new Uint8Array(16))).toThrow('secrets key must be 32 bytes, got 16');
  });
});

describe('loadOrCreateSecretsKey', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stoa-secret-box-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('decodes STOA_SECRETS_KEY (base64 or base64url of 32 bytes) without touching the file', async () => {
    const raw = randomBytes(32);
    const keyFile = join(dir, 'unused', 'secrets.key');
    expect(Buffer.from(await loadOrCreateSecretsKey({ keyBase64: raw.toString('base64'), keyFile }))).toEqual(raw);
    expect(Buffer.from(await loadOrCreateSecretsKey({ keyBase64: raw.toString('base64url'), keyFile }))).toEqual(raw);
    await expect(stat(keyFile)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a STOA_SECRETS_KEY that is not 32 bytes of base64, naming the variable but not the value', async () => {
    for (const bad of ['', 'not base64!', randomBytes(16).toString('base64'), randomBytes(33).toString('base64')]) {
      const error = await loadOrCreateSecretsKey({ keyBase64: bad, keyFile: join(dir, 'x.key') }).then(
        () => undefined,
        (e: unknown) => e as AppError,
      );
      expect(error).toBeInstanceOf(AppError);
      expect(error!.code).toBe('BAD_REQUEST');
      expect(error!.message).toMatch(/^STOA_SECRETS_KEY must be 32 bytes in base64/);
      if (bad !== '') expect(error!.message).not.toContain(bad);
    }
  });

  it('creates the key file (0600, parent 0700) once and reads it back afterwards', async () => {
    const keyFile = join(dir, 'data', 'nested', 'secrets.key');
    const first = await loadOrCreateSecretsKey({ keyFile });
    expect(first.length).toBe(32);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'data', 'nested'))).mode & 0o777).toBe(0o700);
    expect(Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64')).toEqual(Buffer.from(first));
    expect(await loadOrCreateSecretsKey({ keyFile })).toEqual(first);
    expect((await readdir(join(dir, 'data', 'nested'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('ends with one key when many callers race to create it', async () => {
    const keyFile = join(dir, 'race', 'secrets.key');
    const keys = await Promise.all(Array.from({ length: 16 }, () => loadOrCreateSecretsKey({ keyFile })));
    const onDisk = Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64');
    for (const k of keys) expect(Buffer.from(k)).toEqual(onDisk);
    expect(await readdir(join(dir, 'race'))).toEqual(['secrets.key']);
  });

  it('refuses an existing key file with wrong content instead of replacing it', async () => {
    const keyFile = join(dir, 'broken.key');
    await writeFile(keyFile, 'short\n');
    await expect(loadOrCreateSecretsKey({ keyFile })).rejects.toThrow(
      `secrets key file ${keyFile} does not hold 32 bytes of base64: restore the original file or set STOA_SECRETS_KEY`,
    );
    expect(await readFile(keyFile, 'utf8')).toBe('short\n');
  });
});
