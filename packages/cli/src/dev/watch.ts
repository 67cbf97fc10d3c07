/**
 * Watches an app project for the files a reload depends on: `stoa.json`, `schema/**` and
 * `extensions/**`, except what the dev server writes itself (`generated.ts`, unchanged rewrites are
 * skipped anyway) and build output (`.stoa/`, `node_modules/`). Bursts of events (an editor's
 * save writes several times) become one change after `debounceMs` of quiet.
 *
 * node:fs `watch` with `recursive` (inotify on Linux since Node 20) is enough here: one folder,
 * no polling, no dependency.
 */
import { watch, type FSWatcher } from 'node:fs';

export interface ProjectWatcher {
  close(): void;
}

export function isRelevantChange(file: string): boolean {
  const path = file.replaceAll('\\', '/');
  if (path === 'stoa.json') return true;
  if (path.split('/').some((segment) => segment.startsWith('.') || segment === 'node_modules')) return false;
  if (path.startsWith('schema/')) return path.endsWith('.vsql');
  if (path.startsWith('extensions/')) return path.endsWith('.ts') && !path.endsWith('/generated.ts');
  return false;
}

export function watchProject(dir: string, options: { debounceMs: number; onChange: () => void }): ProjectWatcher {
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dir, { recursive: true }, (_event, file) => {
    if (file === null || !isRelevantChange(file)) return;
    clearTimeout(timer);
    timer = setTimeout(options.onChange, options.debounceMs);
  });
  // A deleted project folder ends watching; the server keeps serving the last version.
  watcher.on('error', () => watcher.close());
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
