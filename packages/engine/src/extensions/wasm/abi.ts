// The shape of ABI v1 (packages/extension-sdk/ABI.md) as data: the imports a guest may use with
// their signatures, the required exports, the reserved names, and which imports may suspend.

export const ABI_VERSION = 1;

/** Bytes the host asks `__stoa_alloc` for, per instance: asyncify's unwind stack (ABI §5). */
export const SUSPEND_BUFFER_BYTES = 16_384;

/** A function signature as `params -> results`, types joined by commas: `i32,i32 -> i32`, ` -> ` for none. */
export type Signature = string;

export function signature(params: readonly string[], results: readonly string[]): Signature {
  return `${params.join(',')} -> ${results.join(',')}`;
}

/** Every import a guest may declare (ABI §1, §3, §4), by `module.name`, with its signature. */
export const ALLOWED_FUNCTION_IMPORTS: ReadonlyMap<string, Signature> = new Map([
  ['stoa.take', signature(['i32'], [])],
  ['stoa.context', signature([], ['i32'])],
  ['stoa.arg', signature([], ['i32'])],
  ['stoa.unlogged_arg', signature([], ['i32'])],
  ['stoa.event', signature([], ['i32'])],
  ['stoa.get_record', signature(['i64'], ['i32'])],
  ['stoa.get_view', signature(['i32', 'i32', 'i32', 'i32'], ['i32'])],
  ['stoa.read_view', signature(['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], ['i32'])],
  ['stoa.next', signature(['i32'], ['i32'])],
  ['stoa.secret', signature(['i32', 'i32'], ['i32'])],
  ['stoa.insert_record', signature(['i32', 'i32', 'i32', 'i32'], ['i64'])],
  ['stoa.update_record', signature(['i64', 'i32', 'i32'], [])],
  ['stoa.put_view', signature(['i32', 'i32', 'i32', 'i32'], [])],
  ['stoa.result', signature(['i32', 'i32'], [])],
  ['stoa.response', signature(['i32', 'i32', 'i32'], [])],
  ['stoa.log', signature(['i32', 'i32', 'i32'], [])],
  ['env.abort', signature(['i32', 'i32', 'i32', 'i32'], [])],
  ['env.trace', signature(['i32', 'i32', 'f64', 'f64', 'f64', 'f64', 'f64'], [])],
  ['env.seed', signature([], ['f64'])],
]);

/** Imports that may suspend the guest (asyncify, ABI §5): their answer comes from async storage. */
export const SUSPENDING_IMPORTS: readonly string[] = [
  'stoa.get_record',
  'stoa.get_view',
  'stoa.read_view',
  'stoa.secret',
];

export const MEMORY_IMPORT = { module: 'env', name: 'memory' } as const;

export const REQUIRED_EXPORTS: ReadonlyMap<string, Signature> = new Map([
  ['__stoa_abi_version', signature([], ['i32'])],
  ['__stoa_alloc', signature(['i32'], ['i32'])],
]);

export const ENTRY_POINT_SIGNATURE: Signature = signature([], []);

/** Import and export names the host's instrumentation owns (ABI §1). */
export function isReservedName(name: string): boolean {
  return name.startsWith('asyncify_') || name.startsWith('__stoa_fuel');
}

/** Exported functions whose name does not start with `_` are extension entry points (ABI §1). */
export function isEntryPointName(name: string): boolean {
  return !name.startsWith('_');
}

/** Storages the host does not serve yet (ABI §1). */
export const UNAVAILABLE_STORAGES: readonly string[] = ['sys.Http', 'sys.SendMail'];
