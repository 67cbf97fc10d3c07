// `npm run codegen -- <app dir> [...]`: writes `extensions/<pkg>/generated.ts` (typed AssemblyScript
// helpers from the AppDef, packages/extension-sdk README) for every package of the app that
// declares EXTENSION ENGINE WASM. The build always regenerates it in memory, so the file on disk
// only serves the editor; the `stoa codegen` CLI command will do the same.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readProject } from '@stoa/bundle/project';
import { codegen } from '@stoa/extension-sdk/codegen';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: npm run codegen -- <app dir> [...]');
  process.exit(2);
}
for (const dir of dirs) {
  const { appdef } = await readProject(dir);
  const packages = [
    ...new Set(
      Object.values(appdef.extensions)
        .filter((e) => e.engine === 'wasm')
        .map((e) => e.qname.split('.')[0]!),
    ),
  ].sort();
  if (packages.length === 0) console.log(`${dir}: no EXTENSION ENGINE WASM, nothing to generate`);
  for (const pkg of packages) {
    const path = join(dir, 'extensions', pkg, 'generated.ts');
    mkdirSync(join(dir, 'extensions', pkg), { recursive: true });
    writeFileSync(path, codegen(appdef, pkg));
    console.log(`wrote ${relative(process.cwd(), path)}`);
  }
}
