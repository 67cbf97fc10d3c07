import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAdminKeyFile, signAdminToken } from '@stoa/client/admin';
import { importJWK, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, stoa } from '../cli.test-util.js';

let temp: { dir: string; cleanup: () => void };
beforeEach(() => {
  temp = makeTempDir('keygen');
});
afterEach(() => temp.cleanup());

describe('stoa keygen', () => {
  it('writes the private JWK with mode 0600 and prints the matching public JWK', async () => {
    const res = await stoa(['keygen', 'admin.jwk', '--public', 'admin.pub.jwk'], { cwd: temp.dir });
    expect(res.code).toBe(0);
    const file = join(temp.dir, 'admin.jwk');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const key = parseAdminKeyFile(readFileSync(file, 'utf8'));
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });

    const printed = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(printed).toEqual({ kty: 'OKP', crv: 'Ed25519', x: key.x, kid: key.kid, alg: 'EdDSA' });
    expect(JSON.parse(readFileSync(join(temp.dir, 'admin.pub.jwk'), 'utf8'))).toEqual(printed);
    expect(res.stderr).toContain('STOA_ADMIN_PUBLIC_KEY');

    // The printed key verifies tokens signed with the file's key.
    const token = await signAdminToken(key, { subject: 'cli:test@host' });
    const { payload } = await jwtVerify(token, await importJWK(printed, 'EdDSA'), { audience: 'stoa-admin' });
    expect(payload.sub).toBe('cli:test@host');
  });

  it('refuses to overwrite a key file (or an existing --public file) and leaves both untouched', async () => {
    writeFileSync(join(temp.dir, 'admin.jwk'), 'precious');
    const res = await stoa(['keygen', 'admin.jwk'], { cwd: temp.dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `error: ${join(temp.dir, 'admin.jwk')} already exists: stoa keygen never overwrites a key file\n`,
    );
    expect(readFileSync(join(temp.dir, 'admin.jwk'), 'utf8')).toBe('precious');

    writeFileSync(join(temp.dir, 'pub.jwk'), 'old');
    const pub = await stoa(['keygen', 'new.jwk', '--public', 'pub.jwk'], { cwd: temp.dir });
    expect(pub.code).toBe(1);
    expect(() => statSync(join(temp.dir, 'new.jwk'))).toThrow(/ENOENT/);
  });

  it('needs a file argument (usage error)', async () => {
    const res = await stoa(['keygen'], { cwd: temp.dir });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("missing required argument 'file'");
  });
});
