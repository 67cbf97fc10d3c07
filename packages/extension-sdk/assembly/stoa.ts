// The host imports of ABI v1 (../ABI.md §3, §4). AssemblyScript imports a `declare`d function from
// the module named after its file, so this file must stay `stoa.ts`: the imports are `stoa.<name>`.
// (The `@external` decorator would say the same, but Prettier cannot parse decorated declarations.)

/** Copies the pending value to `ptr` and clears it. */
export declare function take(ptr: usize): void;
/** Length of the context map, which becomes the pending value. */
export declare function context(): i32;
/** Length of the argument, or -1. */
export declare function arg(): i32;
/** Length of the unlogged argument, or -1. */
export declare function unlogged_arg(): i32;
/** Length of the event, or -1. */
export declare function event(): i32;
/** Length of the record, or -1. May suspend. */
export declare function get_record(id: i64): i32;
/** Length of the view row, or -1. May suspend. */
export declare function get_view(viewPtr: usize, viewLen: i32, keyPtr: usize, keyLen: i32): i32;
/** An iterator handle. May suspend. */
export declare function read_view(
  viewPtr: usize,
  viewLen: i32,
  prefixPtr: usize,
  prefixLen: i32,
  limit: i32,
  reverse: i32,
): i32;
/** Length of the next row, or -1 at the end. */
export declare function next(handle: i32): i32;
/** Length of the secret's UTF-8 value, or -1. May suspend. */
export declare function secret(namePtr: usize, nameLen: i32): i32;

export declare function insert_record(tablePtr: usize, tableLen: i32, fieldsPtr: usize, fieldsLen: i32): i64;
export declare function update_record(id: i64, fieldsPtr: usize, fieldsLen: i32): void;
export declare function put_view(viewPtr: usize, viewLen: i32, rowPtr: usize, rowLen: i32): void;
export declare function result(rowPtr: usize, rowLen: i32): void;
export declare function response(status: i32, messagePtr: usize, messageLen: i32): void;
export declare function log(level: i32, messagePtr: usize, messageLen: i32): void;
