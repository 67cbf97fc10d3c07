/**
 * A pino destination that prints the engine's warnings and errors for a person at a terminal:
 * `WARN  local/todo: message (err: …)`. The full JSON lines stay available through
 * `stoa logs` (the node's log buffer).
 */
const LEVELS: Readonly<Record<number, string>> = { 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

export function formatLogLine(line: string): string | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const level = typeof entry['level'] === 'number' ? entry['level'] : 0;
  const label = LEVELS[level];
  if (label === undefined) return undefined;
  const app = typeof entry['app'] === 'string' ? `${entry['app']}: ` : '';
  const msg = typeof entry['msg'] === 'string' ? entry['msg'] : '';
  const err = entry['err'] as { message?: unknown } | undefined;
  const detail = typeof err?.message === 'string' ? ` (${err.message})` : '';
  return `${label} ${app}${msg}${detail}\n`;
}

export function createHumanLogStream(write: (text: string) => void): { write(line: string): void } {
  return {
    write(line) {
      const text = formatLogLine(line);
      if (text !== undefined) write(text);
    },
  };
}
