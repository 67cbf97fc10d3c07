#!/usr/bin/env node
// The `stoa` command. It loads the built CLI (dist/stoa.js: `node build.mjs`, which the
// repository's `prepare` script runs on every `npm install`/`npm ci`). This launcher is committed
// so that npm can link the bin at install time, before dist/ exists.
try {
  await import('../dist/stoa.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/stoa.js')) throw error;
  process.stderr.write('stoa: the CLI is not built yet: run `npm run build -w @stoa/cli` (or `npm install`)\n');
  process.exitCode = 1;
}
