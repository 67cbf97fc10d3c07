import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// One unit project and one integration project per workspace that has tests:
//   <name>:unit  → src/**/*.test.ts (no services)
//   <name>:int   → src/**/*.int.test.ts (real servers; may have test/global-setup.ts)
// At most 2 workers: the machine has 2 cores.
const root = import.meta.dirname;

function workspaces(): { dir: string; name: string }[] {
  const found: { dir: string; name: string }[] = [];
  for (const kind of ['packages', 'apps']) {
    const base = join(root, kind);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(base, entry.name);
      if (!existsSync(join(dir, 'package.json'))) continue;
      found.push({ dir, name: kind === 'apps' ? `app-${entry.name}` : entry.name });
    }
  }
  return found;
}

const projects: TestProjectInlineConfiguration[] = workspaces().flatMap(({ dir, name }) => {
  const globalSetup = join(dir, 'test/global-setup.ts');
  return [
    {
      test: {
        name: `${name}:unit`,
        root: dir,
        include: ['src/**/*.test.ts', '*.test.ts'],
        exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        testTimeout: 20_000,
      },
    },
    {
      test: {
        name: `${name}:int`,
        root: dir,
        include: ['src/**/*.int.test.ts', 'test/**/*.int.test.ts'],
        exclude: ['**/node_modules/**'],
        globalSetup: existsSync(globalSetup) ? [globalSetup] : [],
        testTimeout: 120_000,
        hookTimeout: 240_000,
      },
    },
  ];
});

export default defineConfig({
  test: {
    projects,
    maxWorkers: 2,
    passWithNoTests: true,
  },
});
