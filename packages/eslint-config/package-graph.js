// The package graph of docs/ARCHITECTURE.md §2: which workspace may import which.
// Keys are workspace folders; values are the @stoa/* packages they may import (besides tooling).
// A unit test (package-graph.test.ts) checks that docs/ARCHITECTURE.md shows the same table, and
// eslint.config.js turns it into `no-restricted-imports` errors. A rule is added when its package
// appears; folders not listed here may import nothing of ours.

/** @type {Record<string, readonly string[]>} */
export const PACKAGE_GRAPH = {
  'packages/errors': [],
  'packages/vsql': [],
  'packages/extension-sdk': [],
  'packages/storage': ['errors'],
  'packages/storage-lmdb': ['storage', 'errors'],
  'packages/storage-cassandra': ['storage', 'errors'],
  'packages/storage-dynamodb': ['storage', 'errors'],
  'packages/auth': ['vsql', 'errors'],
  'packages/bundle': ['vsql', 'extension-sdk', 'errors'],
  'packages/engine': ['vsql', 'auth', 'storage', 'bundle', 'errors'],
  'packages/client': ['errors'],
  'packages/jobs': ['errors'],
  'packages/db': ['errors'],
  'packages/cli': ['engine', 'bundle', 'client', 'storage-lmdb', 'errors'],
  'apps/engine': ['engine', 'storage', 'storage-lmdb', 'storage-cassandra', 'storage-dynamodb', 'errors'],
  'apps/web': ['db', 'jobs', 'client', 'vsql', 'errors'],
  'apps/worker': ['db', 'jobs', 'client', 'bundle', 'errors'],
};

/** Tooling packages any workspace may use in config and tests. */
export const TOOLING_PACKAGES = ['tsconfig', 'eslint-config'];

/** Workspace folder → npm package name. Apps get an `app-` prefix so they never clash. */
export function packageNameOf(folder) {
  const [kind, name] = folder.split('/');
  return kind === 'apps' ? `@stoa/app-${name}` : `@stoa/${name}`;
}
