/**
 * VSQL lexer: source text → tokens with positions. Comments and whitespace are skipped; a
 * comment block that starts a line is attached as `doc` to the token after it.
 */
import { VsqlError, type SourceLocation } from './diagnostics.js';
import { PUNCTUATORS, type Token, type TokenKind } from './token.js';

/** Identifiers are limited like Voedger's (`[a-zA-Z]\w{0,254}`). */
export const MAX_IDENTIFIER_LENGTH = 255;

const NAME_START = /[A-Za-z]/;
const NAME_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;

/** Tokenises a whole file. The last token is always `EOF`. Throws `VsqlError` (kind `syntax`). */
export function tokenize(source: string, file = '<input>'): Token[] {
  return new Lexer(source, file).run();
}

class Lexer {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private readonly tokens: Token[] = [];
  /** Comment lines collected since the last token, when each of them started a line. */
  private pendingDoc: string[] = [];
  /** Whether only whitespace precedes `pos` on the current line. */
  private atLineStart = true;

  constructor(
    private readonly source: string,
    private readonly file: string,
  ) {}

  run(): Token[] {
    const src = this.source;
    if (src.charCodeAt(0) === 0xfeff) {
      this.pos = 1;
      this.lineStart = 1;
    }
    while (this.pos < src.length) {
      const ch = src[this.pos] ?? '';
      if (ch === '\n' || ch === '\r') {
        this.newline();
      } else if (ch === ' ' || ch === '\t' || ch === '\f' || ch === '\v') {
        this.pos++;
      } else if (ch === '-' && src[this.pos + 1] === '-') {
        this.lineComment();
      } else if (ch === '/' && src[this.pos + 1] === '*') {
        this.blockComment();
      } else {
        this.token(ch);
        this.atLineStart = false;
      }
    }
    const here = this.location();
    this.push('EOF', '', '', here);
    return this.tokens;
  }

  private token(ch: string): void {
    const start = this.location();
    if (NAME_START.test(ch)) return this.name(start);
    if (DIGIT.test(ch)) return this.number(start);
    if (ch === "'") return this.string(start);
    if (ch === '"') return this.quotedName(start);
    for (const p of PUNCTUATORS) {
      if (this.source.startsWith(p, this.pos)) {
        this.pos += p.length;
        this.push('Punct', p, p, start);
        return;
      }
    }
    const cp = this.source.codePointAt(this.pos) ?? 0;
    const shown =
      cp >= 0x20 && cp !== 0x7f ? String.fromCodePoint(cp) : `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    throw this.error(`Unexpected character "${shown}"`, start);
  }

  private name(start: SourceLocation): void {
    const src = this.source;
    let end = this.pos + 1;
    while (end < src.length && NAME_PART.test(src[end] ?? '')) end++;
    const text = src.slice(this.pos, end);
    if (text.length > MAX_IDENTIFIER_LENGTH) {
      throw this.error(`Identifier too long (more than ${MAX_IDENTIFIER_LENGTH} characters)`, start);
    }
    this.pos = end;
    this.push('Name', text, text, start);
  }

  private number(start: SourceLocation): void {
    const src = this.source;
    let end = this.pos;
    while (end < src.length && DIGIT.test(src[end] ?? '')) end++;
    let kind: TokenKind = 'Int';
    if (src[end] === '.' && DIGIT.test(src[end + 1] ?? '')) {
      kind = 'Float';
      end++;
      while (end < src.length && DIGIT.test(src[end] ?? '')) end++;
    }
    const text = src.slice(this.pos, end);
    this.pos = end;
    this.push(kind, text, text, start);
  }

  /**
   * `'…'` with `''` or `\'` for a quote and `\\` for a backslash; any other backslash is kept
   * as is, so regexps like `'^\d+$'` need no doubling.
   */
  private string(start: SourceLocation): void {
    const src = this.source;
    let i = this.pos + 1;
    let value = '';
    for (;;) {
      if (i >= src.length) throw this.error('Unterminated string', start);
      const c = src[i] ?? '';
      if (c === "'") {
        if (src[i + 1] === "'") {
          value += "'";
          i += 2;
          continue;
        }
        i++;
        break;
      }
      if (c === '\\' && (src[i + 1] === "'" || src[i + 1] === '\\')) {
        value += src[i + 1] === "'" ? "'" : '\\';
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    const text = src.slice(this.pos, i);
    this.advanceOver(i);
    this.push('String', text, value, start);
  }

  /** `"name"`: lets a keyword be used as an identifier. The content must be a valid identifier. */
  private quotedName(start: SourceLocation): void {
    const src = this.source;
    const close = src.indexOf('"', this.pos + 1);
    const lineEnd = src.slice(this.pos + 1).search(/[\r\n]/);
    if (close < 0 || (lineEnd >= 0 && close > this.pos + 1 + lineEnd)) {
      throw this.error('Unterminated quoted identifier', start);
    }
    const value = src.slice(this.pos + 1, close);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(value)) {
      throw this.error(`Invalid quoted identifier "${value.length > 40 ? `${value.slice(0, 37)}...` : value}"`, start);
    }
    if (value.length > MAX_IDENTIFIER_LENGTH) {
      throw this.error(`Identifier too long (more than ${MAX_IDENTIFIER_LENGTH} characters)`, start);
    }
    const text = src.slice(this.pos, close + 1);
    this.pos = close + 1;
    this.push('QuotedName', text, value, start);
  }

  private lineComment(): void {
    const src = this.source;
    let end = this.pos + 2;
    while (end < src.length && src[end] !== '\n' && src[end] !== '\r') end++;
    const body = src.slice(this.pos + 2, end);
    this.noteComment(body.startsWith(' ') ? body.slice(1) : body);
    this.pos = end;
  }

  private blockComment(): void {
    const start = this.location();
    const close = this.source.indexOf('*/', this.pos + 2);
    if (close < 0) throw this.error('Unterminated comment', start);
    const body = this.source.slice(this.pos + 2, close).trim();
    const wasAtLineStart = this.atLineStart;
    this.advanceOver(close + 2);
    this.atLineStart = wasAtLineStart;
    this.noteComment(body);
  }

  private noteComment(body: string): void {
    if (!this.atLineStart) {
      // A trailing comment after code documents nothing; it also ends a doc block.
      this.pendingDoc = [];
      return;
    }
    for (const line of body.split(/\r\n|\r|\n/)) this.pendingDoc.push(line.trimEnd());
  }

  private newline(): void {
    if (this.source[this.pos] === '\r' && this.source[this.pos + 1] === '\n') this.pos++;
    this.pos++;
    this.line++;
    this.lineStart = this.pos;
    this.atLineStart = true;
  }

  /** Moves to `end`, keeping line/column bookkeeping right across embedded newlines. */
  private advanceOver(end: number): void {
    while (this.pos < end) {
      const c = this.source[this.pos];
      if (c === '\n' || c === '\r') this.newline();
      else this.pos++;
    }
  }

  private location(): SourceLocation {
    return { file: this.file, line: this.line, column: this.pos - this.lineStart + 1, offset: this.pos };
  }

  private push(kind: TokenKind, text: string, value: string, start: SourceLocation): void {
    const token: Token = { kind, text, value, start, end: this.location() };
    if (this.pendingDoc.length > 0) {
      token.doc = this.pendingDoc.join('\n');
      this.pendingDoc = [];
    }
    this.tokens.push(token);
  }

  private error(message: string, at: SourceLocation): VsqlError {
    return new VsqlError(message, {
      file: this.file,
      line: at.line,
      column: at.column,
      kind: 'syntax',
      source: this.source,
    });
  }
}
