import type { NextConfig } from 'next';

// The portal runs our workspace packages from their TypeScript sources (docs/ARCHITECTURE.md §2),
// so Next compiles them like its own code. Those sources import each other NodeNext-style
// (`./codes.js` for `./codes.ts`); webpack's `extensionAlias` resolves that, Turbopack (Next 16's
// default) does not, so the portal builds and runs with `--webpack`.
//
// Prisma's runtime, its pg driver adapter and pg stay external (loaded by Node at run time, not
// bundled): the generated client that @stoa/db compiles from source loads a WASM query compiler
// through them.
//
// BullMQ loads its Lua scripts from files next to its own modules at run time, so it (and the
// ioredis it drives) stays external too: bundled, those paths would point into `.next/`.
//
// @stoa/db locates files with `new URL('…', import.meta.url)` (its prisma.config.ts, for the
// migration runner the portal never calls). Webpack would turn that into an asset reference that
// Node's fileURLToPath refuses at import time, so URL parsing is off for that package's sources:
// `import.meta.url` then stays the source file's own file URL.
/** The part of webpack's configuration this file touches (Next does not export webpack's types). */
interface WebpackConfig {
  resolve: { extensionAlias?: Record<string, string[]> };
  module: { rules: unknown[] };
}

const config: NextConfig = {
  transpilePackages: ['@stoa/client', '@stoa/errors', '@stoa/db', '@stoa/jobs'],
  serverExternalPackages: ['@prisma/client', '@prisma/adapter-pg', 'pg', 'prisma', 'bullmq', 'ioredis'],
  reactStrictMode: true,
  poweredByHeader: false,
  webpack(webpackConfig: WebpackConfig) {
    webpackConfig.resolve.extensionAlias = { '.js': ['.ts', '.tsx', '.js'], '.mjs': ['.mts', '.mjs'] };
    webpackConfig.module.rules.push({ test: /[\\/]packages[\\/]db[\\/]src[\\/].*\.ts$/, parser: { url: false } });
    return webpackConfig;
  },
};

export default config;
