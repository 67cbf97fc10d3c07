// Test support: the basics of the caller's environment (PATH for node/tsx, HOME) for child
// processes, never its STOA_* settings, so a developer's configuration cannot change what the
// tests check. (Lives under test/ because only setup files may read process.env.)
export function baseChildEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}
