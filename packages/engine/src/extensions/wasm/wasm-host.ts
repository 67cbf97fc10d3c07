/**
 * The WASM extension host (packages/extension-sdk/ABI.md): untrusted guest modules, one per VSQL
 * package, run in-thread. CPU is bounded by fuel (deterministic), memory by an imported
 * `WebAssembly.Memory` with a maximum, wall-clock time by the core's invocation deadline. Loading
 * fails listing every problem of every module; a failing call is a 500 naming the extension, and
 * its instance is discarded.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@stoa/errors';
import type { ExtensionDef, QName } from '@stoa/vsql';
import type { AppBundle } from '../../app/bundle.js';
import type { ExtensionContext, ExtensionHost, LoadedExtensions } from '../host.js';
import { ABI_VERSION, UNAVAILABLE_STORAGES } from './abi.js';
import { describeFailure, toExtensionError } from './errors.js';
import { EventBytes } from './event-bytes.js';
import { Guest, type GuestLimits, type TraceLogger } from './guest.js';
import { prepareModule, type PreparedModule, type PrepareSource } from './instrument.js';

export interface WasmHostOptions {
  /** Memory cap per instance (`STOA_WASM_MAX_MEMORY_MB`); default 16 MiB. */
  readonly maxMemoryBytes?: number;
  /** Fuel per call, ≈ wasm instructions (`STOA_WASM_FUEL`); default 50,000,000. */
  readonly fuel?: number;
  /** Largest value a guest may pass to an import; default 1 MiB. */
  readonly maxValueBytes?: number;
  /** Records + view rows + result rows per call; default 10,000. */
  readonly maxIntents?: number;
  /** `stoa.log` lines per call (the rest are dropped, with one warning); default 100. */
  readonly maxLogLines?: number;
  /** Idle instances kept per (package, partition); default 4. */
  readonly maxIdleInstances?: number;
  /** The node logger: receives guests' `env.trace` lines at debug level (dropped when absent). */
  readonly logger?: TraceLogger;
  /**
   * Directory of the disk cache of prepared (instrumented) modules, shared by processes; default
   * `<os.tmpdir()>/stoa-wasm-prepared`. Used only when owned by this user and not group/world
   * writable (see prepare-cache.ts).
   */
  readonly cacheDir?: string;
}

export const WASM_HOST_DEFAULTS = {
  maxMemoryBytes: 16 * 1024 * 1024,
  fuel: 50_000_000,
  maxValueBytes: 1024 * 1024,
  maxIntents: 10_000,
  maxLogLines: 100,
  maxIdleInstances: 4,
} as const;

/** One package's module and its idle instances per partition. */
class PackagePool {
  private readonly idle = new Map<number, Guest[]>();
  disposed = false;

  constructor(
    readonly name: string,
    readonly prepared: PreparedModule,
    private readonly limits: GuestLimits,
    private readonly maxIdle: number,
    private readonly trace: TraceLogger | undefined,
    private readonly events: EventBytes,
  ) {}

  take(partition: number): Guest {
    return this.idle.get(partition)?.pop() ?? this.create();
  }

  create(): Guest {
    return new Guest(this.prepared, this.limits, this.trace, this.events);
  }

  release(partition: number, guest: Guest): void {
    if (this.disposed) return;
    let list = this.idle.get(partition);
    if (list === undefined) this.idle.set(partition, (list = []));
    if (list.length < this.maxIdle) list.push(guest);
  }

  /** Idle instances (tests, metrics). */
  idleCount(partition?: number): number {
    if (partition !== undefined) return this.idle.get(partition)?.length ?? 0;
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  dispose(): void {
    this.disposed = true;
    this.idle.clear();
  }
}

interface EntryPoint {
  readonly pool: PackagePool;
  readonly exportName: string;
}

/** LoadedExtensions of the WASM host, with pool introspection for tests and metrics. */
export interface LoadedWasmExtensions extends LoadedExtensions {
  /** Idle instances of a package's module (in one partition, or all). */
  idleInstances(pkg: string, partition?: number): number;
  /** Where a package's prepared module came from (tests, start-up diagnostics). */
  preparedFrom(pkg: string): PrepareSource | undefined;
}

function packageOf(qname: QName): string {
  return qname.slice(0, qname.indexOf('.'));
}

function entityOf(qname: QName): string {
  return qname.slice(qname.indexOf('.') + 1);
}

export function createWasmHost(options: WasmHostOptions = {}): ExtensionHost {
  const limits: GuestLimits = {
    fuel: options.fuel ?? WASM_HOST_DEFAULTS.fuel,
    maxMemoryBytes: options.maxMemoryBytes ?? WASM_HOST_DEFAULTS.maxMemoryBytes,
    maxValueBytes: options.maxValueBytes ?? WASM_HOST_DEFAULTS.maxValueBytes,
    maxIntents: options.maxIntents ?? WASM_HOST_DEFAULTS.maxIntents,
    maxLogLines: options.maxLogLines ?? WASM_HOST_DEFAULTS.maxLogLines,
  };
  const settings: LoadSettings = {
    limits,
    maxIdle: options.maxIdleInstances ?? WASM_HOST_DEFAULTS.maxIdleInstances,
    trace: options.logger,
    cacheDir: options.cacheDir ?? join(tmpdir(), 'stoa-wasm-prepared'),
  };
  return {
    engine: 'wasm',
    load(bundle: AppBundle): Promise<LoadedWasmExtensions> {
      return loadApp(bundle, settings);
    },
  };
}

interface LoadSettings {
  readonly limits: GuestLimits;
  readonly maxIdle: number;
  readonly trace: TraceLogger | undefined;
  readonly cacheDir: string;
}

async function loadApp(bundle: AppBundle, settings: LoadSettings): Promise<LoadedWasmExtensions> {
  const byPackage = new Map<string, ExtensionDef[]>();
  for (const pkg of Object.keys(bundle.modules)) byPackage.set(pkg, []);
  for (const ext of Object.values(bundle.appdef.extensions)) {
    if (ext.engine !== 'wasm') continue;
    const pkg = packageOf(ext.qname);
    byPackage.set(pkg, [...(byPackage.get(pkg) ?? []), ext]);
  }
  const problems: string[] = [];
  const entries = new Map<QName, EntryPoint>();
  const pools = new Map<string, PackagePool>();
  // One encoded-event slot for the app: the extensions one event fires share its bytes.
  const events = new EventBytes();
  for (const [pkg, exts] of byPackage) {
    const pool = await loadPackage(bundle, pkg, exts, settings, events, problems);
    if (pool === undefined) continue;
    pools.set(pkg, pool);
    for (const ext of exts) entries.set(ext.qname, { pool, exportName: entityOf(ext.qname) });
  }
  if (problems.length > 0) {
    throw new AppError('BAD_REQUEST', `app ${bundle.manifest.name}: ${problems.join('; ')}`, { data: { problems } });
  }
  return createLoaded(entries, pools, settings.limits.fuel);
}

async function loadPackage(
  bundle: AppBundle,
  pkg: string,
  exts: readonly ExtensionDef[],
  settings: LoadSettings,
  events: EventBytes,
  problems: string[],
): Promise<PackagePool | undefined> {
  const { limits } = settings;
  const before = problems.length;
  for (const ext of exts) {
    for (const [what, list] of [
      ['STATE', ext.state],
      ['INTENTS', ext.intents],
    ] as const) {
      for (const ref of list) {
        if (UNAVAILABLE_STORAGES.includes(ref.storage)) {
          problems.push(`${ext.qname} declares ${ref.storage} in its ${what}: not available yet for WASM extensions`);
        }
      }
    }
  }
  const bytes = bundle.modules[pkg];
  if (bytes === undefined) {
    problems.push(`package ${pkg} has no WASM module for its extensions ${exts.map((e) => e.qname).join(', ')}`);
    return undefined;
  }
  const result = await prepareModule(bytes, { initialFuel: BigInt(limits.fuel), cacheDir: settings.cacheDir });
  if (!result.ok) {
    for (const p of result.problems) problems.push(`module ${pkg}: ${p}`);
    return undefined;
  }
  const prepared = result.prepared;
  const capPages = Math.floor(limits.maxMemoryBytes / 65_536);
  if (prepared.memory.initialPages > capPages) {
    problems.push(
      `module ${pkg}: its memory minimum (${prepared.memory.initialPages} pages) exceeds the cap of ${capPages} pages (${limits.maxMemoryBytes} bytes)`,
    );
  }
  const declared = new Set(exts.map((e) => entityOf(e.qname)));
  const exported = new Set(prepared.entryPoints);
  const missing = exts.filter((e) => !exported.has(entityOf(e.qname))).map((e) => e.qname);
  const undeclared = prepared.entryPoints.filter((name) => !declared.has(name));
  if (missing.length > 0)
    problems.push(`module ${pkg} does not export declared WASM extensions: ${missing.join(', ')}`);
  if (undeclared.length > 0) {
    problems.push(`module ${pkg} exports functions not declared as WASM extensions: ${undeclared.join(', ')}`);
  }
  if (problems.length > before) return undefined;

  const pool = new PackagePool(pkg, prepared, limits, settings.maxIdle, settings.trace, events);
  let guest: Guest | undefined;
  try {
    guest = pool.create();
    const version = guest.abiVersion();
    if (version !== ABI_VERSION) {
      problems.push(`module ${pkg}: __stoa_abi_version() returned ${version}, this host implements ABI ${ABI_VERSION}`);
      return undefined;
    }
  } catch (error) {
    const reason = describeFailure(error, guest?.fuelLeft() ?? 1n, limits.fuel);
    problems.push(`module ${pkg}: instantiation failed: ${reason}`);
    return undefined;
  }
  return pool;
}

function createLoaded(
  entries: ReadonlyMap<QName, EntryPoint>,
  pools: ReadonlyMap<string, PackagePool>,
  budget: number,
): LoadedWasmExtensions {
  return {
    async invoke(qname: QName, ctx: ExtensionContext): Promise<void> {
      const entry = entries.get(qname);
      if (entry === undefined) throw new AppError('NOT_FOUND', `undefined extension ${qname}`, { qname });
      const { pool } = entry;
      if (pool.disposed) throw new AppError('INTERNAL', `extension ${qname}: its app was unloaded`, { qname });
      const partition = ctx.partition;
      let guest: Guest | undefined;
      try {
        guest = pool.take(partition);
        const fn = guest.entryPoint(entry.exportName)!;
        const running = guest.call(fn, ctx);
        if (running !== undefined) await running;
      } catch (error) {
        guest?.discard();
        throw toExtensionError(qname, error, guest?.fuelLeft() ?? 1n, budget, guest?.memoryUse());
      }
      pool.release(partition, guest);
    },
    idleInstances(pkg: string, partition?: number): number {
      return pools.get(pkg)?.idleCount(partition) ?? 0;
    },
    preparedFrom(pkg: string): PrepareSource | undefined {
      return pools.get(pkg)?.prepared.cached;
    },
    dispose(): Promise<void> {
      for (const pool of pools.values()) pool.dispose();
      return Promise.resolve();
    },
  };
}
