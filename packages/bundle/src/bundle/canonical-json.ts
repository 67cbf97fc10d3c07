// JSON with every object's keys sorted (code-unit order), so equal values always give equal bytes:
// what manifest.json and appdef.json are written as, and how appdef.json is compared on open.

/** `value` as canonical JSON; `indent` 2 for the files in a bundle, 0 (compact) for comparisons. */
export function toCanonicalJson(value: unknown, indent: 0 | 2 = 0): string {
  return JSON.stringify(sortKeys(value), undefined, indent === 0 ? undefined : indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // fromEntries defines own properties, so a `__proto__` key from parsed JSON stays a plain key.
  return Object.fromEntries(keys.map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]));
}
