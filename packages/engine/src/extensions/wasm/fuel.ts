// Fuel metering for untrusted WebAssembly guests: a load-time instrumentation pass (binaryen.js)
// that makes every function entry and every loop iteration pay from an exported i64 global and
// trap with `unreachable` once it goes negative. Any unbounded execution must pass a loop header or
// a function entry (recursion), so a guest cannot run longer than its fuel allows; the core's
// invocation deadline remains the wall-clock backstop for host calls. See README.md for the cost model.
// binaryen is never imported statically (see binaryen-loader.ts): the pass takes the loaded API
// object, and `setFuel`/`getFuel`, which the host calls on every invocation, do not need it.

import type binaryen from 'binaryen';
import { loadBinaryen, type Binaryen } from './binaryen-loader.js';
import type { WasmGlobal, WasmInstance } from './webassembly-api.js';
import { webAssembly } from './webassembly-api.js';

export const DEFAULT_FUEL_GLOBAL = '__stoa_fuel';

export interface FuelMeteringOptions {
  /** Name of the injected global and of its export. */
  globalName?: string;
  /**
   * Fuel the global holds right after instantiation. Defaults to 0, so a module runs nothing until
   * the host calls `setFuel`; a module with a start function needs enough here to instantiate.
   */
  initialFuel?: bigint;
}

/** The module uses an instruction the pass does not know how to walk: refuse rather than under-meter. */
export class UnsupportedWasmInstructionError extends Error {
  constructor(
    readonly functionName: string,
    readonly expressionId: number,
  ) {
    super(
      `function ${functionName} uses an instruction the fuel pass does not support (binaryen expression id ${expressionId})`,
    );
    this.name = 'UnsupportedWasmInstructionError';
  }
}

/** Bad input or a name clash: the module cannot be metered. */
export class FuelInstrumentationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuelInstrumentationError';
  }
}

// What Node 20's V8 runs without flags. Reading with every binaryen feature on could re-encode the
// module with proposals V8 rejects; reading with MVP only would reject ordinary AssemblyScript output.
export function wasmFeatures(bn: Binaryen): binaryen.Features {
  const f = bn.Features;
  return (
    f.MutableGlobals |
    f.NontrappingFPToInt |
    f.SIMD128 |
    f.BulkMemory |
    f.BulkMemoryOpt |
    f.SignExt |
    f.ExceptionHandling |
    f.TailCall |
    f.ReferenceTypes |
    f.Multivalue |
    f.CallIndirectOverlong
  );
}

// Which fields of `getExpressionInfo` hold child expressions, per expression kind. A kind missing
// here (GC, strings, stack switching, table.fill/copy/init, try_table, …) makes the pass throw: a
// child we cannot see could hide a loop that would then run unmetered.
let childFields: ReadonlyMap<number, readonly string[]> | undefined;

function childFieldsOf(bn: Binaryen): ReadonlyMap<number, readonly string[]> {
  if (childFields !== undefined) return childFields;
  childFields = new Map<number, readonly string[]>([
    [bn.NopId, []],
    [bn.BlockId, ['children']],
    [bn.IfId, ['condition', 'ifTrue', 'ifFalse']],
    [bn.LoopId, ['body']],
    [bn.BreakId, ['condition', 'value']],
    [bn.SwitchId, ['condition', 'value']],
    [bn.CallId, ['operands']],
    [bn.CallIndirectId, ['target', 'operands']],
    [bn.LocalGetId, []],
    [bn.LocalSetId, ['value']],
    [bn.GlobalGetId, []],
    [bn.GlobalSetId, ['value']],
    [bn.LoadId, ['ptr']],
    [bn.StoreId, ['ptr', 'value']],
    [bn.AtomicRMWId, ['ptr', 'value']],
    [bn.AtomicCmpxchgId, ['ptr', 'expected', 'replacement']],
    [bn.AtomicWaitId, ['ptr', 'expected', 'timeout']],
    [bn.AtomicNotifyId, ['ptr', 'notifyCount']],
    [bn.AtomicFenceId, []],
    // SIMDExtract/Replace `index` is a lane number, not an expression.
    [bn.SIMDExtractId, ['vec']],
    [bn.SIMDReplaceId, ['vec', 'value']],
    [bn.SIMDShuffleId, ['left', 'right']],
    [bn.SIMDTernaryId, ['a', 'b', 'c']],
    [bn.SIMDShiftId, ['vec', 'shift']],
    [bn.SIMDLoadId, ['ptr']],
    [bn.SIMDLoadStoreLaneId, ['ptr', 'vec']],
    [bn.MemoryInitId, ['dest', 'offset', 'size']],
    [bn.DataDropId, []],
    [bn.MemoryCopyId, ['dest', 'source', 'size']],
    [bn.MemoryFillId, ['dest', 'value', 'size']],
    [bn.ConstId, []],
    [bn.UnaryId, ['value']],
    [bn.BinaryId, ['left', 'right']],
    [bn.SelectId, ['ifTrue', 'ifFalse', 'condition']],
    [bn.DropId, ['value']],
    [bn.ReturnId, ['value']],
    [bn.MemorySizeId, []],
    [bn.MemoryGrowId, ['delta']],
    [bn.UnreachableId, []],
    [bn.PopId, []],
    [bn.RefNullId, []],
    [bn.RefIsNullId, ['value']],
    [bn.RefAsId, ['value']],
    [bn.RefFuncId, []],
    [bn.RefEqId, ['left', 'right']],
    [bn.TableGetId, ['index']],
    [bn.TableSetId, ['index', 'value']],
    [bn.TableSizeId, []],
    [bn.TableGrowId, ['value', 'delta']],
    [bn.TryId, ['body', 'catchBodies']],
    [bn.ThrowId, ['operands']],
    [bn.RethrowId, []],
    [bn.TupleMakeId, ['operands']],
    [bn.TupleExtractId, ['tuple']],
  ]);
  return childFields;
}

// binaryen.js has these static helpers at runtime, but its typings only declare them on Module.
interface ExpressionBodyApi {
  getBody: (ref: number) => number;
  setBody: (ref: number, body: number) => void;
}
// Likewise `readBinary` takes an optional feature set (`readBinaryWithFeatures` is typed but absent).
interface UntypedApi {
  Loop: ExpressionBodyApi;
  Function: ExpressionBodyApi;
  readBinary: (data: Uint8Array, features: binaryen.Features) => binaryen.Module;
}

/** One metered region: a function body (loop = null) or a loop body, with its static cost. */
interface Region {
  loop: number | null;
  cost: number;
}

/**
 * Returns a copy of `wasm` in which every defined function and every loop iteration subtracts its
 * static cost from an exported mutable i64 global and traps (`unreachable`) when the global drops
 * below zero. Imported functions are not touched; nothing else is optimised or reordered.
 */
export async function injectFuelMetering(wasm: Uint8Array, options: FuelMeteringOptions = {}): Promise<Uint8Array> {
  const bn = await loadBinaryen();
  const module = readWasmModule(bn, wasm);
  try {
    meterModule(bn, module, options);
    if (!module.validate()) throw new FuelInstrumentationError('instrumented module failed validation');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

/**
 * Reads `wasm` with binaryen and the feature set Node's V8 runs (see `wasmFeatures`). The bytes are
 * checked with `WebAssembly.validate` first: a binaryen abort on bad input poisons the binaryen
 * runtime for the whole process. The caller owns the module (`dispose()` it).
 */
export function readWasmModule(bn: Binaryen, wasm: Uint8Array): binaryen.Module {
  if (!webAssembly.validate(wasm)) throw new FuelInstrumentationError('not a valid WebAssembly module');
  return (bn as unknown as UntypedApi).readBinary(wasm, wasmFeatures(bn));
}

/**
 * The fuel pass on a module already read (so a host can chain other passes, e.g. asyncify, in one
 * read/emit): adds and exports the fuel global and meters every defined function in place.
 */
export function meterModule(bn: Binaryen, module: binaryen.Module, options: FuelMeteringOptions = {}): void {
  const globalName = options.globalName ?? DEFAULT_FUEL_GLOBAL;
  const initialFuel = options.initialFuel ?? 0n;
  assertNameFree(bn, module, globalName);
  module.addGlobal(globalName, bn.i64, true, constI64(module, initialFuel));
  module.addGlobalExport(globalName, globalName);

  for (let i = 0; i < module.getNumFunctions(); i++) {
    const func = module.getFunctionByIndex(i);
    const info = bn.getFunctionInfo(func);
    if (info.module !== null && info.module !== '') continue; // imported: the host meters itself
    if (info.body === 0) continue;
    meterFunction(bn, module, func, info.name, info.body, globalName);
  }
}

function assertNameFree(bn: Binaryen, module: binaryen.Module, name: string): void {
  for (let i = 0; i < module.getNumGlobals(); i++) {
    if (bn.getGlobalInfo(module.getGlobalByIndex(i)).name === name) {
      throw new FuelInstrumentationError(`module already has a global named ${name}`);
    }
  }
  for (let i = 0; i < module.getNumExports(); i++) {
    if (bn.getExportInfo(module.getExportByIndex(i)).name === name) {
      throw new FuelInstrumentationError(`module already exports ${name}`);
    }
  }
}

function meterFunction(
  bn: Binaryen,
  module: binaryen.Module,
  func: number,
  functionName: string,
  body: number,
  globalName: string,
): void {
  const childFieldsById = childFieldsOf(bn);
  const loopId: number = bn.LoopId;
  const entry: Region = { loop: null, cost: 0 };
  const regions: Region[] = [entry];
  // Iterative walk: compiler output can nest blocks thousands deep (br_table lowering).
  const stack: Array<{ expr: number; region: Region }> = [{ expr: body, region: entry }];
  while (stack.length > 0) {
    const { expr, region } = stack.pop()!;
    const id = bn.getExpressionId(expr);
    const fields = childFieldsById.get(id);
    if (fields === undefined) throw new UnsupportedWasmInstructionError(functionName, id);
    region.cost++;
    const childRegion = id === loopId ? { loop: expr, cost: 0 } : region;
    if (childRegion !== region) regions.push(childRegion);
    if (fields.length === 0) continue;
    const info = bn.getExpressionInfo(expr) as unknown as Record<string, unknown>;
    for (const field of fields) {
      const value = info[field];
      const children = Array.isArray(value) ? (value as number[]) : [value as number];
      for (let c = children.length - 1; c >= 0; c--) {
        const child = children[c]!;
        if (child !== 0) stack.push({ expr: child, region: childRegion });
      }
    }
  }

  // Loops are patched in place, so their parents need no rebuilding.
  const { Loop: loopApi, Function: functionApi } = bn as unknown as UntypedApi;
  for (const region of regions) {
    if (region.loop === null) continue;
    const loopBody = loopApi.getBody(region.loop);
    loopApi.setBody(region.loop, prependCharge(bn, module, loopBody, region.cost, globalName));
  }
  functionApi.setBody(func, prependCharge(bn, module, body, entry.cost, globalName));
}

function prependCharge(bn: Binaryen, module: binaryen.Module, expr: number, cost: number, globalName: string): number {
  const fuel = (): number => module.global.get(globalName, bn.i64);
  const charge = module.global.set(globalName, module.i64.sub(fuel(), constI64(module, BigInt(cost))));
  const check = module.if(module.i64.lt_s(fuel(), constI64(module, 0n)), module.unreachable());
  // An unnamed block: no branch can target it, so the original control flow is unchanged.
  return module.block(null, [charge, check, expr], bn.getExpressionType(expr));
}

// binaryen 132 wants one bigint here; the old (low, high) pair aborts the whole binaryen runtime.
function constI64(module: binaryen.Module, value: bigint): number {
  return module.i64.const(BigInt.asIntN(64, value));
}

function fuelGlobal(instance: WasmInstance, globalName: string): WasmGlobal {
  const global = instance.exports[globalName];
  if (!(global instanceof webAssembly.Global)) {
    throw new FuelInstrumentationError(`instance does not export the fuel global ${globalName}`);
  }
  return global;
}

/** Sets the fuel the next invocation may burn; call before every invocation. */
export function setFuel(instance: WasmInstance, fuel: bigint | number, globalName = DEFAULT_FUEL_GLOBAL): void {
  fuelGlobal(instance, globalName).value = BigInt(fuel);
}

/** Remaining fuel; negative after an out-of-fuel trap. */
export function getFuel(instance: WasmInstance, globalName = DEFAULT_FUEL_GLOBAL): bigint {
  return fuelGlobal(instance, globalName).value as bigint;
}
