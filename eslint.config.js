import { createConfig } from '@stoa/eslint-config';

// AssemblyScript sources (an app's `extensions/<pkg>/`) are not TypeScript the typed rules understand.
export default createConfig({
  tsconfigRootDir: import.meta.dirname,
  ignores: [
    'examples/*/extensions/*/**',
    'apps/*/test/fixtures/*/extensions/*/**',
    'packages/cli/templates/*/extensions/**',
    // Prisma's generated client (packages/db/README.md), written at install.
    'packages/db/src/generated/**',
  ],
});
