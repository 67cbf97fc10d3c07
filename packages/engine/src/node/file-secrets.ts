import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretStore } from '../resources.js';

/**
 * App secrets (`sys.AppSecret`) for folder apps until the admin API stores them encrypted:
 * `<data dir>/secrets/<owner>/<app>.json` holding `{ "<name>": "<value>" }`. Kept in the data dir,
 * not in the app folder, so they are never committed with the app's sources. Read on each access
 * so edits apply without a restart.
 */
export function createFileSecretStore(dataDir: string): SecretStore {
  return {
    async get(app, name) {
      const [owner, appName] = app.split('/');
      if (owner === undefined || appName === undefined || !/^[a-z0-9_-]+$/.test(owner + appName)) return undefined;
      let text: string;
      try {
        text = await readFile(join(dataDir, 'secrets', owner, `${appName}.json`), 'utf8');
      } catch {
        return undefined;
      }
      const secrets = JSON.parse(text) as unknown;
      if (secrets === null || typeof secrets !== 'object') return undefined;
      const value = (secrets as Record<string, unknown>)[name];
      return typeof value === 'string' ? value : undefined;
    },
  };
}
