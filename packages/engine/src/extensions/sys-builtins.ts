/**
 * Builtin implementations of the `sys` package's BUILTIN extensions. `sys.CUD` and `sys.Init` do no
 * work of their own: the engine core applies a request's CUDs (and a workspace's initial records)
 * itself, with validation and per-CUD ACL; the functions exist so every declared builtin has an
 * implementation and the same invocation path runs for every command.
 */
import type { BuiltinExtensions } from './host.js';

export const SYS_BUILTINS: BuiltinExtensions = {
  'sys.CUD': () => undefined,
  'sys.Init': () => undefined,
};
