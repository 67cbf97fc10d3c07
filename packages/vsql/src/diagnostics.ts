/**
 * Source positions and the single error type of the VSQL compiler.
 *
 * Shared by the lexer/parser (syntax errors) and the analyser (semantic errors), so every
 * error a user sees has the same `file:line:col: message` shape and the same code frame.
 */

/** A position in a source file. `line` and `column` are 1-based; `offset` is a 0-based UTF-16 index. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
  offset: number;
}

/** A half-open range `[start, end)` of a source file. */
export interface SourceSpan {
  start: SourceLocation;
  end: SourceLocation;
}

export type VsqlErrorKind = 'syntax' | 'semantic';

export interface VsqlErrorOptions {
  file: string;
  line: number;
  column: number;
  kind: VsqlErrorKind;
  /** Full text of the file, used to render a code frame. */
  source?: string;
}

/**
 * An error located in a VSQL source file.
 *
 * `message` is the full `file:line:col: rawMessage` form (what `console.error` and test
 * runners print); `rawMessage` is the bare message for callers that render position
 * themselves (editors, the portal). `format()` adds a code frame when the source is known.
 */
export class VsqlError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly rawMessage: string;
  readonly kind: VsqlErrorKind;
  readonly source: string | undefined;

  constructor(rawMessage: string, options: VsqlErrorOptions) {
    super(`${options.file}:${options.line}:${options.column}: ${rawMessage}`);
    this.name = 'VsqlError';
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
    this.rawMessage = rawMessage;
    this.kind = options.kind;
    this.source = options.source;
  }

  /** Builds an error positioned at the start of `span`. */
  static at(rawMessage: string, span: SourceSpan | SourceLocation, kind: VsqlErrorKind, source?: string): VsqlError {
    const loc = 'start' in span ? span.start : span;
    return new VsqlError(rawMessage, {
      file: loc.file,
      line: loc.line,
      column: loc.column,
      kind,
      ...(source === undefined ? {} : { source }),
    });
  }

  /** `file:line:col: message`, followed by a code frame when the source text is known. */
  format(): string {
    const head = this.message;
    if (this.source === undefined) return head;
    const frame = formatCodeFrame(this.source, this.line, this.column);
    return frame === '' ? head : `${head}\n\n${frame}`;
  }

  override toString(): string {
    return this.format();
  }
}

const CONTEXT_LINES_BEFORE = 2;
const CONTEXT_LINES_AFTER = 1;
/** Long lines are cut around the column so a frame stays readable in a terminal. */
const MAX_FRAME_LINE_WIDTH = 120;

/**
 * Renders the lines around `line` with a gutter and a caret under `column`:
 *
 * ```
 *   3 |     TABLE Product (
 * > 4 |         Sku varchar(x)
 *     |                     ^
 *   5 |     );
 * ```
 *
 * Returns '' when `line` is outside the source.
 */
export function formatCodeFrame(source: string, line: number, column: number): string {
  const lines = source.split(/\r\n|\r|\n/);
  if (!Number.isInteger(line) || line < 1 || line > lines.length) return '';
  const first = Math.max(1, line - CONTEXT_LINES_BEFORE);
  const last = Math.min(lines.length, line + CONTEXT_LINES_AFTER);
  const gutterWidth = String(last).length;
  const caretColumn = Math.max(1, Math.floor(column));
  // Cut every line of the frame at the same window so context lines stay aligned.
  const windowStart = Math.max(0, caretColumn - 1 - Math.floor(MAX_FRAME_LINE_WIDTH / 2));
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const text = (lines[n - 1] ?? '').replace(/\t/g, ' ');
    const shown = cutLine(text, windowStart);
    const marker = n === line ? '>' : ' ';
    const gutter = String(n).padStart(gutterWidth, ' ');
    out.push(`${marker} ${gutter} |${shown === '' ? '' : ` ${shown}`}`);
    if (n === line) {
      const prefix = windowStart > 0 ? 3 : 0;
      const pad = ' '.repeat(Math.max(0, caretColumn - 1 - windowStart + prefix));
      out.push(`  ${' '.repeat(gutterWidth)} | ${pad}^`);
    }
  }
  return out.join('\n');
}

function cutLine(text: string, windowStart: number): string {
  let shown = text.trimEnd();
  if (windowStart > 0) shown = `...${shown.slice(windowStart)}`;
  if (shown.length > MAX_FRAME_LINE_WIDTH + 6) shown = `${shown.slice(0, MAX_FRAME_LINE_WIDTH + 3)}...`;
  return shown;
}
