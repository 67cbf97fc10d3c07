/**
 * Extension invocation with a deadline. Builtins are trusted and run in-process; the WASM host runs
 * guests in-process too, bounded by fuel and a memory cap, so a call suspended on storage or a slow
 * builtin is what this deadline stops waiting for: the call fails with 500 `extension X timed out
 * after N ms` and nothing of it is committed (intents are collected, not applied). See README
 * "Executor isolation decision".
 */
import { AppError, isAppError } from '@stoa/errors';
import type { AppBundle } from '../app/bundle.js';
import type { ExtensionContext, ExtensionHost, LoadedExtensions } from '../extensions/host.js';

export class ExtensionRuntime {
  private constructor(
    private readonly byEngine: ReadonlyMap<string, LoadedExtensions>,
    private readonly engineOf: ReadonlyMap<string, 'builtin' | 'wasm'>,
    readonly timeoutMs: number,
  ) {}

  static async load(bundle: AppBundle, hosts: readonly ExtensionHost[], timeoutMs: number): Promise<ExtensionRuntime> {
    const engineOf = new Map<string, 'builtin' | 'wasm'>();
    const needed = new Set<'builtin' | 'wasm'>(['builtin']);
    for (const ext of Object.values(bundle.appdef.extensions)) {
      engineOf.set(ext.qname, ext.engine);
      needed.add(ext.engine);
    }
    const loaded = new Map<string, LoadedExtensions>();
    try {
      for (const engine of needed) {
        const host = hosts.find((h) => h.engine === engine);
        if (host === undefined) {
          const names = [...engineOf].filter(([, e]) => e === engine).map(([q]) => q);
          throw new AppError(
            'BAD_REQUEST',
            `app ${bundle.manifest.name} declares ${engine} extensions (${names.join(', ')}) but this engine has no ${engine} extension host`,
          );
        }
        loaded.set(engine, await host.load(bundle));
      }
    } catch (error) {
      for (const l of loaded.values()) await l.dispose();
      throw error;
    }
    return new ExtensionRuntime(loaded, engineOf, timeoutMs);
  }

  /** Runs one extension; every failure becomes an AppError (500 naming the extension unless it carries a status). */
  async invoke(ctx: ExtensionContext): Promise<void> {
    const qname = ctx.qname;
    const engine = this.engineOf.get(qname) ?? 'builtin';
    const loaded = this.byEngine.get(engine);
    if (loaded === undefined) throw new AppError('INTERNAL', `no extension host loaded for ${qname}`, { qname });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AppError('INTERNAL', `extension ${qname} timed out after ${this.timeoutMs} ms`, { qname })),
        this.timeoutMs,
      );
    });
    try {
      await Promise.race([loaded.invoke(qname, ctx), deadline]);
    } catch (error) {
      if (isAppError(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new AppError('INTERNAL', `extension ${qname} failed: ${message}`, { qname, cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async dispose(): Promise<void> {
    for (const l of this.byEngine.values()) await l.dispose();
  }
}
