/**
 * The todo app with `EXTENSION ENGINE BUILTIN` instead of WASM, for benchmarks that compare the
 * two: the schema is examples/todo's with only the engine swapped (written to a git-ignored
 * `schema/` here at run time so it never drifts), the extensions are ./extensions/builtin.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TODO_DIR = join(import.meta.dirname, '../../../examples/todo');

/** Writes the baseline's schema and returns the app folder (load it in dev mode). */
export function prepareTodoBuiltinApp(): string {
  const source = readFileSync(join(TODO_DIR, 'schema/todo.vsql'), 'utf8');
  const swapped = source.replace('EXTENSION ENGINE WASM (', 'EXTENSION ENGINE BUILTIN (');
  if (swapped === source) throw new Error('examples/todo/schema/todo.vsql no longer declares EXTENSION ENGINE WASM');
  const dir = import.meta.dirname;
  mkdirSync(join(dir, 'schema'), { recursive: true });
  writeFileSync(join(dir, 'schema/todo.vsql'), swapped);
  return dir;
}
