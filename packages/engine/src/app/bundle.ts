import type { AppDef } from '@stoa/vsql';
import type { BuiltinExtensions } from '../extensions/host.js';

/**
 * The one bundle-shaped interface through which the engine loads every app: from a folder in dev
 * or local mode (this issue) or from a verified bundle uploaded through the admin API (later).
 */
export interface AppManifest {
  /** App name (the APPLICATION name / stoa.json `name`). */
  readonly name: string;
  /** Number of partitions, fixed at first deploy. */
  readonly partitions: number;
}

export interface AppBundle {
  readonly owner: string;
  readonly manifest: AppManifest;
  readonly appdef: AppDef;
  /** WASM modules by package local name (empty until the WASM issue). */
  readonly modules: Readonly<Record<string, Uint8Array>>;
  /** Content hash identifying this version (sha256 hex of the bundle, or of the folder's sources). */
  readonly versionHash: string;
  /** Dev mode only: the app's own TypeScript builtins (`extensions/builtin.ts`). Never in a bundle. */
  readonly devBuiltins?: BuiltinExtensions;
}

/** `owner/app`, the key of a loaded app. */
export function appKey(owner: string, name: string): string {
  return `${owner}/${name}`;
}
