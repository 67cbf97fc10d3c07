/**
 * The node's last N log lines in memory, for `GET /admin/v1/logs` (docs/admin-api.md § Logs). It is
 * a pino destination (`write(line)`), so the composition root tees the logger into it:
 *
 *   pino(opts, pino.multistream([{ stream: process.stdout }, { stream: buffer }]))
 *
 * Each JSON line becomes a LogEntry with a node-local `seq` (1, 2, 3, …). A fixed-size ring keeps
 * the newest `capacity` entries (O(1) append, the oldest dropped). Fields that are named like
 * credentials are dropped defensively: these lines leave the node through the admin API.
 */
import type { LogEntry, LogSource } from './types.js';

export const DEFAULT_LOG_CAPACITY = 10_000;
/** Lines longer than this keep only time, level, app and the start of msg (memory stays bounded). */
export const MAX_LOG_LINE_CHARS = 64 * 1024;
const TRUNCATED_MSG_CHARS = 1024;

/** Top-level fields never kept (compared case-insensitively). */
const SECRET_FIELDS = new Set(['token', 'authorization', 'password', 'value', 'privatejwk', 'secret']);
const LEVEL_NAMES: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

export interface LogBuffer extends LogSource {
  /** The pino destination: one or more JSON lines; unparsable lines are ignored. */
  write(chunk: string | Uint8Array): void;
  /** Entries currently kept. */
  readonly size: number;
}

type Listener = (entry: LogEntry) => void;

function toLevel(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') return LEVEL_NAMES[value] ?? 30;
  return 30;
}

function toTime(value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  return Date.now();
}

/** One pino line → the fields of an entry (without seq), or undefined when it is not a JSON object. */
function parseLine(line: string): Record<string, unknown> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const src = raw as Record<string, unknown>;
  const time = toTime(src['time']);
  const level = toLevel(src['level']);
  const msg = typeof src['msg'] === 'string' ? src['msg'] : '';
  const app = typeof src['app'] === 'string' ? src['app'] : undefined;
  if (line.length > MAX_LOG_LINE_CHARS) {
    return {
      time,
      level,
      msg: msg.slice(0, TRUNCATED_MSG_CHARS),
      ...(app === undefined ? {} : { app }),
      truncated: true,
    };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'seq' || k === 'app' || SECRET_FIELDS.has(k.toLowerCase())) continue;
    out[k] = v;
  }
  out['time'] = time;
  out['level'] = level;
  out['msg'] = msg;
  if (app !== undefined) out['app'] = app;
  return out;
}

export function createLogBuffer(capacity = DEFAULT_LOG_CAPACITY): LogBuffer {
  if (!Number.isInteger(capacity) || capacity <= 0)
    throw new RangeError('log buffer capacity must be a positive integer');
  const ring: (LogEntry | undefined)[] = new Array<LogEntry | undefined>(capacity);
  let start = 0; // ring index of the oldest entry
  let size = 0;
  let lastSeq = 0; // entries hold seq lastSeq-size+1 … lastSeq, contiguous
  const listeners = new Set<Listener>();

  const at = (i: number): LogEntry => ring[(start + i) % capacity]!;

  const append = (fields: Record<string, unknown>): void => {
    // Frozen: the same object goes to every reader and listener.
    const entry = Object.freeze({ seq: ++lastSeq, ...fields }) as LogEntry;
    if (size < capacity) {
      ring[(start + size) % capacity] = entry;
      size++;
    } else {
      ring[start] = entry;
      start = (start + 1) % capacity;
    }
    for (const listener of listeners) {
      try {
        listener(entry);
      } catch {
        // A broken listener (a dead SSE stream) must not take logging or the others down.
        listeners.delete(listener);
      }
    }
  };

  return {
    get size() {
      return size;
    },
    write(chunk) {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      // pino writes one line per call; a destination may still receive several.
      let from = 0;
      while (from < text.length) {
        let end = text.indexOf('\n', from);
        if (end === -1) end = text.length;
        const line = text.slice(from, end).trim();
        from = end + 1;
        if (line === '') continue;
        const fields = parseLine(line);
        if (fields !== undefined) append(fields);
      }
    },
    read({ since, limit, app }) {
      const entries: LogEntry[] = [];
      if (limit <= 0 || size === 0) return { entries, next: lastSeq };
      const firstSeq = lastSeq - size + 1;
      // Logical index of the first entry with seq > since.
      const from = since === undefined ? 0 : Math.max(0, Math.min(size, since - firstSeq + 1));
      if (app === undefined) {
        for (let i = Math.max(from, size - limit); i < size; i++) entries.push(at(i));
        return { entries, next: lastSeq };
      }
      // Newest first until `limit` matches, then put back in ascending order.
      for (let i = size - 1; i >= from && entries.length < limit; i--) {
        const e = at(i);
        if (e.app === app) entries.push(e);
      }
      entries.reverse();
      return { entries, next: lastSeq };
    },
    subscribe(listener) {
      // A wrapper per call: the same function subscribed twice gets two independent subscriptions.
      const own: Listener = (entry) => listener(entry);
      listeners.add(own);
      return () => {
        listeners.delete(own);
      };
    },
  };
}
