import { describe, expect, it } from 'vitest';
import { isRetryable } from '../failures.js';
import { RepoUrlRefusedError, checkRepoUrl, explainRefusedAddress, type LookupAll } from './repo-url.js';

const HTTPS_ONLY = { schemes: ['https'] } as const;
const ALL = { schemes: ['https', 'http', 'ssh', 'git', 'file'] } as const;

/** DNS as the tests need it: names map to fixed answers, nothing leaves the machine. */
const fakeDns =
  (answers: Record<string, string[]>): LookupAll =>
  (host) => {
    const found = answers[host];
    if (found === undefined) {
      const error = new Error(`getaddrinfo ENOTFOUND ${host}`) as NodeJS.ErrnoException;
      error.code = 'ENOTFOUND';
      return Promise.reject(error);
    }
    return Promise.resolve(found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };

const lookup = fakeDns({
  'github.com': ['140.82.121.3', '2606:50c0:8000::153'],
  'evil.example': ['140.82.121.3', '127.0.0.1'],
  'metadata.example': ['169.254.169.254'],
  'intranet.example': ['10.1.2.3'],
  localhost: ['127.0.0.1', '::1'],
});

async function refusal(url: string, policy: Parameters<typeof checkRepoUrl>[1] = ALL): Promise<string> {
  const error = await checkRepoUrl(url, policy, { lookup }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, url).toBeInstanceOf(RepoUrlRefusedError);
  expect(isRetryable(error)).toBe(false);
  return (error as Error).message;
}

describe('checkRepoUrl', () => {
  it('accepts a public https URL and returns every resolved address for pinning', async () => {
    const checked = await checkRepoUrl('https://github.com/acme/todo.git', HTTPS_ONLY, { lookup });
    expect(checked).toEqual({
      url: 'https://github.com/acme/todo.git',
      scheme: 'https',
      host: 'github.com',
      port: 443,
      addresses: ['140.82.121.3', '2606:50c0:8000::153'],
      display: 'https://github.com/acme/todo.git',
    });
    const ported = await checkRepoUrl('ssh://git@github.com:2222/acme/todo.git', ALL, { lookup });
    expect([ported.scheme, ported.port]).toEqual(['ssh', 2222]);
  });

  it('refuses loopback, metadata, private and reserved addresses, literal or resolved', async () => {
    const http = { schemes: ['http', 'https'] } as const;
    expect(await refusal('http://127.0.0.1/repo.git', http)).toBe(
      'repository URL http://127.0.0.1/repo.git is refused: 127.0.0.1 is a loopback address',
    );
    expect(await refusal('http://169.254.169.254/latest/meta-data', http)).toMatch(
      /169\.254\.169\.254 is a link-local, metadata, multicast or reserved address/,
    );
    expect(await refusal('https://metadata.example/x', http)).toMatch(/\(metadata\.example resolves to it\)/);
    expect(await refusal('https://localhost/x')).toMatch(/loopback/);
    // One bad address among good ones is enough: git could connect to any of them.
    expect(await refusal('https://evil.example/x')).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(await refusal('https://[::1]/x')).toMatch(/::1 is a loopback/);
    expect(await refusal('https://[::ffff:127.0.0.1]/x')).toMatch(/loopback/);
    expect(await refusal('https://[::ffff:a9fe:a9fe]/x')).toMatch(/metadata/);
    expect(await refusal('https://[fe80::1]/x')).toMatch(/link-local/);
    expect(await refusal('https://[fd00:ec2::254]/x', { ...ALL, allowPrivate: true })).toMatch(/metadata/);
    expect(await refusal('https://0x7f000001/x')).toMatch(/127\.0\.0\.1 is a loopback/);
    expect(await refusal('https://2130706433/x')).toMatch(/127\.0\.0\.1 is a loopback/);
    expect(await refusal('https://0.0.0.0/x')).toMatch(/reserved/);
    expect(await refusal('https://10.0.0.8/x')).toMatch(/10\.0\.0\.8 is a private address/);
    expect(await refusal('https://intranet.example/x')).toMatch(/private/);
    expect(await refusal('https://192.168.1.1/x')).toMatch(/private/);
    expect(await refusal('https://[fd12::1]/x')).toMatch(/private/);
  });

  it('opens loopback or private ranges only when allowed, metadata never', async () => {
    const loop = await checkRepoUrl('http://127.0.0.1:8080/r.git', { schemes: ['http'], allowLoopback: true });
    expect(loop.addresses).toEqual(['127.0.0.1']);
    const priv = await checkRepoUrl(
      'https://intranet.example/r.git',
      { ...HTTPS_ONLY, allowPrivate: true },
      { lookup },
    );
    expect(priv.addresses).toEqual(['10.1.2.3']);
    const everything = { ...ALL, allowLoopback: true, allowPrivate: true };
    expect(explainRefusedAddress('169.254.169.254', everything)).toMatch(/metadata/);
    expect(explainRefusedAddress('127.0.0.1', { schemes: ['https'], allowPrivate: true })).toMatch(/loopback/);
  });

  it('refuses schemes that are not allowed, unknown schemes and non-URLs', async () => {
    expect(await refusal('file:///srv/repo.git', HTTPS_ONLY)).toBe(
      'repository URL file:///srv/repo.git is refused: scheme file: is not allowed (allowed: https)',
    );
    expect(await refusal('ssh://git@github.com/acme/todo.git', HTTPS_ONLY)).toMatch(/scheme ssh: is not allowed/);
    expect(await refusal('http://github.com/acme/todo.git', HTTPS_ONLY)).toMatch(/scheme http: is not allowed/);
    expect(await refusal('ext::sh -c touch% /tmp/pwned')).toMatch(/not a URL|scheme ext: is not supported/);
    expect(await refusal('git@github.com:acme/todo.git')).toMatch(/not a URL/);
    expect(await refusal('-uhelp')).toMatch(/not a URL/);
    expect(await refusal('file://otherhost/srv/repo.git')).toMatch(/file: URLs name no host/);
    const file = await checkRepoUrl('file:///srv/repo.git', { schemes: ['file'] });
    expect(file).toMatchObject({ scheme: 'file', host: '', addresses: [] });
  });

  it('keeps credentials out of messages and tells missing hosts from DNS trouble', async () => {
    const message = await refusal('http://user:s3cret@127.0.0.1/r.git');
    expect(message).not.toContain('s3cret');
    expect(message).toContain('http://***@127.0.0.1/r.git');
    expect(await refusal('https://nowhere.example/r.git')).toMatch(
      /host nowhere\.example does not exist \(ENOTFOUND\)/,
    );
    const flaky: LookupAll = () => Promise.reject(Object.assign(new Error('timeout'), { code: 'EAI_AGAIN' }));
    const error = await checkRepoUrl('https://github.com/a/b', HTTPS_ONLY, { lookup: flaky }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/cannot resolve github\.com: EAI_AGAIN/);
    expect(isRetryable(error)).toBe(true);
    const hanging: LookupAll = () => new Promise(() => undefined);
    const slow = await checkRepoUrl('https://github.com/a/b', HTTPS_ONLY, {
      lookup: hanging,
      lookupTimeoutMs: 50,
    }).catch((e: unknown) => e);
    expect((slow as Error).message).toMatch(/cannot resolve github\.com: ETIMEOUT/);
    expect(isRetryable(slow)).toBe(true);
  });
});
