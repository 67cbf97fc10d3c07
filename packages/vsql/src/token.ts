import type { SourceLocation } from './diagnostics.js';

/**
 * Token kinds. Keywords are not a kind of their own: every bare word is a `Name`, and the
 * parser decides from context whether a word is a keyword (see README, "Keywords and case").
 */
export type TokenKind = 'Name' | 'QuotedName' | 'String' | 'Int' | 'Float' | 'Punct' | 'EOF';

export interface Token {
  kind: TokenKind;
  /** Source text of the token (quotes included for strings and quoted names). */
  text: string;
  /** Name: the word; QuotedName: the name without quotes; String: escapes resolved; others: `text`. */
  value: string;
  start: SourceLocation;
  end: SourceLocation;
  /** Comment block written on the lines directly above this token (markers stripped). */
  doc?: string;
}

export const PUNCTUATORS = [
  '<>',
  '!=',
  '<=',
  '>=',
  '(',
  ')',
  ',',
  ';',
  '.',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '[',
  ']',
] as const;

export type Punctuator = (typeof PUNCTUATORS)[number];

/** `found …` part of a syntax error: `"TABLE"`, `")"`, `string 'abc'` or `<EOF>`. */
export function describeToken(token: Token): string {
  if (token.kind === 'EOF') return '<EOF>';
  const text = token.text.length > 40 ? `${token.text.slice(0, 37)}...` : token.text;
  if (token.kind === 'String') return `string ${text}`;
  return `"${text}"`;
}
