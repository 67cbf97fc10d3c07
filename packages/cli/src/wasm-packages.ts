import type { AppProject } from '@stoa/bundle/project';

/** The compiled schema (the CLI may not import @stoa/vsql itself: docs/ARCHITECTURE.md §2). */
export type AppDef = AppProject['appdef'];

/**
 * Local names of the packages that declare EXTENSION ENGINE WASM, in AppDef package order: the
 * packages that get a module in the bundle and an `extensions/<pkg>/generated.ts`.
 */
export function listWasmPackages(appdef: AppDef): string[] {
  const withWasm = new Set(
    Object.values(appdef.extensions)
      .filter((e) => e.engine === 'wasm')
      .map((e) => e.qname.slice(0, e.qname.indexOf('.'))),
  );
  return appdef.packages.map((p) => p.localName).filter((name) => withWasm.has(name));
}
