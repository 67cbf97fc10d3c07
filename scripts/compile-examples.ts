// `npm run compile:examples`: compiles every app under examples/ and prints, per app, a summary
// of its AppDef or its errors with code frames.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { compile, summariseAppDef } from '@stoa/vsql';

const root = join(import.meta.dirname, '..');
const examplesDir = join(root, 'examples');

function listVsqlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listVsqlFiles(path) : name.endsWith('.vsql') ? [path] : [];
    })
    .sort();
}

function formatList(label: string, names: readonly string[]): string {
  return `  ${label.padEnd(11)} ${names.length ? names.join(', ') : '—'}`;
}

let failures = 0;
const apps = readdirSync(examplesDir).filter((name) => existsSync(join(examplesDir, name, 'stoa.json')));
for (const app of apps.sort()) {
  const dir = join(examplesDir, app);
  const files = listVsqlFiles(join(dir, 'schema')).map((path) => ({
    path: relative(root, path),
    source: readFileSync(path, 'utf8'),
  }));
  const started = performance.now();
  const result = compile(files);
  const ms = (performance.now() - started).toFixed(1);
  if (!result.ok) {
    failures += 1;
    console.log(`✘ ${app}: ${result.errors.length} error(s) (${ms} ms)`);
    for (const error of result.errors) console.log(error.format());
    continue;
  }
  const s = summariseAppDef(result.appdef);
  console.log(`✔ ${app} (${files.length} file(s), compiled in ${ms} ms)`);
  console.log(formatList('workspaces', s.workspaces));
  console.log(formatList('tables', s.tables));
  console.log(formatList('views', s.views));
  console.log(formatList('extensions', s.extensions));
  console.log(formatList('roles', s.roles));
}
process.exitCode = failures ? 1 : 0;
