// Shared flat config. The root eslint.config.js calls createConfig(); see README.md.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { PACKAGE_GRAPH, TOOLING_PACKAGES, packageNameOf } from './package-graph.js';

/** Files allowed to read process.env: each app's env module and tool configuration. */
const ENV_READERS = [
  '**/src/env.ts',
  '**/*.config.{ts,js,mjs,cjs}',
  '**/test/setup*.ts',
  '**/test/global-setup*.ts',
  'scripts/**',
  'bench/**',
];

function graphRules() {
  const all = Object.keys(PACKAGE_GRAPH).map((f) => f.split('/')[1]);
  return Object.entries(PACKAGE_GRAPH).map(([folder, allowed]) => {
    const self = packageNameOf(folder).slice('@stoa/'.length);
    const forbidden = [...new Set(all)]
      .filter((name) => !allowed.includes(name) && name !== self && !TOOLING_PACKAGES.includes(name))
      .map((name) => `@stoa/${name}`);
    // Apps are never importable.
    forbidden.push('@stoa/app-*');
    return {
      files: [`${folder}/**/*.{ts,tsx,js,mjs}`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                group: forbidden.flatMap((n) => [n, `${n}/*`]),
                message: `${folder} may import only ${allowed.length ? allowed.map((a) => `@stoa/${a}`).join(', ') : 'no @stoa package'} (docs/ARCHITECTURE.md §2).`,
              },
              ...(folder === 'packages/db'
                ? []
                : [
                    {
                      group: ['@prisma/*', '.prisma/*', 'prisma', 'prisma/*'],
                      message: 'Only packages/db imports Prisma; use @stoa/db (docs/ARCHITECTURE.md §2).',
                    },
                  ]),
              {
                group: ['@stoa/*/src/*', '@stoa/*/src'],
                message: 'No deep imports: use the package exports map.',
              },
              {
                group: ['../../packages/*', '../../../packages/*', '../../apps/*', '../../../apps/*'],
                message: 'Import other workspaces by package name, never by relative path.',
              },
            ],
          },
        ],
      },
    };
  });
}

/**
 * @param {{ tsconfigRootDir: string, ignores?: string[] }} options
 */
export function createConfig({ tsconfigRootDir, ignores = [] }) {
  return tseslint.config(
    {
      ignores: [
        '**/node_modules/**',
        '**/dist/**',
        '**/.turbo/**',
        '**/.next/**',
        '**/next-env.d.ts',
        '**/.stoa/**',
        '**/.test-results/**',
        '**/coverage/**',
        '**/assembly/**',
        ...ignores,
      ],
    },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
      languageOptions: {
        ecmaVersion: 2023,
        sourceType: 'module',
        globals: { ...globals.node },
        parserOptions: { projectService: true, tsconfigRootDir },
      },
      plugins: { 'import-x': importX },
      settings: {
        'import-x/resolver-next': [importX.createNodeResolver()],
      },
      rules: {
        '@typescript-eslint/no-floating-promises': 'error',
        '@typescript-eslint/no-misused-promises': 'error',
        '@typescript-eslint/consistent-type-imports': 'error',
        '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
        'import-x/no-cycle': ['error', { ignoreExternal: true }],
        'import-x/no-relative-packages': 'error',
        'no-restricted-properties': [
          'error',
          { object: 'process', property: 'env', message: 'Read the environment only in src/env.ts (parsed with zod).' },
        ],
      },
    },
    {
      files: ['**/*.{js,mjs,cjs}'],
      ...tseslint.configs.disableTypeChecked,
    },
    ...graphRules(),
    {
      files: ENV_READERS,
      rules: { 'no-restricted-properties': 'off' },
    },
    {
      // A package's build script is repository tooling, run from the checkout (like the config
      // files): it may use the shared bundler in scripts/bundle-node-program.mjs.
      files: ['**/build.mjs'],
      rules: { 'import-x/no-relative-packages': 'off' },
    },
    {
      files: ['**/*.test.ts'],
      rules: {
        '@typescript-eslint/no-non-null-assertion': 'off',
        '@typescript-eslint/unbound-method': 'off',
      },
    },
  );
}
