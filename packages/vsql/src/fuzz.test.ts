import { describe, expect, it } from 'vitest';
import { VsqlError } from './diagnostics.js';
import { loadExampleSchemas, stripLocations } from './example-schemas.test-util.js';
import { KITCHEN_SINK } from './kitchen-sink.test-util.js';
import { tokenize } from './lexer.js';
import { parse, RESERVED_WORDS } from './parser.js';
import { print } from './printer.js';

/** mulberry32: small, fast, deterministic. */
function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYWORDS = [
  ...RESERVED_WORDS,
  'varchar',
  'int32',
  'ref',
  'any',
  'void',
  'double precision',
  'table',
  'unique',
  'not',
  'Comment',
  'Tags',
];
const JUNK = [
  '#',
  "'",
  '"',
  '(',
  ')',
  ',',
  ';',
  '.',
  '-',
  '--',
  '/*',
  '*/',
  '\u0000',
  '\u{1F600}',
  '[]',
  '\\',
  '"x"',
  "''",
  '9',
  '1.5',
  '\n',
  '=',
  '!',
  '<>',
  '@',
];
const INPUTS_PER_SOURCE = 3_500;
const PER_INPUT_LIMIT_MS = 1_000;

interface Span {
  start: number;
  end: number;
}

function mutate(source: string, spans: Span[], random: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const spanAt = (): Span => pick(spans);
  let text = source;
  const steps = 1 + Math.floor(random() * 3);
  for (let step = 0; step < steps; step++) {
    // Spans refer to the original source; later steps apply to the mutated text, which is fine
    // for fuzzing (it only has to be deterministic).
    const s = spanAt();
    const start = Math.min(s.start, text.length);
    const end = Math.min(s.end, text.length);
    switch (Math.floor(random() * 8)) {
      case 0: // delete a token
        text = text.slice(0, start) + text.slice(end);
        break;
      case 1: // duplicate a token
        text = text.slice(0, end) + ' ' + text.slice(start, end) + text.slice(end);
        break;
      case 2: {
        // swap with another token
        const o = spanAt();
        if (o.end <= start || o.start >= end) {
          const [a, b] = o.start < start ? [o, { start, end }] : [{ start, end }, o];
          if (b.end <= text.length) {
            text =
              text.slice(0, a.start) +
              text.slice(b.start, b.end) +
              text.slice(a.end, b.start) +
              text.slice(a.start, a.end) +
              text.slice(b.end);
          }
        }
        break;
      }
      case 3: // insert a random character sequence
        text = text.slice(0, start) + pick(JUNK) + text.slice(start);
        break;
      case 4: // insert a keyword
        text = `${text.slice(0, start)} ${pick(KEYWORDS)} ${text.slice(start)}`;
        break;
      case 5: // replace a token by a keyword or punctuation
        text = text.slice(0, start) + (random() < 0.5 ? pick(KEYWORDS) : pick(JUNK)) + text.slice(end);
        break;
      case 6: // truncate
        text = text.slice(0, Math.floor(random() * (text.length + 1)));
        break;
      default: // flip a keyword's case
        text = text.slice(0, start) + text.slice(start, end).toLowerCase() + text.slice(end);
        break;
    }
  }
  return text;
}

describe('fuzz', () => {
  const sources = [...loadExampleSchemas().map((e) => e.source), KITCHEN_SINK];

  it(`parses or throws VsqlError for ${INPUTS_PER_SOURCE} mutations of each example`, () => {
    const random = createRandom(0x5eed);
    const failures: string[] = [];
    let parsed = 0;
    let rejected = 0;
    const started = Date.now();
    for (const source of sources) {
      const spans = tokenize(source).map((t) => ({ start: t.start.offset, end: t.end.offset }));
      for (let i = 0; i < INPUTS_PER_SOURCE && failures.length < 5; i++) {
        const input = mutate(source, spans, random);
        const t0 = Date.now();
        try {
          const ast = parse(input, 'fuzz.vsql');
          parsed++;
          // Whatever parses must also survive a print/parse round trip.
          const again = parse(print(ast), 'fuzz.vsql');
          if (JSON.stringify(stripLocations(again)) !== JSON.stringify(stripLocations(ast))) {
            failures.push(`round trip differs for:\n${input}`);
          }
        } catch (err) {
          if (!(err instanceof VsqlError)) {
            failures.push(`${String(err)}\nfor input:\n${input}`);
          } else {
            rejected++;
            const lines = input.split(/\r\n|\r|\n/).length;
            if (err.line < 1 || err.line > lines || err.column < 1)
              failures.push(`bad position ${err.line}:${err.column}`);
          }
        }
        const elapsed = Date.now() - t0;
        if (elapsed > PER_INPUT_LIMIT_MS) failures.push(`took ${elapsed} ms:\n${input}`);
      }
    }
    expect(failures).toEqual([]);
    expect(parsed + rejected).toBeGreaterThanOrEqual(10_000);
    // Both outcomes occur, so the mutations are neither all harmless nor all fatal.
    expect(parsed).toBeGreaterThan(100);
    expect(rejected).toBeGreaterThan(1_000);
    console.info(`fuzz: ${parsed} parsed, ${rejected} rejected in ${Date.now() - started} ms`);
  });

  it('survives pathological inputs', () => {
    const inputs = [
      '('.repeat(100_000),
      `WORKSPACE W (TABLE T INHERITS sys.CDoc (a int32 CHECK (${'-'.repeat(50_000)}1)))`,
      `WORKSPACE W (TABLE T INHERITS sys.CDoc (a int32 CHECK (${'NOT '.repeat(10_000)}a)))`,
      `WORKSPACE W (${'TABLE T INHERITS sys.CDoc (a TABLE '.repeat(1_000)}`,
      `WORKSPACE W (${'ROLE R;'.repeat(20_000)})`,
      "'".repeat(10_001),
      '/*'.repeat(1_000),
      '\u0000\u0001\u0002',
      'A'.repeat(300),
    ];
    for (const input of inputs) {
      let outcome = 'parsed';
      try {
        parse(input);
      } catch (err) {
        expect(err).toBeInstanceOf(VsqlError);
        outcome = (err as VsqlError).rawMessage;
      }
      expect(typeof outcome).toBe('string');
    }
  });
});
