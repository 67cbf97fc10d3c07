// The committed `extensions/<pkg>/generated.ts` of the examples (what editors see) must be what
// codegen makes from their schema today. The build never reads them (it serves a fresh copy), so a
// stale file would only mislead a reader: regenerate with `npm run codegen -- examples/<app>`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codegen } from '@stoa/extension-sdk/codegen';
import { describe, expect, it } from 'vitest';
import { readProject } from '../project/index.js';

const EXAMPLES = join(import.meta.dirname, '../../../../examples');

describe('examples generated.ts', () => {
  it.each([
    ['todo', 'todo'],
    ['shop', 'shop'],
  ])('examples/%s/extensions/%s/generated.ts is up to date', async (app, pkg) => {
    const dir = join(EXAMPLES, app);
    const { appdef } = await readProject(dir);
    const onDisk = readFileSync(join(dir, 'extensions', pkg, 'generated.ts'), 'utf8');
    expect(onDisk).toBe(codegen(appdef, pkg));
  });
});
