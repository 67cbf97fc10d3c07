/**
 * The BUILTIN extension host: trusted TypeScript functions run in-process — the `sys` builtins
 * and, for apps loaded from a folder in dev mode, the app's own `extensions/builtin.ts`
 * (`bundle.devBuiltins`). Loading fails listing every declared-but-missing and every
 * provided-but-undeclared builtin, so a typo never surfaces as a 500 at run time.
 */
import { AppError } from '@stoa/errors';
import type { AppBundle } from '../app/bundle.js';
import type { BuiltinExtensions, ExtensionHost, LoadedExtensions } from './host.js';
import { SYS_BUILTINS } from './sys-builtins.js';

export interface BuiltinHostOptions {
  /** Extra engine-wide builtins (tests, future sys functions); merged over the sys builtins. */
  readonly builtins?: BuiltinExtensions;
}

export function createBuiltinHost(options: BuiltinHostOptions = {}): ExtensionHost {
  const engineWide: BuiltinExtensions = { ...SYS_BUILTINS, ...options.builtins };
  return {
    engine: 'builtin',
    load(bundle: AppBundle): Promise<LoadedExtensions> {
      const dev = bundle.devBuiltins ?? {};
      const declared = Object.values(bundle.appdef.extensions).filter((e) => e.engine === 'builtin');
      const declaredNames = new Set(declared.map((e) => e.qname));
      const missing = declared
        .filter((e) => engineWide[e.qname] === undefined && dev[e.qname] === undefined)
        .map((e) => e.qname);
      const undeclared = Object.keys(dev).filter((q) => !declaredNames.has(q));
      const problems: string[] = [];
      if (missing.length > 0) problems.push(`declared BUILTIN but missing from the builtins: ${missing.join(', ')}`);
      if (undeclared.length > 0)
        problems.push(`implemented but not declared as BUILTIN extensions: ${undeclared.join(', ')}`);
      if (problems.length > 0) {
        return Promise.reject(new AppError('BAD_REQUEST', `app ${bundle.manifest.name}: ${problems.join('; ')}`));
      }
      const functions = { ...engineWide, ...dev };
      return Promise.resolve({
        async invoke(qname, ctx) {
          const fn = functions[qname];
          if (fn === undefined) throw new AppError('NOT_FOUND', `undefined extension ${qname}`, { qname });
          await fn(ctx);
        },
        dispose: () => Promise.resolve(),
      });
    },
  };
}
