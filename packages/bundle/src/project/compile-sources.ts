// VSQL sources → AppDef, or one AppError with every error's code frame. Shared by the project
// reader and the bundle verifier, which recompiles a bundle's sources the same way.
import { AppError } from '@stoa/errors';
import type { AppDef } from '@stoa/vsql';
import { compile } from '@stoa/vsql';

export interface ProjectSource {
  /** Project-relative, `/`-separated, e.g. `schema/todo.vsql`. Also the file name in the AppDef. */
  path: string;
  source: string;
}

/**
 * Compiles the app's main package from `sources` (in the given order). The paths are passed to the
 * compiler as they are, so positions in the AppDef (`loc.file`) and in errors are project-relative
 * and the AppDef does not depend on where the project lives. `label` starts the error message.
 */
export function compileSources(sources: readonly ProjectSource[], label: string): AppDef {
  const result = compile(sources.map((s) => ({ path: s.path, source: s.source })));
  if (result.ok) return result.appdef;
  const frames = result.errors.map((e) => e.format());
  throw new AppError('VALIDATION_FAILED', `${label}: ${result.errors.length} VSQL error(s)\n\n${frames.join('\n\n')}`, {
    data: {
      errors: result.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, message: e.rawMessage })),
    },
  });
}
