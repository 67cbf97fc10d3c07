// A cron expression check for JOB schedules: 5 fields (minute hour day-of-month month
// day-of-week) or 6 (seconds first), lists/ranges/steps, month and weekday names, `?`, and the
// descriptors `@yearly … @hourly` / `@every <duration>` (robfig/cron's dialect, which VSQL uses).
// Returns the reason an expression is invalid, or undefined when it is valid.

const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** Index of the first name (months are 1-based). */
  nameBase?: number;
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const FIELDS: FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAYS, nameBase: 0 },
];

function parseValue(text: string, spec: FieldSpec): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const i = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  return i >= 0 ? i + (spec.nameBase ?? 0) : undefined;
}

function checkField(text: string, spec: FieldSpec): string | undefined {
  for (const part of text.split(',')) {
    const [range = '', step, extra] = part.split('/');
    if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) {
      return `bad step in ${spec.name} field '${text}'`;
    }
    if (range === '*' || range === '?') continue;
    const bounds = range.split('-');
    if (bounds.length > 2) return `bad range in ${spec.name} field '${text}'`;
    const values = bounds.map((b) => parseValue(b, spec));
    for (const v of values) {
      if (v === undefined) return `bad value in ${spec.name} field '${text}'`;
      if (v < spec.min || v > spec.max) return `${spec.name} value ${v} out of range ${spec.min}-${spec.max}`;
    }
    const [lo, hi] = values as number[];
    if (hi !== undefined && lo !== undefined && lo > hi) return `bad range in ${spec.name} field '${text}'`;
  }
  return undefined;
}

export function findCronError(expr: string): string | undefined {
  const text = expr.trim();
  if (text.startsWith('@')) {
    if (DESCRIPTORS.has(text)) return undefined;
    const every = /^@every\s+((\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+)$/.exec(text);
    return every ? undefined : `unknown descriptor '${text}'`;
  }
  const parts = text.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5 && parts.length !== 6) return `expected 5 or 6 fields, found ${parts.length}`;
  const specs = parts.length === 6 ? [SECOND, ...FIELDS] : FIELDS;
  for (let i = 0; i < parts.length; i++) {
    const err = checkField(parts[i]!, specs[i]!);
    if (err) return err;
  }
  return undefined;
}
