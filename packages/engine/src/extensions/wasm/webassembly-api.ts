// The WebAssembly global is typed only by TypeScript's DOM lib, which this Node repo does not load
// (and adding it would leak browser globals into every package). This module types the subset the
// extension host uses, without declaring anything globally.

export interface WasmGlobal {
  value: unknown;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export type WasmModule = object;

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(delta: number): number;
}

export interface WasmModuleDescriptor {
  readonly module?: string;
  readonly name: string;
  readonly kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
}

export type WasmImports = Record<string, Record<string, unknown>>;

export interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(bytes: Uint8Array, imports?: WasmImports): Promise<{ module: WasmModule; instance: WasmInstance }>;
  instantiate(module: WasmModule, imports?: WasmImports): Promise<WasmInstance>;
  readonly Global: abstract new (...args: never[]) => WasmGlobal;
  readonly Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  /** Synchronous instantiation (the host creates pool instances on demand, inside a call). */
  readonly Instance: new (module: WasmModule, imports?: WasmImports) => WasmInstance;
  readonly Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(module: WasmModule): WasmModuleDescriptor[];
    exports(module: WasmModule): WasmModuleDescriptor[];
  };
  /** Thrown for traps: `unreachable` (out of fuel), out-of-bounds access, stack overflow, … */
  readonly RuntimeError: new (message?: string) => Error;
  /** Thrown when imports do not match (e.g. a memory smaller than the module's minimum). */
  readonly LinkError: new (message?: string) => Error;
}

export const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
