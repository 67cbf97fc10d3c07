/**
 * `stoa dev`: an engine node embedded in the CLI, on LMDB in the project's `.stoa/dev`, serving the
 * project folder through the dev path (its `extensions/builtin.ts` allowed) and reloading it when a
 * file changes.
 *
 * A reload rebuilds the folder (schema compiled, WASM extensions built through the cache) and
 * swaps the served version atomically (the engine core's `activateApp`). Dev data is disposable,
 * so breaking schema changes are printed as warnings and applied anyway (`--reset` wipes the
 * data); a build error is printed with file:line:col and its code frame and the previous version
 * keeps serving. After each successful reload the typed helpers of every WASM package
 * (`extensions/<pkg>/generated.ts`) are rewritten when they changed, so the editor sees the schema.
 *
 * The node trusts the public half of an admin key pair kept in the data dir (`admin-key.json`,
 * mode 0600), so `stoa deploy --url <dev url> --key .stoa/dev/admin-key.json` and
 * `stoa logs --follow` work against it.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { codegen, warmUpCompiler } from '@stoa/bundle/extensions';
import { generateAdminKeyPair } from '@stoa/client/admin';
import {
  checkCompatibility,
  composeNode,
  createLogBuffer,
  diffAppDefs,
  ensureLocalDemo,
  formatLocalDemo,
  issuePrincipalToken,
  loadAppFromFolder,
  preloadWasmInstrumentation,
} from '@stoa/engine';
import type { AppBundle, ComposedNode, HttpServerHandle } from '@stoa/engine';
import { isAppError } from '@stoa/errors';
import { createLmdbDriver } from '@stoa/storage-lmdb';
import { pino } from 'pino';
import { createHumanLogStream } from './human-log.js';
import { watchProject, type ProjectWatcher } from './watch.js';

export interface DevServerOptions {
  readonly dir: string;
  readonly port: number;
  readonly host: string;
  /** Default `<dir>/.stoa/dev`. */
  readonly dataDir?: string;
  /** Wipe the dev data (the LMDB store) before starting. */
  readonly reset: boolean;
  /** Reload on file changes (default true). */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  /** Human output (status, diffs, the demo token). */
  readonly print: (text: string) => void;
  /** Warnings and errors. */
  readonly warn: (text: string) => void;
}

export type ReloadOutcome =
  | {
      readonly ok: true;
      readonly changed: boolean;
      /** The first successful load of this server. */
      readonly first?: boolean;
      readonly versionHash: string;
      readonly ms: number;
      /** Of `ms`: rebuilding the folder (schema, WASM modules), and swapping the served version. */
      readonly buildMs: number;
      readonly swapMs: number;
      readonly diff: string;
      readonly breaking: readonly string[];
    }
  | { readonly ok: false; readonly error: string; readonly ms: number };

export interface DevServer {
  readonly url: string;
  readonly app: string | undefined;
  readonly adminKeyFile: string;
  readonly node: ComposedNode;
  /** Rebuilds and swaps now (what a file change triggers). */
  reload(): Promise<ReloadOutcome>;
  /** Called after every reload attempt, file-triggered or not. */
  onReload(listener: (outcome: ReloadOutcome) => void): () => void;
  close(): Promise<void>;
}

const OWNER = 'local';

async function ensureAdminKey(file: string): Promise<string> {
  if (existsSync(file)) {
    const { d: _private, ...publicJwk } = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    return JSON.stringify(publicJwk);
  }
  const { privateJwk, publicJwk } = await generateAdminKeyPair();
  await writeFile(file, `${JSON.stringify(privateJwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  return JSON.stringify(publicJwk);
}

/** tsx's scoped import: transforms only the builtins file and its imports; a fresh copy each call. */
async function importTypeScript(path: string): Promise<unknown> {
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(`${pathToFileURL(path).href}?v=${Date.now()}`, import.meta.url);
}

function describeError(error: unknown): string {
  if (isAppError(error)) return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Rewrites extensions/<pkg>/generated.ts of every WASM package whose helpers changed. */
async function refreshGeneratedFiles(dir: string, bundle: AppBundle): Promise<string[]> {
  const written: string[] = [];
  for (const pkg of Object.keys(bundle.modules)) {
    const file = join(dir, 'extensions', pkg, 'generated.ts');
    const text = codegen(bundle.appdef, pkg);
    const current = existsSync(file) ? await readFile(file, 'utf8') : undefined;
    if (current === text) continue;
    await writeFile(file, text);
    written.push(`extensions/${pkg}/generated.ts`);
  }
  return written;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const dir = resolve(options.dir);
  const dataDir = resolve(options.dataDir ?? join(dir, '.stoa', 'dev'));
  const lmdbDir = join(dataDir, 'lmdb');
  if (options.reset) await rm(lmdbDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const adminKeyFile = join(dataDir, 'admin-key.json');
  const publicKeys = await ensureAdminKey(adminKeyFile);

  const logs = createLogBuffer();
  const logger = pino(
    { level: 'info', base: { service: 'stoa-dev' } },
    pino.multistream([
      { stream: logs, level: 'info' },
      { stream: createHumanLogStream(options.warn), level: 'warn' },
    ]),
  );
  const node = await composeNode({
    driver: createLmdbDriver({ path: lmdbDir }),
    storageKind: 'lmdb',
    dataDir,
    // The folder is loaded by reload() below, so a broken schema at start is shown, not fatal.
    apps: [],
    dev: true,
    importModule: importTypeScript,
    logger,
    admin: { publicKeys, logs },
  });

  let current: AppBundle | undefined;
  let demoShown = false;
  let server: HttpServerHandle | undefined;
  const listeners = new Set<(outcome: ReloadOutcome) => void>();

  const showDemo = async (): Promise<void> => {
    if (demoShown || current === undefined || server === undefined) return;
    const service = node.core.getApp(OWNER, current.manifest.name);
    if (service === undefined) return;
    demoShown = true;
    const demo = await ensureLocalDemo(service, {
      getDemoWorkspace: (app) => node.sys.getDemoWorkspace(app),
      putDemoWorkspace: (app, record) => node.sys.putDemoWorkspace(app, record),
      issueToken: (input) => issuePrincipalToken(node.ring, { ...input, kind: 'user', profileWSID: 0 }),
      now: Date.now,
    });
    if (demo !== undefined) options.print(`${formatLocalDemo(demo, server.url).join('\n')}\n`);
  };

  const rebuild = async (): Promise<ReloadOutcome> => {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let bundle: AppBundle;
    try {
      bundle = await loadAppFromFolder(dir, { owner: OWNER, dev: true, importModule: importTypeScript });
    } catch (error) {
      return { ok: false, error: describeError(error), ms: elapsed() };
    }
    const buildMs = elapsed();
    if (current !== undefined && current.versionHash === bundle.versionHash) {
      const ms = elapsed();
      return {
        ok: true,
        changed: false,
        versionHash: bundle.versionHash,
        ms,
        buildMs,
        swapMs: 0,
        diff: '',
        breaking: [],
      };
    }
    const breaking =
      current === undefined ? [] : checkCompatibility(current.appdef, bundle.appdef).map((b) => b.message);
    const diff = current === undefined ? '' : diffAppDefs(current.appdef, bundle.appdef).text;
    try {
      await node.core.activateApp(bundle);
    } catch (error) {
      return { ok: false, error: describeError(error), ms: elapsed() };
    }
    const swapMs = elapsed() - buildMs;
    const first = current === undefined;
    current = bundle;
    try {
      await refreshGeneratedFiles(dir, bundle);
    } catch (error) {
      options.warn(`! could not update the generated helpers: ${describeError(error)}\n`);
    }
    return {
      ok: true,
      changed: true,
      first,
      versionHash: bundle.versionHash,
      ms: elapsed(),
      buildMs,
      swapMs,
      diff,
      breaking,
    };
  };

  const report = (outcome: ReloadOutcome): void => {
    if (!outcome.ok) {
      options.warn(`✗ build failed (${outcome.ms} ms); still serving the previous version\n${outcome.error}\n`);
      return;
    }
    if (!outcome.changed) return;
    const verb = outcome.first === true ? 'loaded' : 'reloaded';
    const lines = [
      `✓ ${OWNER}/${current?.manifest.name ?? '?'} ${verb} in ${outcome.ms} ms (build ${outcome.buildMs} ms, swap ${outcome.swapMs} ms)`,
    ];
    if (outcome.diff !== '') lines.push(...outcome.diff.split('\n').map((l) => `  ${l}`));
    options.print(`${lines.join('\n')}\n`);
    if (outcome.breaking.length > 0) {
      options.warn(
        [
          `! ${outcome.breaking.length} breaking change(s), applied anyway (dev data is disposable; \`stoa dev --reset\` wipes it):`,
          ...outcome.breaking.map((b) => `  - ${b}`),
          '',
        ].join('\n'),
      );
    }
  };

  // Reloads run one at a time; changes during a reload cause exactly one more.
  let running: Promise<ReloadOutcome> | undefined;
  let again = false;
  const reload = async (): Promise<ReloadOutcome> => {
    if (running !== undefined) {
      again = true;
      return running;
    }
    let outcome: ReloadOutcome;
    do {
      again = false;
      running = rebuild();
      try {
        outcome = await running;
      } finally {
        running = undefined;
      }
      report(outcome);
      for (const listener of listeners) listener(outcome);
    } while (again);
    await showDemo();
    return outcome;
  };

  let watcher: ProjectWatcher | undefined;
  try {
    await reload();
    server = await node.listen({ port: options.port, host: options.host });
    await showDemo();
    if (options.watch !== false) {
      // The edit loop's slow first steps, done now: asc loaded in its thread (kept for the
      // session), binaryen loaded for instrumenting the rebuilt modules.
      warmUpCompiler({ keepAlive: true });
      void preloadWasmInstrumentation();
      watcher = watchProject(dir, { debounceMs: options.debounceMs ?? 100, onChange: () => void reload() });
    }
  } catch (error) {
    await node.close();
    throw error;
  }

  return {
    url: server.url,
    get app() {
      return current === undefined ? undefined : `${OWNER}/${current.manifest.name}`;
    },
    adminKeyFile,
    node,
    reload,
    onReload(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      watcher?.close();
      // A reload in progress finishes first (it may be writing generated.ts).
      await running?.catch(() => undefined);
      await node.close();
    },
  };
}
