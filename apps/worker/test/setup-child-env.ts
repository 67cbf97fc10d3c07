// Test support: the environment the worker's engine children inherit — the caller's, without its
// STOA_* settings, so a developer's own configuration (an admin key, a storage kind) cannot change
// what the tests check. (Lives under test/ because only setup files may read process.env.)
export function inheritedChildEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('STOA_')) env[key] = value;
  }
  return env;
}
