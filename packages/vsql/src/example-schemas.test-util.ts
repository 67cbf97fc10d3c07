// Test-only helpers (node:fs is fine here: never imported by library code).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ExampleSchema {
  app: string;
  file: string;
  source: string;
}

const REPO_EXAMPLES = join(import.meta.dirname, '../../../examples');
const SHARED_EXAMPLES = '/work/shared/vsql';

/** The `.vsql` files of the example apps `shop` and `todo` (repo copy preferred). */
export function loadExampleSchemas(): ExampleSchema[] {
  const out: ExampleSchema[] = [];
  for (const app of ['shop', 'todo']) {
    const dir = [join(REPO_EXAMPLES, app, 'schema'), join(SHARED_EXAMPLES, app, 'schema')].find((d) => existsSync(d));
    if (dir === undefined) throw new Error(`example app ${app} not found`);
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith('.vsql'))
      .sort()) {
      const file = join(dir, name);
      out.push({ app, file, source: readFileSync(file, 'utf8') });
    }
  }
  return out;
}

/** A deep copy without `loc` properties, for structural comparison of ASTs. */
export function stripLocations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripLocations);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key !== 'loc' && v !== undefined) out[key] = stripLocations(v);
    }
    return out;
  }
  return value;
}
