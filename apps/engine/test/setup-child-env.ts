// Test setup: the environment a child engine inherits. Only the basics of the caller's env (PATH
// for tsx and curl, HOME, TMPDIR, LANG) — never the caller's STOA_* settings, so a developer's own
// configuration cannot change what the tests check.
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG'];

export function baseChildEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}
