import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { PACKAGE_GRAPH } from './package-graph.js';

const root = join(import.meta.dirname, '../..');

function readDocGraph(): Record<string, string[]> {
  const doc = readFileSync(join(root, 'docs/ARCHITECTURE.md'), 'utf8');
  const graph: Record<string, string[]> = {};
  for (const line of doc.split('\n')) {
    const m = /^\|\s*`((?:packages|apps)\/[a-z-]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (!m) continue;
    const allowed = [...m[2]!.matchAll(/`([a-z-]+)`/g)].map((x) => x[1]!);
    graph[m[1]!] = allowed;
  }
  return graph;
}

async function lintAs(file: string, code: string) {
  // Type-aware rules need files on disk; the graph rule does not, so lint this probe without types.
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: [
      tseslint.configs.disableTypeChecked,
      { languageOptions: { parserOptions: { projectService: false } } },
    ],
  });
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('package graph', () => {
  it('docs/ARCHITECTURE.md shows exactly the graph lint enforces', () => {
    const fromDoc = readDocGraph();
    expect(Object.keys(fromDoc).length).toBeGreaterThan(10);
    const normalised = Object.fromEntries(Object.entries(PACKAGE_GRAPH).map(([k, v]) => [k, [...v]]));
    expect(fromDoc).toEqual(normalised);
  });

  it('rejects an import the graph forbids, at error level', async () => {
    const messages = await lintAs('packages/storage/src/probe.ts', "export { x } from '@stoa/storage-lmdb';\n");
    expect(messages.some((m) => m.startsWith('no-restricted-imports') && m.includes('docs/ARCHITECTURE.md'))).toBe(
      true,
    );
  });

  it('allows an import the graph permits', async () => {
    const messages = await lintAs('packages/storage-lmdb/src/probe.ts', "export { AppError } from '@stoa/errors';\n");
    expect(messages.filter((m) => m.startsWith('no-restricted-imports'))).toEqual([]);
  });

  it('rejects deep imports and process.env outside env.ts', async () => {
    const deep = await lintAs('packages/engine/src/probe.ts', "export { x } from '@stoa/vsql/src/parser.js';\n");
    expect(deep.some((m) => m.includes('No deep imports'))).toBe(true);
    const env = await lintAs('packages/engine/src/probe.ts', 'export const port = process.env.PORT;\n');
    expect(env.some((m) => m.startsWith('no-restricted-properties'))).toBe(true);
    const allowed = await lintAs('apps/engine/src/env.ts', 'export const port = process.env.PORT;\n');
    expect(allowed.filter((m) => m.startsWith('no-restricted-properties'))).toEqual([]);
  });
});
