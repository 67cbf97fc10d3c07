// The exports ABI v1 requires of every module (../ABI.md §1). The build step re-exports them from
// the module's entry, so an app's own `index.ts` never has to.

export const ABI_VERSION: i32 = 1;

export function __stoa_abi_version(): i32 {
  return ABI_VERSION;
}

/** Raw, never-freed memory for the host (its suspension stack): outside the garbage collector. */
export function __stoa_alloc(size: i32): usize {
  return heap.alloc(<usize>size);
}
