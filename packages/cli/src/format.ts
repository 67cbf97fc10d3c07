// Pure text formatting for the CLI's human output (the --json output is the wire value as is).
import type { AppInfo, BreakingChange, Deployment, DiffEntry, LogEntry } from '@stoa/client/admin';
import { createColors, type Colors } from './ansi.js';

const PLAIN = createColors(false);

/** `812 B`, `22.1 KB`, `3.4 MB` (binary multiples, one decimal). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** `0.19 s` / `12 ms`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The first 12 hex digits of a bundle id: enough to tell bundles apart in a listing. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

const SIGNS = { added: '+', removed: '-', changed: '~' } as const;

/**
 * The schema diff of a deploy, one line per entry as the engine computed it (`+ table todo.Note`,
 * `- field todo.Task.Tags`, `~ field todo.Task.Title: varchar(200) → varchar(300)`): additions
 * green, removals red, changes yellow when `colors` are on.
 */
export function formatDiff(entries: readonly DiffEntry[], colors: Colors = PLAIN): string[] {
  return entries.map((e) => {
    const line = `${SIGNS[e.change]} ${e.subject} ${e.qname}${e.field === undefined ? '' : `.${e.field}`}${
      e.detail === undefined || e.detail === '' ? '' : `: ${e.detail}`
    }`;
    const paint = e.change === 'added' ? colors.green : e.change === 'removed' ? colors.red : colors.yellow;
    return paint(line);
  });
}

/** Every breaking change of a refused deploy: its message and, dimmed, its code. */
export function formatBreaking(changes: readonly BreakingChange[], colors: Colors = PLAIN): string[] {
  return changes.map((c) => `${colors.red('✗')} ${c.message} ${colors.dim(`[${c.code}]`)}`);
}

const LEVELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** `2025-01-02T03:04:05.678Z INFO  acme/todo deployed version 3` (`-` when the line has no app). */
export function formatLogEntry(entry: LogEntry, colors: Colors = PLAIN): string {
  const time = Number.isFinite(entry.time) ? new Date(entry.time).toISOString() : String(entry.time);
  const name = (LEVELS[entry.level] ?? String(entry.level)).padEnd(5);
  const level = entry.level >= 50 ? colors.red(name) : entry.level >= 40 ? colors.yellow(name) : colors.dim(name);
  return `${colors.dim(time)} ${level} ${entry.app ?? '-'} ${entry.msg}`;
}

/** Left-aligned columns separated by two spaces; the header row is bold. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  colors: Colors = PLAIN,
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [colors.bold(line(header)), ...rows.map(line)];
}

/** `apps` listing rows: APP, STATUS, VERSION, SOURCE, PARTITIONS, BUNDLE. */
export function formatApps(apps: readonly AppInfo[], colors: Colors = PLAIN): string[] {
  const rows = apps.map((a) => [
    `${a.owner}/${a.name}`,
    a.status,
    a.active === null ? '-' : String(a.active.version),
    a.source,
    String(a.partitions),
    shortId(a.versionHash),
  ]);
  return formatTable(['APP', 'STATUS', 'VERSION', 'SOURCE', 'PARTITIONS', 'BUNDLE'], rows, colors);
}

/** One history line (`v3  deploy    2025-…  cli:ann@box  3f2a9c1d0b4e`) and its diff, indented. */
export function formatDeployment(d: Deployment, colors: Colors = PLAIN): string[] {
  const head = `v${d.version}  ${d.kind.padEnd(8)}  ${d.at}  ${d.by}  ${shortId(d.bundle)}`;
  const diff = d.diff === '' ? [] : d.diff.split('\n').map((line) => `      ${paintDiffLine(line, colors)}`);
  return [head, ...diff];
}

function paintDiffLine(line: string, colors: Colors): string {
  if (line.startsWith('+')) return colors.green(line);
  if (line.startsWith('-')) return colors.red(line);
  if (line.startsWith('~')) return colors.yellow(line);
  return line;
}
