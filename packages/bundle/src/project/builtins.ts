// An app's own EXTENSION ENGINE BUILTIN extensions are TypeScript from `extensions/builtin.ts`:
// the developer's code, trusted only on their machine (dev mode). Bundles never carry them, and an
// engine outside dev mode refuses an app that declares them. `sys` builtins are the engine's own.
import { AppError } from '@stoa/errors';
import type { AppDef } from '@stoa/vsql';

/** QNames of the app's (non-`sys`) BUILTIN extensions, sorted. */
export function listAppBuiltins(appdef: AppDef): string[] {
  return Object.values(appdef.extensions)
    .filter((ext) => ext.engine === 'builtin' && !ext.qname.startsWith('sys.'))
    .map((ext) => ext.qname)
    .sort();
}

/**
 * Throws AppError('VALIDATION_FAILED') listing every app BUILTIN extension (one line each,
 * `data.extensions`, `qname` = the first). `where` names what cannot have them, as the subject of
 * a sentence: `the bundle of app folder /src/todo`, `app folder /src/todo outside dev mode`.
 */
export function refuseAppBuiltins(appdef: AppDef, where: string): void {
  const offending = listAppBuiltins(appdef);
  if (offending.length === 0) return;
  const lines = offending.map(
    (qname) =>
      `extension ${qname} is EXTENSION ENGINE BUILTIN: builtin extensions of apps are a dev-mode feature; ` +
      `${where} cannot have them: implement it as EXTENSION ENGINE WASM, or load the app folder in dev mode ` +
      `(extensions/builtin.ts)`,
  );
  throw new AppError('VALIDATION_FAILED', lines.join('\n'), { qname: offending[0], data: { extensions: offending } });
}
